/**
 * A callee written on another Node SIP stack, the npm package "sip" (0.0.6, MIT; used through
 * bench/npm-sip-stack.ts): the reference bench/call-rate.ts's configuration `npm-sip` measures
 * beside ours, so that the ratio to SIPp of a Node callee built on a SIP stack other than ours
 * is read in the same run.
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
 * bench/call-rate-uas.ts does; "sent" counts the datagrams its socket sent. Loopback only.
 */
import { freeUdpPort, sippLikeSdp } from './call-rate-agents.ts';
import { serveChildCallee } from './child-callee-protocol.ts';
import { datagramsSent, sip, startNpmSip } from './npm-sip-stack.ts';

const address = process.argv[2] ?? '127.0.0.2';
const port = await freeUdpPort(address);
const SDP = sippLikeSdp(address);
const contact = [{ uri: `sip:npm@${address}:${port}` }];
let counters = { invites: 0, acked: 0, byes: 0 };
let tagCounter = 0;

const { stack, errors } = await startNpmSip(address, port, (rq) => {
  if (rq.method === 'INVITE') {
    counters.invites++;
    // The response's To is the request's object in the package: a copy carries the tag (built
    // field by field: an object spread costs V8 about 2 µs, which would weigh on this figure).
    const reqTo = rq.headers.to;
    const params: Record<string, unknown> = {};
    for (const k in reqTo.params) params[k] = reqTo.params[k];
    params.tag = `n${++tagCounter}`;
    const to = { name: reqTo.name, uri: reqTo.uri, params };
    stack.send(sip.makeResponse(rq, 180, 'Ringing', { headers: { to, contact } }));
    stack.send(
      sip.makeResponse(rq, 200, 'OK', {
        headers: { to, contact, 'content-type': 'application/sdp' },
        content: SDP,
      }),
    );
  } else if (rq.method === 'ACK') counters.acked++;
  else if (rq.method === 'BYE') {
    counters.byes++;
    stack.send(sip.makeResponse(rq, 200, 'OK'));
  } else stack.send(sip.makeResponse(rq, 405, 'Method Not Allowed'));
});

let sent0 = datagramsSent();
let errors0 = errors();
serveChildCallee(
  {
    reset() {
      counters = { invites: 0, acked: 0, byes: 0 };
      sent0 = datagramsSent();
      errors0 = errors();
    },
    counters: () => ({ ...counters, failed: errors() - errors0, sent: datagramsSent() - sent0 }),
    stop: () => stack.destroy(),
  },
  port,
);
