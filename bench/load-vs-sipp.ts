/**
 * `sbc-harness load` and SIPp through the same Kamailio + rtpengine lab (docs/lab.md), in one
 * run: each driven up a step ramp of concurrent calls with RTP both ways, to its knee (ours) or
 * its limit (SIPp), and the two put side by side (bench/RESULTS.md).
 *
 *   node bin/run-ts.js bench/load-vs-sipp.ts [--ours-ramp 5,10,20,40,80] [--sipp-ramp 10,20,40,80,160,320]
 *        [--step-s 20] [--hold-s 5] [--out DIR]
 *
 * Same call for both: the provider side calls the DID of Premium Deskphone 1 (direction `in`),
 * the lab's Kamailio routes it to the OXO trunk's registered contact, rtpengine anchors the media,
 * each side streams audio for the hold time, then the caller sends BYE.
 * - Ours: `sbc-harness load --profile profiles/kamailio-lab.yaml --direction in --ramp …`
 *   (one Node process: provider, OXO and every check), its knee and figures (docs/load.md).
 * - SIPp (3.6, rtp_stream): bench/sipp/uac-rtp-stream.xml from the provider's address
 *   (127.0.40.1, another port than the provider simulator's) to the SBC's WAN side, and
 *   bench/sipp/uas-rtp-stream.xml as the OXO (127.0.50.1:5060), registered as the trunk with
 *   bench/sipp/register-trunk.xml. Both stream a 1 s PCMA tone in a loop. One uac and one uas
 *   process per step: -l C, -r C/hold, -m calls for the step's time. A step is met
 *   when neither side counts a failed call, every call started ended successfully, SIPp made no
 *   retransmission (on loopback a retransmission means a message was late by T1 = 500 ms) and
 *   the INVITE→200 time p95 (-trace_rtt) is below 1 s. SIPp's limit is the highest target before
 *   the first step that missed; the ramp stops there.
 * - For both, the lab's rtpengine log ("Final packet stats", one per call at its BYE) says how
 *   many packets each side of each call sent into the SBC: a call "carried media" when each
 *   direction got at least 90 % of the packets its hold time should carry. This is the SBC's
 *   count, not either tool's: SIPp itself cannot say whether a call's RTP arrived.
 * The lab is started by this script (lab/up, a fresh Kamailio for each tool, RTP ports
 * 41000–44999 so that up to 1000 calls fit) and stopped at the end (lab/down). Every loop is
 * bounded: the ramps by their steps, each process by a timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pcma } from '../codecs/index.ts';
import type { LoadResult } from '../harness/runner/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_DIR = '/tmp/sbc-harness-lab';
const RTP_MAX = 44_999;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}
const oursRamp = arg('ours-ramp', '5,10,20,40,80');
const sippRamp = arg('sipp-ramp', '10,20,40,80,160,320')
  .split(',')
  .map((s) => Number(s.trim()));
const stepS = Number(arg('step-s', '20'));
const holdS = Number(arg('hold-s', '5'));
const out = resolve(
  arg('out', join(ROOT, 'runs', `load-vs-sipp-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
);
if (
  !(stepS > 0 && stepS <= 600 && holdS >= 1 && holdS <= 60) ||
  sippRamp.some((c) => !(c >= 1 && c <= 1000))
) {
  console.error('bad options: --step-s 1..600, --hold-s 1..60, --sipp-ramp values 1..1000');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const env = Object.fromEntries(
  readFileSync(join(ROOT, 'lab/lab.env'), 'utf8')
    .split('\n')
    .filter((l) => /^LAB_\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
) as Record<string, string>;
const WAN = env.LAB_SBC_WAN as string;
const LAN = env.LAB_SBC_LAN as string;
const PROVIDER = env.LAB_PROVIDER_ADDR as string;
const OXO = env.LAB_OXO_ADDR as string;
const DID = '+4930123456100';

const log = (s: string) => process.stderr.write(`${s}\n`);

interface Ran {
  code: number | null;
  stdout: string;
  /** User + system CPU of the command and its children, ms (the shell's `times`). */
  cpuMs?: number;
}

