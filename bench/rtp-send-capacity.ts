/**
 * Send capacity: how many concurrent G.711 20 ms streams one Node process (one core) sends
 * with a 99th-percentile send-time error under 1 ms.
 *
 *   node bin/run-ts.js bench/rtp-send-capacity.ts [stepSeconds=2] [spinMs=0.5]
 *
 * Each stream is an RtpSession (its own loopback socket, rtcp-mux, A-law encoding of a tone
 * with alawmulaw) sending to a sink in a child process, so receiving costs the sender nothing.
 * Send-time error = performance.now() at the sendPayload() call − the packet's due time
 * (start + n·20 ms). The stream count is ramped (bounded steps); per step: p50/p99/max error,
 * packets counted by the sink, slots skipped. Two schedulers of the same SendClock are
 * compared in the same run: plain timers (spinMs 0) and timers that wake spinMs early
 * (default 0.5 ms) and busy-wait to the due time — precise, but it burns CPU when many
 * distinct due times are close together. As a reference, the same ramp with one naive setInterval
 * per stream (the drift-prone way) is measured too; the figure of merit is the largest
 * count meeting p99 < 1 ms, and its ratio to the naive scheduler's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import alawmulaw from 'alawmulaw';
import { RtpSession, SendClock } from '../harness/media/rtp/index.ts';

const stepSeconds = Math.min(Math.max(Number(process.argv[2] ?? 2) || 2, 1), 10);
const SPIN_MS = Math.min(Math.max(Number(process.argv[3] ?? 0.5) || 0.5, 0.1), 2);
const COUNTS = [1, 50, 100, 200, 400, 700, 1000, 1500, 2000, 3000];
const deadline = performance.now() + 110_000;

const SINK = `
const d = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
let n = 0;
d.on('message', () => { n++; });
d.bind(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: d.address().port }) + '\\n'));
process.stdin.on('data', () => process.stdout.write(JSON.stringify({ count: n }) + '\\n'));
process.stdin.on('end', () => process.exit(0));
`;

const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines: string[] = [];
sink.stdout.setEncoding('utf8');
sink.stdout.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
async function nextLine(): Promise<Record<string, number>> {
  for (let i = 0; i < 500 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return JSON.parse(lines.shift() ?? '{}');
}
const sinkPort = (await nextLine()).port!;
async function sinkCount(): Promise<number> {
  sink.stdin.write('?');
  return (await nextLine()).count ?? 0;
}

const tone = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));

function pct(xs: Float64Array, n: number, p: number): number {
  const s = xs.subarray(0, n).sort();
  return s[Math.min(n - 1, Math.floor(p * n))] ?? Number.NaN;
}

type Mode = 'send-clock' | 'send-clock+spin' | 'naive setInterval';

async function step(mode: Mode, count: number) {
  const sessions = await Promise.all(
    Array.from({ length: count }, () =>
      RtpSession.open({ localAddress: '127.0.0.1', rtcpMux: true, rtcpIntervalMs: 0, maxEvidence: 0 }),
    ),
  );
  for (const s of sessions) s.setRemote('127.0.0.1', sinkPort);
  const cap = Math.ceil(count * (stepSeconds * 50 + 10));
  const errs = new Float64Array(cap);
  let n = 0;
  const warmupUntil = performance.now() + 500;
  const before = await sinkCount();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let sent = 0;
  const send = (s: RtpSession, due: number, ts: number, marker: boolean) => {
    const now = performance.now();
    if (now >= warmupUntil && n < cap) errs[n++] = now - due;
    s.sendPayload({ payloadType: 8, payload: alawmulaw.alaw.encode(tone), timestamp: ts, marker });
    sent++;
  };
  const clock = new SendClock(undefined, { spinMs: mode === 'send-clock+spin' ? SPIN_MS : 0 });
  const intervals: NodeJS.Timeout[] = [];
  const streams = sessions.map((s, k) => {
    const start = performance.now() + (k % 20); // spread streams over the 20 ms
    if (mode === 'naive setInterval') {
      let i = 0;
      const go = () => {
        intervals.push(
          setInterval(() => {
            send(s, start + i * 20, i * 160, i === 0);
            i++;
          }, 20),
        );
      };
      intervals.push(
        setTimeout(go, Math.max(0, start - 20 - performance.now())) as unknown as NodeJS.Timeout,
      );
      return undefined;
    }
    return clock.add({
      ptimeMs: 20,
      clockRate: 8000,
      startMs: start,
      firstTimestamp: 0,
      onTick: (t) => {
        send(s, t.dueMs, t.rtpTimestamp, t.marker);
        return true;
      },
    });
  });
  await new Promise((r) => setTimeout(r, stepSeconds * 1000 + 500));
  for (const st of streams) st?.stop();
  for (const t of intervals) clearInterval(t);
  const c = process.cpuUsage(cpu0);
  const cpuFraction = (c.user + c.system) / 1000 / (performance.now() - wall0);
  const skipped = streams.reduce((a, st) => a + (st?.skipped ?? 0), 0);
  await new Promise((r) => setTimeout(r, 200));
  const received = (await sinkCount()) - before;
  await Promise.all(sessions.map((s) => s.close()));
  const abs = errs.subarray(0, n).map(Math.abs);
  return {
    count,
    samples: n,
    p50: pct(abs, n, 0.5),
    p99: pct(abs, n, 0.99),
    max: pct(abs, n, 1),
    sent,
    received,
    skipped,
    cpuFraction,
  };
}

const best: Record<string, number> = {};
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (2-core machine)`,
);
for (const mode of ['send-clock+spin', 'send-clock', 'naive setInterval'] as Mode[]) {
  console.log(`\n${mode}`);
  console.log(
    'streams | p50 ms | p99 ms | max ms | p99<1ms | sent | sink received | skipped | CPU of one core | load',
  );
  best[mode] = 0;
  let failures = 0;
  // The machine is shared: a step can miss the p99 target from outside load, so the ramp goes
  // on until the sender is overloaded (slots skipped or datagrams lost) or two consecutive
  // steps miss; the naive reference gets a short ramp.
  for (const count of mode === 'naive setInterval' ? COUNTS.slice(0, 3) : COUNTS) {
    if (performance.now() + (stepSeconds + 2) * 1000 > deadline) {
      console.log('(time budget reached)');
      break;
    }
    const r = await step(mode, count);
    const ok = r.p99 < 1 && r.received >= r.sent * 0.999;
    console.log(
      `${r.count} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.max.toFixed(3)} | ${ok ? 'yes' : 'no'} | ${r.sent} | ${r.received} | ${r.skipped} | ${(r.cpuFraction * 100).toFixed(0)} % | ${loadavg()[0]!.toFixed(2)}`,
    );
    if (ok) {
      best[mode] = count;
      failures = 0;
    } else if (
      r.skipped > 0 ||
      r.received < r.sent * 0.999 ||
      (++failures >= 2 && mode === 'naive setInterval')
    )
      break;
    if (r.cpuFraction > 0.9) break;
  }
}
console.log('\nlargest stream count with p99 send error < 1 ms (of the counts tried):');
for (const [m, c] of Object.entries(best)) console.log(`  ${m}: ${c}`);
const naive = best['naive setInterval'] ?? 0;
const ours = Math.max(best['send-clock'] ?? 0, best['send-clock+spin'] ?? 0);
console.log(
  `ratio best send-clock / naive setInterval: ${naive > 0 ? (ours / naive).toFixed(1) : `${ours} vs 0`}`,
);
sink.stdin.end();
await once(sink, 'exit');
