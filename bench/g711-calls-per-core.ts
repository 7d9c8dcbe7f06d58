/**
 * Two-way G.711 calls per core: how many concurrent calls, each with PCMA 20 ms RTP both ways,
 * one CPU core generates, with tshark as the judge of the streams on the wire; ours also checks
 * each direction (tone heard, loss, its own RFC 3550 jitter). SIPp in the same run is the peer.
 *
 *   node bin/run-ts.js bench/g711-calls-per-core.ts [--counts 10,25,50,100,200,400,700,1000] [--hold-s 8]
 *        [--bound-ms 5] [--core 1]
 *
 * - Ours: bench/g711-calls-per-core-ours.ts, N calls = 2N MediaLegs (the harness's own, as
 *   `load` uses them: send clock, RTCP, decoding, 16 kHz recording, the in-band DTMF detector)
 *   in one Node process, pinned to one core with `taskset -c CORE`. No SIP: this is the media path.
 * - SIPp (3.6, rtp_stream): bench/sipp/uac-rtp-stream.xml → bench/sipp/uas-rtp-stream.xml,
 *   both processes pinned to the same one core, N calls held for the hold time, each side
 *   streaming a 1 s PCMA tone in a loop (SIPp's RTP threads pace the packets). SIPp has SIP
 *   signalling on top, a little extra work for it; it checks nothing it receives.
 * - The judge, the same for both: dumpcap on the loopback (not pinned) captures each step's RTP
 *   (PCMA packets only: `udp[9] & 0x7f = 8`, so RTCP never makes tshark take a flow for RTCP),
 *   `tshark -q -z rtp,streams` (RTP heuristic tried before the port-registered dissectors, so an
 *   ephemeral port that happens to be some protocol's own is still read as RTP) gives per stream the packets, the lost count and RFC 3550 jitter
 *   (mean and max of the running estimate). A step is met when all 2N streams are there, none
 *   lost a packet, each carried at least 95 % of the hold time's packets, the 99th percentile
 *   over streams of the mean jitter is below the bound (5 ms by default: a tenth of a typical
 *   40–60 ms jitter buffer; the table gives the figures for any other bound), and, ours only, every
 *   direction heard its tone. A tool's figure is the highest N before its first missed step.
 * Every process has a timeout; the ramp stops at the first missed step of each tool.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pcma } from '../codecs/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}
const COUNTS = arg('counts', '10,25,50,100,200,400,700,1000')
  .split(',')
  .map((s) => Math.round(Number(s)))
  .filter((n) => n >= 1 && n <= 1000);
const HOLD_S = Math.min(Math.max(Number(arg('hold-s', '8')) || 8, 2), 30);
const BOUND_MS = Math.min(Math.max(Number(arg('bound-ms', '5')) || 5, 0.1), 50);
const CORE = String(Math.min(Math.max(Math.round(Number(arg('core', '1'))), 0), cpus().length - 1));
const OURS = ['127.0.63.1', '127.0.63.2'] as const;
const SIPP = ['127.0.64.1', '127.0.64.2'] as const;
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Stream {
  pkts: number;
  lost: number;
  meanJitterMs: number;
  maxJitterMs: number;
}

interface Step {
  n: number;
  streams: number;
  lost: number;
  minShare: number;
  meanJitterP99: number;
  maxJitterP99: number;
  captureDropped: number;
  cpuShare?: number;
  heard?: number;
  ownJitterP99?: number;
  met: boolean;
  missed: string[];
}

function p99(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] as number;
}

/** Starts dumpcap on the loopback for `filter`; resolves once it captures. */
async function capture(file: string, filter: string): Promise<ChildProcess> {
  const p = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-w', file, '-q', '-a', 'duration:120'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    p.stderr?.on('data', (d: Buffer) => {
      if (d.toString().includes('File:')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return p;
}

/** Stops dumpcap; returns the packets it says the interface dropped. */
async function stopCapture(p: ChildProcess): Promise<number> {
  let err = '';
  p.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<void>((r) => p.on('close', () => r()));
  p.kill('SIGINT');
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  const m = /received\/dropped on interface[^:]*: \d+\/(\d+)/.exec(err);
  return m ? Number(m[1]) : 0;
}

/** tshark's RTP streams of a capture (G.711 A-law ones). */
function rtpStreams(file: string): Stream[] {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-o',
      'rtp.heuristic_rtp:TRUE',
      '-o',
      'udp.try_heuristic_first:TRUE',
      '-q',
      '-z',
      'rtp,streams',
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const out: Stream[] = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    // … SSRC Payload Pkts Lost (x%) MinΔ MeanΔ MaxΔ MinJ MeanJ MaxJ [X]
    const m =
      /0x[0-9A-Fa-f]+\s+g711A\s+(\d+)\s+(-?\d+)\s+\([^)]*\)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)/.exec(
        line,
      );
    if (m)
      out.push({
        pkts: Number(m[1]),
        lost: Number(m[2]),
        meanJitterMs: Number(m[3]),
        maxJitterMs: Number(m[4]),
      });
  }
  return out;
}