/** Runs a command to its end or `timeoutMs` (then SIGTERM, SIGKILL 3 s later), with its CPU time. */
function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
  cwd = ROOT,
): Promise<Ran> {
  return new Promise((res) => {
    const child = spawn('sh', ['-c', '"$@"; rc=$?; echo; times; exit $rc', 'sh', cmd, ...args], {
      cwd,
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.length > 2_000_000) stdout = stdout.slice(-1_000_000);
    });
    child.stderr?.on('data', () => undefined);
    const t = setTimeout(() => stop(child), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(stdout.trim());
      const cpuMs = m
        ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000
        : undefined;
      res({ code, stdout, ...(cpuMs !== undefined ? { cpuMs } : {}) });
    });
  });
}

function stop(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, 3000).unref();
}

async function labUp(): Promise<void> {
  const r = await run(join(ROOT, 'lab/up'), [], 60_000, { LAB_RTP_MAX: String(RTP_MAX) });
  if (r.code !== 0) throw new Error(`lab/up failed (${r.code}): ${r.stdout.slice(-800)}`);
}

// ------------------------------------------------------------------ rtpengine's count per call

interface MediaCount {
  /** Packets the caller side (provider, WAN) sent into the SBC. */
  wan: number;
  /** Packets the callee side (OXO, LAN) sent into the SBC. */
  lan: number;
}

/** Per Call-ID, the RTP packets rtpengine received on its WAN and LAN ports ("Final packet stats"). */
function rtpengineCounts(file: string): Map<string, MediaCount> {
  const counts = new Map<string, MediaCount>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts;
  }
  const re = /\[([^\]]+)\]: \[core\] -+ Port\s+([\d.]+):\d+ <>\s+\S+\s*,\s*SSRC \w+, (\d+) p,/;
  for (const line of text.split('\n')) {
    if (line.includes('(RTCP)')) continue;
    const m = re.exec(line);
    if (!m) continue;
    const c = counts.get(m[1] as string) ?? { wan: 0, lan: 0 };
    if (m[2] === WAN) c.wan += Number(m[3]);
    else if (m[2] === LAN) c.lan += Number(m[3]);
    counts.set(m[1] as string, c);
  }
  return counts;
}

function carried(c: MediaCount | undefined, expected: number): boolean {
  return c !== undefined && c.wan >= 0.9 * expected && c.lan >= 0.9 * expected;
}

// ------------------------------------------------------------------------------------- ours

interface OursStep {
  target: number;
  peak: number;
  calls: number;
  failed: number;
  bothHeard: number;
  mediaPerSbc: number;
  setupP95?: number;
  mosMin?: number;
  met: boolean;
  missed: string;
}

