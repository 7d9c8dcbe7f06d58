/**
 * A callee written on another Node SIP stack, the npm package "sip" (0.0.6, MIT): the
 * reference bench/call-rate.ts's configuration `npm-sip` measures beside ours, so that the
 * ratio to SIPp of a Node callee built on a SIP stack other than ours is read in the same run.
 *
 *   node bin/run-ts.js bench/call-rate-npm-sip-uas.ts [address=127.0.0.2]
 *
 * It answers SIPp's uac as bench/call-rate-uas.ts does (180, 200 with SDP, the ACK taken, 200
 * to the BYE), on that package's UDP transport and transaction layer. It does less per call
 * than ours: the package leaves the 2xx's retransmission until the ACK to the application,
 * and this callee keeps no dialog. So its figure flatters it, if anything.
 *
 * The package binds the port it is given (0 means 5060 to it): a free one is found first (as
 * for SIPp, freeUdpPort). Speaks bench/child-callee-protocol.ts on stdin and stdout, as
 * bench/call-rate-uas.ts does. Loopback only.
 */
import { createRequire } from 'node:module';
import { freeUdpPort, sippLikeSdp } from './call-rate-agents.ts';
import { serveChildCallee } from './child-callee-protocol.ts';

/** What this callee uses of the package (it ships no types). */
interface NpmSipMessage {
  method?: string;
  headers: Record<string, unknown> & { to: { name?: string; uri: string; params: Record<string, unknown> } };
}
interface NpmSip {
  create(
    options: { address: string; port: number; udp: boolean; tcp: boolean; logger?: object },
    onRequest: (rq: NpmSipMessage) => void,
  ): { send(m: object): void; destroy(): void };
  makeResponse(
    rq: NpmSipMessage,
    status: number,
    reason: string,
    extension?: { headers?: Record<string, unknown>; content?: string },
  ): object;
}
const sip = createRequire(import.meta.url)('sip') as NpmSip;

const address = process.argv[2] ?? '127.0.0.2';

const port = await freeUdpPort(address);
const SDP = sippLikeSdp(address);
const contact = [{ uri: `sip:npm@${address}:${port}` }];
let counters = { invites: 0, acked: 0, byes: 0, failed: 0, sent: 0 };
let tagCounter = 0;
let errors = 0;

const stack = sip.create(
  {
    address,
    port,
    udp: true,
    tcp: false,
    // The package logs what a request handler throws here; counted, never printed per call.
    logger: { error: () => errors++ },
  },
  (rq) => {
    const send = (m: object) => {
      counters.sent++;
      stack.send(m);
    };
    if (rq.method === 'INVITE') {
      counters.invites++;
      // The response's To is the request's object in the package: a copy carries the tag.
      const to = { ...rq.headers.to, params: { ...rq.headers.to.params, tag: `n${++tagCounter}` } };
      send(sip.makeResponse(rq, 180, 'Ringing', { headers: { to, contact } }));
      send(
        sip.makeResponse(rq, 200, 'OK', {
          headers: { to, contact, 'content-type': 'application/sdp' },
          content: SDP,
        }),
      );
    } else if (rq.method === 'ACK') counters.acked++;
    else if (rq.method === 'BYE') {
      counters.byes++;
      send(sip.makeResponse(rq, 200, 'OK'));
    } else send(sip.makeResponse(rq, 405, 'Method Not Allowed'));
  },
);

// The package binds without telling when it is done: ready once this turn's I/O had its go.
await new Promise((resolve) => setTimeout(resolve, 100));
serveChildCallee(
  {
    reset() {
      counters = { invites: 0, acked: 0, byes: 0, failed: 0, sent: 0 };
      errors = 0;
    },
    counters: () => ({ ...counters, failed: counters.failed + errors }),
    stop: () => stack.destroy(),
  },
  port,
);
