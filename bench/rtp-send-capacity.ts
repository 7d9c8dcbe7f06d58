/**
 * Send capacity: how many concurrent G.711 20 ms streams one Node process (one core) sends
 * with a 99th-percentile send-time error under 1 ms, per scheduler.
 *
 *   node bin/run-ts.js bench/rtp-send-capacity.ts [stepSeconds=2] [modes=all] [leadMs=1.5]
 *
 * `modes` is a comma list of: naive, timers, spin, grid10, grid5, grid5-fill,
 * grid5-fill-sleep, grid5-sleep, grid2.5, ffmpeg, grid5-imm
 * (see MODES below). Each stream is an RtpSession (its own loopback socket, rtcp-mux) playing
 * a tone with the PCMA encoder through `startAudio`, to a sink in a child process (receiving
 * costs the sender nothing). Streams start at scattered times (one every ~7.3 ms, like calls
 * arriving), so a scheduler without a phase grid sees up to 20 distinct phases.
 * Send-time error = the session's clock just before `socket.send` − the packet's due time
 * (start + n·20 ms). Per step: p50/p99/max error, packets counted by the sink, skipped
 * slots, CPU of one core (process.cpuUsage over wall time), clock wakes per second.
 * The count is ramped 1, 50, 100, 200, 400, 700, 1000, 1500, 2000 and a scheduler stops at
 * overload (skipped slots, sink loss, CPU > 90 %) or at its share of the time budget (the
 * references also after two misses in a row). "late wakes" = share of the clock's wakes whose
 * timer fired after the due time (more than `leadMs` late): the machine, not the stream count.
 * Reference in the same run: one naive setInterval(20) per stream (encode + sendPayload),
 * whose schedule is its own first send (start + n·20 ms).
 * The whole run is bounded (~115 s); the budget is split over the schedulers.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pcma } from '../codecs/index.ts';
import { RtpSession, SendClock, type SendClockOptions, type SendStream } from '../harness/media/rtp/index.ts';
import { systemClock } from '../harness/support/clock.ts';

const stepSeconds = Math.min(Math.max(Number(process.argv[2] ?? 2) || 2, 1), 10);
const modeArg = process.argv[3] && process.argv[3] !== 'all' ? process.argv[3].split(',') : undefined;
const LEAD = Math.min(Math.max(Number(process.argv[4] ?? 1.5) || 1.5, 0.2), 5);
const DEBUG = process.env.BENCH_DEBUG === '1';
const COUNTS = [1, 50, 100, 200, 400, 700, 1000, 1500, 2000];
const startedAt = performance.now();
const deadline = startedAt + 115_000;

interface Mode {
  key: string;
  name: string;
  /** undefined = naive setInterval reference (or ffmpeg). */
  clock?: SendClockOptions;
  /** One `ffmpeg -re` process per stream, timed at the sink. */
  ffmpeg?: boolean;
  counts: number[];
}

const MODES: Mode[] = [
  { key: 'naive', name: 'naive setInterval (reference)', counts: COUNTS.slice(0, 3) },
  { key: 'timers', name: 'send-clock, timers only', clock: {}, counts: COUNTS },
  {
    key: 'spin',
    name: `send-clock, lead ${LEAD} ms + spin, no grid`,
    clock: { leadMs: LEAD, approach: 'spin' },
    counts: COUNTS.slice(0, 3),
  },
  {
    key: 'grid10',
    name: `grid 10 ms, lead ${LEAD} ms + spin`,
    clock: { gridMs: 10, leadMs: LEAD, approach: 'spin' },
    counts: COUNTS,
  },
  {
    key: 'grid5',
    name: `grid 5 ms, lead ${LEAD} ms + spin`,
    clock: { gridMs: 5, leadMs: LEAD, approach: 'spin' },
    counts: COUNTS,
  },
  {
    key: 'grid5-fill',
    name: `grid 5 ms, phases filled to 64 first, lead ${LEAD} ms + spin`,
    clock: { gridMs: 5, phaseCapacity: 64, leadMs: LEAD, approach: 'spin' },
    counts: COUNTS,
  },
  {
    key: 'grid5-fill-sleep',
    name: `grid 5 ms, phases filled to 64 first, lead ${LEAD} ms + Atomics.wait, spin 0.2 ms`,
    clock: { gridMs: 5, phaseCapacity: 64, leadMs: LEAD, approach: 'sleep' },
    counts: COUNTS,
  },
  {
    key: 'grid5-sleep',
    name: `grid 5 ms, lead ${LEAD} ms + Atomics.wait, spin 0.2 ms`,
    clock: { gridMs: 5, leadMs: LEAD, approach: 'sleep' },
    counts: COUNTS,
  },
  {
    key: 'grid2.5',
    name: `grid 2.5 ms, lead ${LEAD} ms + spin`,
    clock: { gridMs: 2.5, leadMs: LEAD, approach: 'spin' },
    counts: COUNTS,
  },
  {
    key: 'ffmpeg',
    name: 'ffmpeg -re, one process per stream (reference, sink-side only)',
    ffmpeg: true,
    counts: COUNTS.slice(0, 3),
  },
  {
    key: 'grid5-imm',
    name: `grid 5 ms, lead ${LEAD} ms + setImmediate`,
    clock: { gridMs: 5, leadMs: LEAD, approach: 'immediate' },
    counts: COUNTS,
  },
];
const modes = MODES.filter((m) => !modeArg || modeArg.includes(m.key));