async function runOurs(): Promise<{
  result?: LoadResult;
  steps: OursStep[];
  cpuMs?: number;
  code: number | null;
}> {
  const dir = join(out, 'ours');
  const ramp = oursRamp.split(',').length;
  const r = await run(
    process.execPath,
    [
      join(ROOT, 'bin/sbc-harness.js'),
      ...['load', '--profile', join(ROOT, 'profiles/kamailio-lab.yaml'), '--direction', 'in'],
      ...['--ramp', oursRamp, '--step-s', String(stepS), '--hold-s', String(holdS), '--calls', '100000'],
      ...['--out', dir],
    ],
    (ramp * stepS + holdS + 120) * 1000,
  );
  writeFileSync(join(out, 'ours-console.txt'), r.stdout);
  copyFileSync(join(RUN_DIR, 'rtpengine.log'), join(out, 'ours-rtpengine.log'));
  let result: LoadResult | undefined;
  try {
    result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as LoadResult;
  } catch {
    log(`ours: no results.json (exit ${r.code})`);
    return { steps: [], code: r.code, ...(r.cpuMs !== undefined ? { cpuMs: r.cpuMs } : {}) };
  }
  const media = rtpengineCounts(join(out, 'ours-rtpengine.log'));
  // Our tone plays for the hold time less the media settle time (docs/load.md, one call).
  const expected = Math.max(0.5, holdS - 0.25) * 50;
  const steps = result.steps.map((s): OursStep => {
    const calls = result.calls.filter((c) => c.step === s.step);
    const a = s.figures.audio;
    const mos = [a.callerToCallee.mos?.min, a.calleeToCaller.mos?.min].filter(
      (x): x is number => x !== undefined,
    );
    return {
      target: s.concurrency,
      peak: s.peakInFlight,
      calls: s.figures.calls,
      failed: s.figures.failedCalls,
      bothHeard: calls.filter((c) => c.audio.length === 2 && c.audio.every((d) => d.heard)).length,
      mediaPerSbc: calls.filter((c) => carried(media.get(c.callIds.caller ?? ''), expected)).length,
      ...(s.figures.setupMs ? { setupP95: s.figures.setupMs.p95 } : {}),
      ...(mos.length > 0 ? { mosMin: Math.min(...mos) } : {}),
      met: s.verdict.met,
      missed: s.verdict.missed.join('; '),
    };
  });
  return { result, steps, code: r.code, ...(r.cpuMs !== undefined ? { cpuMs: r.cpuMs } : {}) };
}

// ------------------------------------------------------------------------------------- SIPp

interface SippStep {
  target: number;
  rate: number;
  offered: number;
  peak: number;
  started: number;
  ok: number;
  failedUac: number;
  failedUas: number;
  retrans: number;
  rtdP95?: number;
  mediaPerSbc: number;
  cpuMs?: number;
  met: boolean;
  missed: string[];
}

