/**
 * A caller written on another Node SIP stack, the npm package "sip" (0.0.6, MIT; used through
 * bench/npm-sip-stack.ts), for bench/call-rate.ts's configuration `npm-sip-uac`: SIPp's call
 * flow against SIPp's uas, as our caller places it (INVITE with SDP, the ACK for the 2xx, BYE
 * at once), on that package's UDP transport and transaction layer. The application builds the
 * ACK and the BYE from the 2xx (the package makes no dialog), and acts on the first 2xx of a
 * call only.
 *
 *   node bin/run-ts.js bench/call-rate-npm-sip-uac.ts ADDRESS REMOTE_HOST:PORT CALLS CONCURRENCY WARMUP BUDGET_MS
 *
 * Places WARMUP calls first and prints {"warm": …} (what they gave), waits for a line "go" on
 * stdin, then places CALLS calls, at most CONCURRENCY in flight, and prints one JSON line: ok,
 * failed, failures by cause, elapsedMs (its own clock, from the first INVITE to the last call's
 * end), cpuMs (this process, over the measured calls), sent (datagrams sent, retransmissions
 * included) and errors (what the package reported). Each phase stops starting calls after
 * BUDGET_MS, as our caller does; a call with no final answer within 10 s counts as failed
 * ("timeout"). The state the package keeps for the warm-up calls (its transactions' timers)
 * is still held while the measured calls run.
 *
 * Loopback only: REMOTE_HOST is an IP address, and the ACK and the BYE go to the 2xx's
 * Contact only when that is an IPv4 address in 127.0.0.0/8 (else to the Request-URI), so the
 * package resolves no name.
 */
import { createInterface } from 'node:readline';
import { freeUdpPort, sippLikeSdp } from './call-rate-agents.ts';
import { datagramsSent, type NpmSipMessage, startNpmSip } from './npm-sip-stack.ts';

const address = process.argv[2] ?? '127.0.0.1';
const remote = process.argv[3] ?? '127.0.0.3:5060';
const num = (v: string | undefined, dflt: number) => Math.max(0, Math.round(Number(v ?? dflt)) || 0);
const CALLS = num(process.argv[4], 1000);
const CONCURRENCY = Math.max(1, num(process.argv[5], 50));
const WARMUP = num(process.argv[6], 200);
const BUDGET_MS = Math.max(1000, num(process.argv[7], 15_000));
const CALL_TIMEOUT_MS = 10_000;

const port = await freeUdpPort(address);
const SDP = sippLikeSdp(address);
const uri = `sip:service@${remote};transport=udp`;
const contact = [{ uri: `sip:npm@${address}:${port}` }];
const { stack, errors } = await startNpmSip(address, port, () => {});

/** Where requests inside the call go: the 2xx's Contact when it is on loopback, else the Request-URI. */
function inDialogTarget(rs: NpmSipMessage): string {
  const c = rs.headers.contact?.[0]?.uri;
  return typeof c === 'string' &&
    /^sips?:(?:[^@;]*@)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?(?:;.*)?$/.test(c)
    ? c
    : uri;
}

let callCounter = 0;

/** One call; resolves with '' when it succeeded, or the cause of its failure. */
function oneCall(): Promise<string> {
  const n = ++callCounter;
  const callId = `${n}-${process.pid}@${address}`;
  const from = { uri: contact[0]!.uri, params: { tag: `u${n}` } };
  return new Promise<string>((resolve) => {
    let answered = false;
    const timer = setTimeout(() => resolve('timeout'), CALL_TIMEOUT_MS);
    const end = (cause: string) => {
      clearTimeout(timer);
      resolve(cause);
    };
    stack.send(
      {
        method: 'INVITE',
        uri,
        headers: {
          to: { uri },
          from,
          'call-id': callId,
          cseq: { method: 'INVITE', seq: 1 },
          contact,
          subject: 'Performance Test',
          'content-type': 'application/sdp',
        },
        content: SDP,
      },
      (rs) => {
        if (rs.status < 200) return;
        if (rs.status >= 300) return end(String(rs.status));
        if (answered) return; // a retransmitted 2xx: the ACK and the BYE went already
        answered = true;
        const target = inDialogTarget(rs);
        const inDialog = (method: string, seq: number) => ({
          method,
          uri: target,
          headers: {
            to: rs.headers.to,
            from: rs.headers.from,
            'call-id': callId,
            cseq: { method, seq },
            contact,
          },
        });
        stack.send(inDialog('ACK', 1));
        stack.send(inDialog('BYE', 2), (bye) => {
          if (bye.status < 200) return;
          end(bye.status === 200 ? '' : `BYE ${bye.status}`);
        });
      },
    );
  });
}

/** `calls` calls, at most CONCURRENCY in flight, none started after BUDGET_MS. */
async function place(calls: number) {
  const failures: Record<string, number> = {};
  let ok = 0;
  let started = 0;
  const deadline = performance.now() + BUDGET_MS;
  const worker = async () => {
    while (started < calls && performance.now() < deadline) {
      started++;
      const cause = await oneCall();
      if (cause === '') ok++;
      else failures[cause] = (failures[cause] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, calls) }, worker));
  return { ok, failed: started - ok, failures };
}

const reply = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => {
  lines.on('line', (l) => {
    if (l.trim() === 'go') resolve();
  });
  lines.on('close', () => process.exit(0));
});
const warm = await place(WARMUP);
reply({ warm: true, ...warm, errors: errors() });
await go;
const sent0 = datagramsSent();
const errors0 = errors();
const c0 = process.cpuUsage();
const t0 = performance.now();
const r = await place(CALLS);
const elapsedMs = performance.now() - t0;
const c = process.cpuUsage(c0);
reply({
  ...r,
  elapsedMs,
  cpuMs: (c.user + c.system) / 1000,
  sent: datagramsSent() - sent0,
  errors: errors() - errors0,
});
stack.destroy();
process.exit(0);