// The sink counts datagrams; between 'r' (start) and 's' (stop) it also notes the arrival
// time and sequence number of each packet per source port, and answers 's' with the
// sink-side spread of the send times: per stream e_n = arrival_n − n·20 ms (n from the
// unwrapped sequence number, from the stream's first packet in the window), error = e_n −
// min(e) — i.e. lateness against the best-case schedule the stream itself shows. Works the
// same for a sender whose due times we do not know (ffmpeg).
const SINK = `
const d = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 16 << 20 });
let n = 0;
let timing;
d.on('message', (m, r) => {
  n++;
  if (!timing || m.length < 12) return;
  const at = performance.now();
  let f = timing.get(r.port);
  if (!f) timing.set(r.port, (f = { at: [], seq: [] }));
  if (f.at.length < 20000) { f.at.push(at); f.seq.push(m.readUInt16BE(2)); }
});
d.bind(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: d.address().port }) + '\\n'));
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  for (const ch of c) {
    if (ch === 'r') { timing = new Map(); process.stdout.write(JSON.stringify({ ok: 1 }) + '\\n'); }
    else if (ch === 's') {
      const errs = [];
      let streams = 0;
      for (const f of (timing ?? new Map()).values()) {
        streams++;
        const e = [];
        let base = f.seq[0], prev = f.seq[0], wrap = 0;
        for (let i = 0; i < f.at.length; i++) {
          if (f.seq[i] < prev && prev - f.seq[i] > 0x8000) wrap += 0x10000;
          prev = f.seq[i];
          e.push(f.at[i] - (f.seq[i] + wrap - base) * 20);
        }
        const min = Math.min(...e);
        for (const x of e) errs.push(x - min);
      }
      timing = undefined;
      errs.sort((a, b) => a - b);
      const q = (p) => errs.length ? errs[Math.min(errs.length - 1, Math.floor(p * errs.length))] : NaN;
      process.stdout.write(JSON.stringify({ streams, samples: errs.length, p50: q(0.5), p99: q(0.99), max: q(1) }) + '\\n');
    } else process.stdout.write(JSON.stringify({ count: n }) + '\\n');
  }
});
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
async function sinkCommand(c: 'r' | 's'): Promise<Record<string, number>> {
  sink.stdin.write(c);
  return nextLine();
}

const tone = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  return n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.floor(p * n))]!;
}

/** CPU seconds (user + system) of a child process so far, from /proc (0 if gone). */
function childCpuS(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** ffmpeg as the sender: one `ffmpeg -re` process per stream, timed by the sink only. */
async function ffmpegStep(count: number) {
  const seconds = stepSeconds + 3 + count * 0.06;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=8000:samples_per_frame=160',
    '-t',
    String(seconds),
    '-c:a',
    'pcm_alaw',
    '-f',
    'rtp',
    `rtp://127.0.0.1:${sinkPort}`,
  ];
  const before = await sinkCount();
  const procs = Array.from({ length: count }, () => spawn('ffmpeg', args, { stdio: 'ignore' }));
  const exited = procs.map((p) => once(p, 'exit').catch(() => undefined));
  await sleep(1500 + count * 40);
  await sinkCommand('r');
  const cpu0 = procs.map((p) => childCpuS(p.pid));
  const wall0 = performance.now();
  await sleep(stepSeconds * 1000);
  const sinkTiming = await sinkCommand('s');
  // Only processes still running at the end count (one that exited has no /proc entry).
  const cpuS = procs.reduce((a, p, i) => {
    const end = childCpuS(p.pid);
    return end > 0 ? a + end - cpu0[i]! : a;
  }, 0);
  const cpuFraction = cpuS / ((performance.now() - wall0) / 1000);
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await Promise.race([Promise.all(exited), sleep(3000)]);
  const received = (await sinkCount()) - before;
  return { sinkTiming, cpuFraction, received };
}