function judge(
  n: number,
  streams: Stream[],
  dropped: number,
): Omit<Step, 'met' | 'missed'> & { missed: string[] } {
  const expected = (HOLD_S * 1000) / 20;
  const real = streams.filter((s) => s.pkts >= 0.5 * expected);
  const missed: string[] = [];
  const lost = real.reduce((a, s) => a + Math.max(0, s.lost), 0);
  const minShare = real.length > 0 ? Math.min(...real.map((s) => s.pkts / expected)) : 0;
  const meanJitterP99 = p99(real.map((s) => s.meanJitterMs));
  const maxJitterP99 = p99(real.map((s) => s.maxJitterMs));
  if (real.length < 2 * n) missed.push(`${real.length} of ${2 * n} streams`);
  if (lost > 0) missed.push(`${lost} packets lost`);
  if (minShare < 0.95) missed.push(`a stream carried ${(100 * minShare).toFixed(0)} % of its packets`);
  if (!(meanJitterP99 <= BOUND_MS)) missed.push(`p99 jitter ${meanJitterP99.toFixed(2)} ms`);
  if (dropped > 0) missed.push(`the capture dropped ${dropped} packets (not judged)`);
  return {
    n,
    streams: real.length,
    lost,
    minShare,
    meanJitterP99,
    maxJitterP99,
    captureDropped: dropped,
    missed,
  };
}

async function oursStep(dir: string, n: number): Promise<Step> {
  const file = join(dir, `ours-${n}.pcapng`);
  const cap = await capture(
    file,
    `udp and (src host ${OURS[0]} or src host ${OURS[1]}) and udp[9] & 0x7f = 8`,
  );
  const r = spawnSync(
    'taskset',
    [
      '-c',
      CORE,
      process.execPath,
      join(ROOT, 'bin/run-ts.js'),
      join(ROOT, 'bench/g711-calls-per-core-ours.ts'),
      String(n),
      String(HOLD_S * 1000),
      ...OURS,
    ],
    { encoding: 'utf8', timeout: (HOLD_S + 60) * 1000 },
  );
  const dropped = await stopCapture(cap);
  let own: { heard: number; cpuShare: number; jitterP99Ms: number } | undefined;
  try {
    own = JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '');
  } catch {
    own = undefined;
  }
  const j = judge(n, rtpStreams(file), dropped);
  rmSync(file, { force: true });
  if (!own) j.missed.push(`our process gave no result (exit ${r.status}): ${(r.stderr ?? '').slice(-300)}`);
  else if (own.heard < 2 * n) j.missed.push(`${2 * n - own.heard} directions did not hear their tone`);
  return {
    ...j,
    ...(own ? { cpuShare: own.cpuShare, heard: own.heard, ownJitterP99: own.jitterP99Ms } : {}),
    met: j.missed.length === 0,
  };
}

/** User + system CPU of a running process so far, ms (/proc/PID/stat, 100 ticks a second). */
function procCpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