/** The rows of a SIPp -trace_stat file, by column name. */
function statRows(file: string): Array<Map<string, string>> {
  let text = '';
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const head = (lines[0] ?? '').split(';');
  return lines.slice(1).map((l) => {
    const f = l.split(';');
    return new Map(head.map((h, i) => [h, f[i] ?? '']));
  });
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

function p95(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

async function sippStep(dir: string, target: number, idx: number): Promise<SippStep> {
  // A little above what -l lets through (each call lasts the hold plus its setup), so -l holds
  // the target concurrency.
  const rate = target / holdS;
  const offered = Math.max(1, Math.round(rate * stepS));
  const tag = `step${idx}-c${target}`;
  const budgetS = stepS + holdS + 30;
  const uas = spawn(
    'sipp',
    [
      ...['-sf', join(ROOT, 'bench/sipp/uas-rtp-stream.xml'), '-i', OXO, '-p', '5060', '-mi', OXO],
      ...['-nostdin', '-timeout', `${budgetS + 10}s`, '-timeout_error'],
      ...['-trace_stat', '-stf', join(dir, `${tag}-uas.csv`), '-fd', '1'],
      ...['-trace_err', '-error_file', join(dir, `${tag}-uas-errors.log`)],
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const uasExit = new Promise<void>((r) => uas.on('close', () => r()));
  await new Promise((r) => setTimeout(r, 500));
  const uac = await run(
    'sipp',
    [
      `${WAN}:5060`,
      ...[
        '-sf',
        join(ROOT, 'bench/sipp/uac-rtp-stream.xml'),
        '-s',
        DID,
        '-i',
        PROVIDER,
        '-p',
        '5070',
        '-mi',
        PROVIDER,
      ],
      ...[
        '-l',
        String(target),
        '-r',
        rate.toFixed(3),
        '-rp',
        '1000',
        '-m',
        String(offered),
        '-d',
        String(holdS * 1000),
      ],
      ...['-nostdin', '-timeout', `${budgetS}s`, '-timeout_error', '-recv_timeout', '10000'],
      ...['-trace_stat', '-stf', join(dir, `${tag}-uac.csv`), '-fd', '1'],
      ...['-trace_rtt', '-rtt_freq', '1', '-trace_err', '-error_file', join(dir, `${tag}-uac-errors.log`)],
    ],
    (budgetS + 15) * 1000,
    {},
    dir,
  );
  // Every call is over once the uac has ended (each BYE answered): stop the uas (SIGUSR1 is
  // SIPp's soft exit), its CPU time read just before.
  await new Promise((r) => setTimeout(r, 1000));
  const uasCpuMs = procCpuMs(uas.pid);
  uas.kill('SIGUSR1');
  const hard = setTimeout(() => uas.kill('SIGKILL'), 10_000);
  await uasExit;
  clearTimeout(hard);
  const uacRows = statRows(join(dir, `${tag}-uac.csv`));
  const last = uacRows[uacRows.length - 1];
  const lastUas = statRows(join(dir, `${tag}-uas.csv`)).at(-1);
  const num = (m: Map<string, string> | undefined, k: string) => Number(m?.get(k) ?? 0) || 0;
  const rtd: number[] = [];
  try {
    const files = (await run('sh', ['-c', `ls ${dir}/uac-rtp-stream_*_rtt.csv 2>/dev/null`], 5000)).stdout
      .split('\n')
      .filter((l) => l.endsWith('.csv'));
    for (const f of files) {
      for (const l of readFileSync(f, 'latin1').split('\n').slice(1)) {
        const [, ms, no] = l.split(';');
        if (no?.trim() === '1' && ms !== undefined) rtd.push(Number(ms));
      }
      const moved = join(dir, `${tag}-uac-rtt.csv`);
      copyFileSync(f, moved);
      await run('rm', ['-f', f], 5000);
    }
  } catch {
    // no rtt file: no call got a 200
  }
  const started = num(last, 'OutgoingCall(C)');
  const ok = num(last, 'SuccessfulCall(C)');
  const failedUac = num(last, 'FailedCall(C)');
  const failedUas = num(lastUas, 'FailedCall(C)');
  const retrans = num(last, 'Retransmissions(C)') + num(lastUas, 'Retransmissions(C)');
  const peak = Math.max(0, ...uacRows.map((m) => num(m, 'CurrentCall')));
  const rtdP95 = p95(rtd);
  const missed: string[] = [];
  if (failedUac + failedUas > 0)
    missed.push(`${failedUac} failed call(s) at the uac, ${failedUas} at the uas`);
  if (ok < started || started < offered)
    missed.push(`${ok} of ${offered} calls offered ended successfully (${started} started)`);
  if (retrans > 0) missed.push(`${retrans} retransmission(s)`);
  if (rtdP95 === undefined || rtdP95 >= 1000)
    missed.push(`INVITE→200 p95 ${rtdP95 ?? '–'} ms, below 1000 ms required`);
  return {
    target,
    rate,
    offered,
    peak,
    started,
    ok,
    failedUac,
    failedUas,
    retrans,
    ...(rtdP95 !== undefined ? { rtdP95 } : {}),
    mediaPerSbc: 0,
    ...(uac.cpuMs !== undefined ? { cpuMs: uac.cpuMs + (uasCpuMs ?? 0) } : {}),
    met: missed.length === 0,
    missed,
  };
}

async function runSipp(): Promise<{ steps: SippStep[]; limit?: number }> {
  const dir = join(out, 'sipp');
  mkdirSync(dir, { recursive: true });
  // The tone both sides stream: 1 s of 1 kHz at -10 dBFS, PCMA.
  const pcm = new Int16Array(8000);
  for (let i = 0; i < pcm.length; i++)
    pcm[i] = Math.round(0.316 * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  writeFileSync(join(dir, 'tone.alaw'), pcma.createEncoder().encode(pcm));
  const reg = await run(
    'sipp',
    [
      `${LAN}:5060`,
      ...['-sf', join(ROOT, 'bench/sipp/register-trunk.xml'), '-i', OXO, '-p', '5062', '-m', '1', '-nostdin'],
      ...['-au', env.LAB_TRUNK_USER as string, '-ap', env.LAB_TRUNK_PASSWORD as string],
      ...[
        '-set',
        'trunk_user',
        env.LAB_TRUNK_USER as string,
        '-set',
        'uas_port',
        '5060',
        '-timeout',
        '10s',
        '-timeout_error',
      ],
    ],
    20_000,
    {},
    dir,
  );
  if (reg.code !== 0) throw new Error(`SIPp could not register the trunk (exit ${reg.code})`);
  const steps: SippStep[] = [];
  for (let i = 0; i < sippRamp.length; i++) {
    const target = sippRamp[i] as number;
    log(`SIPp: step ${i + 1}/${sippRamp.length}, target ${target}`);
    const s = await sippStep(dir, target, i);
    steps.push(s);
    log(
      `  ${s.ok}/${s.offered} ok, peak ${s.peak}, retrans ${s.retrans}, rtd p95 ${s.rtdP95 ?? '–'} ms${s.met ? '' : `; missed: ${s.missed.join('; ')}`}`,
    );
    if (!s.met) break;
  }
  copyFileSync(join(RUN_DIR, 'rtpengine.log'), join(out, 'sipp-rtpengine.log'));
  const media = rtpengineCounts(join(out, 'sipp-rtpengine.log'));
  // SIPp's Call-IDs are N-PID@address; each step is one uac process, so one PID.
  const byPid = new Map<string, { n: number; carried: number }>();
  for (const [cid, c] of media) {
    const pid = /^\d+-(\d+)@/.exec(cid)?.[1];
    if (!pid) continue;
    const e = byPid.get(pid) ?? { n: 0, carried: 0 };
    e.n++;
    if (carried(c, holdS * 50)) e.carried++;
    byPid.set(pid, e);
  }
  // Steps ran in order, so the uac PIDs' order of first Call-ID is the steps' order.
  const order = [...byPid.keys()];
  steps.forEach((s, i) => {
    s.mediaPerSbc = byPid.get(order[i] ?? '')?.carried ?? 0;
  });
  let limit: number | undefined;
  for (const s of steps) {
    if (!s.met) break;
    limit = s.target;
  }
  return { steps, ...(limit !== undefined ? { limit } : {}) };
}

// ------------------------------------------------------------------------------------- main

const f = (x: number | undefined, d = 0) => (x === undefined ? '–' : x.toFixed(d));
const load0 = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
const t0 = performance.now();
log(`out: ${out}; ${cpus().length} CPU(s), load average ${load0}`);
let ours: Awaited<ReturnType<typeof runOurs>> | undefined;
let sipp: Awaited<ReturnType<typeof runSipp>> | undefined;
let loadMid = '';
const missing = (
  await run(
    'sh',
    ['-c', 'for t in sipp kamailio rtpengine; do command -v $t >/dev/null || echo $t; done'],
    5000,
  )
).stdout
  .split('\n')
  .filter((l) => /^[a-z]+$/.test(l.trim()));
if (missing.length > 0) {
  log(
    `skipped: ${missing.join(', ')} not installed (apt-get install sip-tester kamailio rtpengine-daemon; docs/lab.md)`,
  );
  process.exit(0);
}
try {
  await labUp();
  log(`ours: sbc-harness load --direction in --ramp ${oursRamp} --step-s ${stepS} --hold-s ${holdS}`);
  ours = await runOurs();
  loadMid = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  await labUp();
  sipp = await runSipp();
} finally {
  await run(join(ROOT, 'lab/down'), [], 30_000);
}
const load1 = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
const wall = (performance.now() - t0) / 1000;

const lines: string[] = [];
lines.push(
  `Command: \`node bin/run-ts.js bench/load-vs-sipp.ts --ours-ramp ${oursRamp} --sipp-ramp ${sippRamp.join(',')} --step-s ${stepS} --hold-s ${holdS}\``,
  `${cpus().length} CPU(s); load average (1, 5, 15 min) at the start ${load0}, between the tools ${loadMid}, at the end ${load1}; wall ${wall.toFixed(0)} s. Results in ${out}.`,
  '',
  `Ours (\`sbc-harness load\`, exit ${ours?.code}, CPU ${f((ours?.cpuMs ?? 0) / 1000, 1)} s): knee **${ours?.result?.knee ?? 'none'}**${ours?.result?.highestMet !== undefined && ours.result.highestMet !== ours.result.knee ? ` (a later step met the thresholds again at ${ours.result.highestMet})` : ''}.`,
  '',
  '| target | peak in flight | calls | failed | both directions heard (our check) | carried media (rtpengine) | setup p95 ms | MOS min | met |',
  '|---|---|---|---|---|---|---|---|---|',
  ...(ours?.steps ?? []).map(
    (s) =>
      `| ${s.target} | ${s.peak} | ${s.calls} | ${s.failed} | ${s.bothHeard} | ${s.mediaPerSbc} | ${f(s.setupP95)} | ${f(s.mosMin, 2)} | ${s.met ? 'yes' : `no: ${s.missed}`} |`,
  ),
  '',
  `SIPp (rtp_stream, PCMA): limit **${sipp?.limit ?? 'none'}**.`,
  '',
  '| target | rate /s | offered | peak in flight | successful | failed uac / uas | retransmissions | INVITE→200 p95 ms | carried media (rtpengine) | CPU s (uac + uas) | met |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...(sipp?.steps ?? []).map(
    (s) =>
      `| ${s.target} | ${s.rate.toFixed(2)} | ${s.offered} | ${s.peak} | ${s.ok} | ${s.failedUac} / ${s.failedUas} | ${s.retrans} | ${f(s.rtdP95)} | ${s.mediaPerSbc} | ${f((s.cpuMs ?? 0) / 1000, 1)} | ${s.met ? 'yes' : `no: ${s.missed.join('; ')}`} |`,
  ),
);
// Side by side, at the knee (ours) and at the limit (SIPp).
const oursAt = ours?.steps.find((s) => s.target === ours?.result?.knee);
const sippAt = sipp?.steps.find((s) => s.target === sipp?.limit);
const oursCalls = ours?.steps.reduce((a, s) => a + s.calls, 0) ?? 0;
const sippCalls = sipp?.steps.reduce((a, s) => a + s.started, 0) ?? 0;
const sippCpu = sipp?.steps.reduce((a, s) => a + (s.cpuMs ?? 0), 0) ?? 0;
lines.push(
  '',
  '| | ours (`sbc-harness load`) | SIPp (rtp_stream) |',
  '|---|---|---|',
  `| highest step met (knee / limit), concurrent calls | ${ours?.result?.knee ?? 'none'} | ${sipp?.limit ?? 'none'} |`,
  `| calls in that step | ${oursAt?.calls ?? '–'} | ${sippAt?.started ?? '–'} |`,
  `| of them carried media both ways (rtpengine's count) | ${oursAt?.mediaPerSbc ?? '–'} | ${sippAt?.mediaPerSbc ?? '–'} |`,
  `| of them the tool itself judged good | ${oursAt ? `${oursAt.calls - oursAt.failed} (audio both ways heard, MOS, loss, jitter, delay, release: per call)` : '–'} | ${sippAt ? `${sippAt.ok} ended successfully (SIP flow only: nothing about their RTP)` : '–'} |`,
  `| CPU per call over the ramp, ms | ${oursCalls > 0 ? f((ours?.cpuMs ?? 0) / oursCalls, 0) : '–'} (provider, OXO and every check, one process) | ${sippCalls > 0 ? f(sippCpu / sippCalls, 0) : '–'} (uac + uas) |`,
);
const text = `${lines.join('\n')}\n`;
writeFileSync(join(out, 'summary.md'), text);
writeFileSync(
  join(out, 'summary.json'),
  `${JSON.stringify({ load0, loadMid, load1, wall, ours: { ...ours, result: undefined, knee: ours?.result?.knee }, sipp }, null, 2)}\n`,
);
process.stdout.write(text);
if (!existsSync(join(out, 'ours', 'load-report.md'))) process.exitCode = 1;