async function step(mode: Mode, count: number) {
  const sendClock = mode.clock ? new SendClock(systemClock, mode.clock) : undefined;
  const sessions = await Promise.all(
    Array.from({ length: count }, () =>
      RtpSession.open({
        localAddress: '127.0.0.1',
        rtcpMux: true,
        rtcpIntervalMs: 0,
        maxEvidence: 0,
        ...(sendClock ? { sendClock } : {}),
      }),
    ),
  );
  for (const s of sessions) s.setRemote('127.0.0.1', sinkPort);
  const rampMs = Math.min(count * 7.3, 500);
  const cap = Math.ceil(count * ((stepSeconds * 1000 + rampMs + 600) / 20 + 10));
  const errs = new Float64Array(cap);
  let n = 0;
  let sent = 0;
  let measuring = false;
  let wall0 = 0;
  const lates: string[] = [];
  const record = (err: number) => {
    sent++;
    if (measuring && n < cap) errs[n++] = err;
    if (DEBUG && measuring && err > 1 && lates.length < 40)
      lates.push(`${(performance.now() - wall0).toFixed(1)}:${err.toFixed(2)}`);
  };
  const encoder = pcma.createEncoder();
  const streams: SendStream[] = [];
  const timers: NodeJS.Timeout[] = [];
  const before = await sinkCount();
  for (let k = 0; k < count; k++) {
    const s = sessions[k]!;
    // Calls arrive at scattered times, not all in the same millisecond.
    const at = (k * 7.3) % rampMs;
    timers.push(
      setTimeout(() => {
        if (!sendClock) {
          let i = 0;
          let first = 0;
          timers.push(
            setInterval(() => {
              const payload = encoder.encode(tone);
              if (s.sendPayload({ payloadType: 8, payload, timestamp: i * 160, marker: i === 0 })) {
                if (i === 0) first = s.lastSendAtMs;
                record(s.lastSendAtMs - (first + i * 20));
              }
              i++;
            }, 20),
          );
          return;
        }
        streams.push(
          s.startAudio({
            encoder,
            payloadType: 8,
            clockRate: 8000,
            ptimeMs: 20,
            next: () => tone,
            onSent: (tick, at) => record(at - tick.dueMs),
          }),
        );
      }, at),
    );
  }
  await sleep(rampMs + 500);
  await sinkCommand('r');
  measuring = true;
  const sent0 = sent;
  const cpu0 = process.cpuUsage();
  wall0 = performance.now();
  const stats0 = { ...(sendClock?.stats ?? { wakes: 0, ticks: 0, spinMs: 0, lateWakes: 0 }) };
  await sleep(stepSeconds * 1000);
  measuring = false;
  const sinkTiming = await sinkCommand('s');
  const wall = performance.now() - wall0;
  const c = process.cpuUsage(cpu0);
  const stats1 = sendClock?.stats ?? stats0;
  const cpuFraction = (c.user + c.system) / 1000 / wall;
  for (const st of streams) st.stop();
  for (const t of timers) clearInterval(t);
  const sentTotal = sent;
  const skipped = streams.reduce((a, st) => a + st.skipped, 0);
  await sleep(200);
  const received = (await sinkCount()) - before;
  await Promise.all(sessions.map((s) => s.close()));
  if (DEBUG)
    console.log(
      `late wakes ${stats1.lateWakes - stats0.lateWakes}; late packets (ms into step:error) ${lates.join(' ')}`,
    );
  const sorted = errs.subarray(0, n).map(Math.abs).sort();
  return {
    count,
    sinkTiming,
    samples: n,
    measuredSent: sent - sent0,
    p50: pct(sorted, 0.5),
    p99: pct(sorted, 0.99),
    max: pct(sorted, 1),
    sent: sentTotal,
    received,
    skipped,
    cpuFraction,
    wakesPerS: ((stats1.wakes - stats0.wakes) * 1000) / wall,
    lateWakes: (stats1.lateWakes - stats0.lateWakes) / Math.max(1, stats1.wakes - stats0.wakes),
    spinFraction: (stats1.spinMs - stats0.spinMs) / wall,
  };
}