async function sippStep(dir: string, n: number): Promise<Step> {
  const file = join(dir, `sipp-${n}.pcapng`);
  const cap = await capture(
    file,
    `udp and (src host ${SIPP[0]} or src host ${SIPP[1]}) and not port 5060 and not port 5070`,
  );
  const budget = HOLD_S + 40;
  const uas = spawn(
    'taskset',
    [
      '-c',
      CORE,
      'sipp',
      '-sf',
      join(ROOT, 'bench/sipp/uas-rtp-stream.xml'),
      '-i',
      SIPP[1],
      '-p',
      '5060',
      '-mi',
      SIPP[1],
      '-nostdin',
      '-timeout',
      `${budget}s`,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  const uac = spawn(
    'taskset',
    [
      '-c',
      CORE,
      'sipp',
      `${SIPP[1]}:5060`,
      ...[
        '-sf',
        join(ROOT, 'bench/sipp/uac-rtp-stream.xml'),
        '-s',
        '4940555001',
        '-i',
        SIPP[0],
        '-p',
        '5070',
        '-mi',
        SIPP[0],
      ],
      ...['-l', String(n), '-r', String(Math.max(1, n)), '-m', String(n), '-d', String(HOLD_S * 1000)],
      ...['-nostdin', '-timeout', `${budget}s`, '-timeout_error'],
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  let uacCpu: number | undefined;
  let uasCpu: number | undefined;
  const poll = setInterval(() => {
    uacCpu = procCpuMs(uac.pid) ?? uacCpu;
    uasCpu = procCpuMs(uas.pid) ?? uasCpu;
  }, 250);
  await new Promise<void>((r) => uac.on('close', () => r()));
  const wallMs = performance.now() - t0;
  clearInterval(poll);
  uas.kill('SIGTERM');
  await Promise.race([new Promise((r) => uas.on('close', r)), new Promise((r) => setTimeout(r, 3000))]);
  uas.kill('SIGKILL');
  const dropped = await stopCapture(cap);
  const j = judge(n, rtpStreams(file), dropped);
  rmSync(file, { force: true });
  // taskset execs sipp, so the pid is SIPp's own; its last polled figure is at most 250 ms old.
  const cpu = (uacCpu ?? 0) + (uasCpu ?? 0);
  return { ...j, ...(cpu > 0 ? { cpuShare: cpu / wallMs } : {}), met: j.missed.length === 0 };
}

const dir = mkdtempSync(join(tmpdir(), 'g711-per-core-'));
const pcm = new Int16Array(8000);
for (let i = 0; i < pcm.length; i++)
  pcm[i] = Math.round(0.316 * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
writeFileSync(join(dir, 'tone.alaw'), pcma.createEncoder().encode(pcm));
const loadStart = loadavg()[0]?.toFixed(2);
const ours: Step[] = [];
const sipp: Step[] = [];
let oursDone = false;
let sippDone = false;
for (const n of COUNTS) {
  if (!oursDone) {
    log(`ours: ${n} calls…`);
    const s = await oursStep(dir, n);
    ours.push(s);
    oursDone = !s.met;
  }
  if (!sippDone) {
    log(`SIPp: ${n} calls…`);
    const s = await sippStep(dir, n);
    sipp.push(s);
    sippDone = !s.met;
  }
  if (oursDone && sippDone) break;
}
rmSync(dir, { recursive: true, force: true });
const limit = (steps: Step[]) => {
  let best = 0;
  for (const s of steps) {
    if (!s.met) break;
    best = s.n;
  }
  return best;
};
const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const row = (tool: string, s: Step) =>
  `| ${tool} | ${s.n} | ${s.streams}/${2 * s.n} | ${s.lost} | ${f(100 * s.minShare, 0)} % | ${f(s.meanJitterP99)} | ${f(s.maxJitterP99)} | ${s.heard ?? '–'} | ${f(s.ownJitterP99)} | ${f(s.cpuShare === undefined ? undefined : 100 * s.cpuShare, 0)} % | ${s.met ? 'met' : `missed: ${s.missed.join('; ')}`} |`;
const lo = limit(ours);
const ls = limit(sipp);
console.log(
  [
    `Two-way G.711 calls on one core (taskset -c ${CORE}), hold ${HOLD_S} s, bound: p99 over streams of tshark's mean RFC 3550 jitter ≤ ${BOUND_MS} ms; ${cpus().length} cores, load ${loadStart} → ${loadavg()[0]?.toFixed(2)}.`,
    '',
    '| tool | calls | streams | lost | least packets | p99 mean jitter ms | p99 max jitter ms | directions heard | own p99 jitter ms | CPU of the core | step |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...ours.map((s) => row('ours', s)),
    ...sipp.map((s) => row('SIPp', s)),
    '',
    `Ours: **${lo}** calls; SIPp: **${ls}** calls; ratio ours/SIPp ${ls > 0 ? (lo / ls).toFixed(2) : 'undefined'}.`,
  ].join('\n'),
);