const best = new Map<string, { sender: number; sink: number }>();
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (2-core machine); step ${stepSeconds} s measured after the streams started + 0.5 s`,
);
const f3 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3));
for (const [mi, mode] of modes.entries()) {
  // Share what is left of the budget among the schedulers still to run.
  const modeEnd = performance.now() + (deadline - performance.now()) / (modes.length - mi);
  console.log(`\n${mode.name}`);
  console.log(
    'streams | p50 ms | p99 ms | max ms | sink p50 | sink p99 | sink max | p99<1ms sender/sink | sent | sink received | skipped | CPU of one core | spinning | wakes/s | late wakes | load',
  );
  const b = { sender: 0, sink: 0 };
  best.set(mode.name, b);
  let misses = 0;
  for (const count of mode.counts) {
    const stepMs = stepSeconds * 1000 + Math.min(count * 7.3, 500) + 1500 + count * (mode.ffmpeg ? 60 : 0.5);
    if (performance.now() + stepMs > modeEnd) {
      console.log('(time budget of this scheduler reached)');
      break;
    }
    const r = mode.ffmpeg
      ? {
          ...(await ffmpegStep(count)),
          count,
          p50: Number.NaN,
          p99: Number.NaN,
          max: Number.NaN,
          sent: Number.NaN,
          skipped: 0,
          spinFraction: 0,
          wakesPerS: Number.NaN,
          lateWakes: Number.NaN,
        }
      : await step(mode, count);
    if (!mode.clock || !(mode.clock.leadMs ?? mode.clock.spinMs)) r.lateWakes = Number.NaN;
    if (!mode.clock) {
      r.wakesPerS = Number.NaN;
      r.lateWakes = Number.NaN;
    }
    const st = r.sinkTiming;
    // ffmpeg: every stream must have been heard in the window at the full rate.
    const lossless = mode.ffmpeg
      ? st.streams === count && (st.samples ?? 0) >= count * stepSeconds * 50 * 0.98
      : r.received >= r.sent * 0.999;
    const okSender = !mode.ffmpeg && r.p99 < 1 && lossless && r.skipped === 0;
    const okSink = (st.p99 ?? 99) < 1 && lossless && r.skipped === 0;
    console.log(
      `${r.count} | ${f3(r.p50)} | ${f3(r.p99)} | ${f3(r.max)} | ${f3(st.p50)} | ${f3(st.p99)} | ${f3(st.max)} | ${mode.ffmpeg ? '–' : okSender ? 'yes' : 'no'}/${okSink ? 'yes' : 'no'} | ${Number.isNaN(r.sent) ? '–' : r.sent} | ${r.received} | ${r.skipped} | ${(r.cpuFraction * 100).toFixed(0)} % | ${(r.spinFraction * 100).toFixed(0)} % | ${Number.isNaN(r.wakesPerS) ? '–' : r.wakesPerS.toFixed(0)} | ${Number.isNaN(r.lateWakes) ? '–' : `${(r.lateWakes * 100).toFixed(1)} %`} | ${loadavg()[0]!.toFixed(2)}`,
    );
    if (okSender) b.sender = count;
    if (okSink) b.sink = count;
    if (okSender || okSink) misses = 0;
    else if ((++misses >= 2 && !mode.clock) || r.skipped > 0 || !lossless) break;
    if (r.cpuFraction > 0.9) break;
  }
}
console.log('\nlargest stream count with p99 < 1 ms (of the counts tried), sender-side / sink-side:');
for (const [m, c] of best) console.log(`  ${m}: ${c.sender} / ${c.sink}`);
const naive = best.get(MODES[0]!.name);
const ffmpeg = best.get(MODES.find((m) => m.ffmpeg)!.name);
for (const [m, c] of best) {
  if (naive && m !== MODES[0]!.name && !MODES.find((x) => x.name === m)?.ffmpeg)
    console.log(
      `  ratio ${m} / naive setInterval (sender-side): ${naive.sender > 0 ? (c.sender / naive.sender).toFixed(1) : `${c.sender} vs 0`}`,
    );
  if (ffmpeg && m !== MODES.find((x) => x.ffmpeg)!.name && m !== MODES[0]!.name)
    console.log(
      `  ratio ${m} / ffmpeg (sink-side): ${ffmpeg.sink > 0 ? (c.sink / ffmpeg.sink).toFixed(1) : `${c.sink} vs 0`}`,
    );
}
console.log(`run time ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
sink.stdin.end();
await once(sink, 'exit');
