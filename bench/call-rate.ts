/**
 * Loopback call rate: our SIP stack against SIPp, each end against each end.
 *
 *   node bin/run-ts.js bench/call-rate.ts [calls=1000] [concurrency=50] [runs=3] [rate=100] [latencyCalls=200] [configs]
 *
 * (configs: comma-separated ids among ours-1p, ours-2p, sipp, ours-uac, ours-uas, node-floor, npm-sip,
 * npm-sip-uac; default all.)
 *
 * Every call is SIPp's built-in flow (sipp -sd uac / -sd uas): INVITE with SDP, 180, 200 with
 * SDP, ACK, BYE at once (duration 0), 200; UDP only, loopback only. Configurations:
 *   ours→ours (1 process)  our caller on 127.0.0.1, our callee on 127.0.0.2, both in this process;
 *   ours→ours (2 processes) the callee in a child (`bench/call-rate-uas.ts`);
 *   SIPp→SIPp              `sipp -sn uac -i 127.0.0.4 … -l L -m N -d 0` → `sipp -sn uas -i 127.0.0.3`;
 *   ours→SIPp              our caller against SIPp's uas: measures our UAC;
 *   SIPp→ours              SIPp's uac against our callee (child process): measures our UAS;
 *   SIPp→bare Node         SIPp's uac against `bench/call-rate-floor-uas.ts` (child process), as
 *                          little as a Node process on dgram can do to answer it (no SIP stack):
 *                          a floor estimate for callees written on Node, beside our UAS's figure;
 *   SIPp→npm sip           SIPp's uac against `bench/call-rate-npm-sip-uas.ts` (child process), a
 *                          callee on another Node SIP stack (npm "sip" 0.0.6): what a SIP stack
 *                          written for Node costs here, beside ours;
 *   npm sip→SIPp           `bench/call-rate-npm-sip-uac.ts` (child process), a caller on that stack,
 *                          against SIPp's uas (throughput phase only: it has no fixed rate).
 * Phase 1 (throughput): N calls, at most L in flight, as fast as they go (SIPp's -r set far above
 * what it reaches, so -l is the only limit); calls/s = successful calls / elapsed time, from our
 * clock for our caller (first INVITE to last BYE's 200), from the npm "sip" caller's own clock
 * (the same span) for it, and from SIPp's statistics file
 * (-trace_stat: StartTime to the final CurrentTime, SuccessfulCall(C)) for SIPp's uac.
 * Phase 2 (latency): calls offered at a fixed rate; INVITE→200 time, from our clock or from SIPp's
 * ResponseTime1 (SIPp keeps whole milliseconds per sample).
 * CPU per call, the steadier figure on a shared machine: our processes' process.cpuUsage() over
 * the run; SIPp's uac from the shell's `times` after it exits; SIPp's uas from /proc/PID/stat
 * before and after the run. Runs of the configurations are interleaved (round robin) so that
 * load from other work spreads over all of them; medians are over runs.
 * Our processes are warmed up first with 200 unmeasured calls, or CALL_RATE_WARMUP from the
 * environment; the bench's own Node flags (e.g. --cpu-prof) apply to its child callee too.
 * CALL_RATE_PIN=1 in the environment runs every caller on CPU 0 and every callee on CPU 1.
 * Prints markdown tables on stdout, progress on stderr.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UserAgent } from '../harness/sip/user-agent.ts';
import { probeTool } from '../harness/support/host-tools.ts';
import {
  type CallerResult,
  freeUdpPort,
  runCaller,
  startCallee,
  transactionBudget,
  waitBound,
} from './call-rate-agents.ts';

/** Argument i, rounded and clamped to [lo, hi]; absent or not a number: dflt (0 is a value: latencyCalls 0 skips the latency phase). */
const arg = (i: number, dflt: number, lo: number, hi: number) => {
  const v = Number(process.argv[i] ?? dflt);
  return Math.min(Math.max(Math.round(Number.isFinite(v) ? v : dflt), lo), hi);
};
const CALLS = arg(2, 1000, 10, 20_000);
const CONCURRENCY = arg(3, 50, 1, 500);
const RUNS = arg(4, 3, 1, 9);
const RATE = arg(5, 100, 1, 2000);
const LATENCY_CALLS = arg(6, 200, 0, 5000);
/** The whole benchmark stops starting new work after this long. */
const TOTAL_BUDGET_MS = 150_000;
/** One run stops starting calls after this long. */
const RUN_BUDGET_MS = 15_000;
const CALL_TIMEOUT_MS = 10_000;
/**
 * Calls made, and not counted, to warm up (JIT) this process at start and each child callee:
 * 200, or CALL_RATE_WARMUP from the environment. 200 leaves part of a fresh child callee's JIT
 * compilation inside the measured 1000 calls (bench/notes/call-rate.md, December 2026).
 */
const WARMUP_CALLS = Math.max(Math.round(Number(process.env.CALL_RATE_WARMUP ?? 200)) || 0, 0);
/** SIPp's -r in throughput runs: far above what it reaches, so only -l limits it. */
const SIPP_FLOOD_RATE = 100_000;

const OUR_UAC = '127.0.0.1';
const OUR_UAS = '127.0.0.2';
const SIPP_UAS = '127.0.0.3';
const SIPP_UAC = '127.0.0.4';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAX_TX = transactionBudget(Math.max(CALLS, LATENCY_CALLS));
/**
 * CALL_RATE_PIN=1: every caller runs on CPU 0 and every callee on CPU 1 (taskset), in every
 * configuration alike: this process (our caller, with all its threads) and SIPp's uac on 0;
 * SIPp's uas, our child callee and the floor on 1. Left to the scheduler, one process of ours
 * measured 0.12 ms per call and the next 0.24 on this VM; pinned, 0.115–0.132 over 18 runs
 * (bench/notes/call-rate.md, seventh round). Off by default: figures from before it stay
 * comparable.
 */
const PIN = process.env.CALL_RATE_PIN === '1';
const CALLER_CPU = '0';
const CALLEE_CPU = '1';
function tasksetPresent(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
/** `cmd args`, run on `cpu` when pinning. */
function onCpu(cpu: string, cmd: string, args: string[]): [string, string[]] {
  return PIN ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
}
if (PIN) {
  if (cpus().length < 2 || !tasksetPresent()) {
    console.error('CALL_RATE_PIN=1 needs two CPUs and taskset (util-linux)');
    process.exit(2);
  }
  // -a: every thread of this process (V8's and libuv's helpers); threads made later inherit it.
  execFileSync('taskset', ['-a', '-p', '-c', CALLER_CPU, String(process.pid)], { stdio: 'ignore' });
}
const benchStart = performance.now();
const overBudget = () => performance.now() - benchStart > TOTAL_BUDGET_MS;
/** This run's budget: RUN_BUDGET_MS, cut to what is left of the whole benchmark's (at least 1 s). */
const runBudgetMs = () =>
  Math.max(1000, Math.min(RUN_BUDGET_MS, TOTAL_BUDGET_MS - (performance.now() - benchStart)));
const log = (s: string) => process.stderr.write(`${s}\n`);

type ConfigId =
  | 'ours-1p'
  | 'ours-2p'
  | 'sipp'
  | 'ours-uac'
  | 'ours-uas'
  | 'node-floor'
  | 'npm-sip'
  | 'npm-sip-uac';
const CONFIGS: Array<{
  id: ConfigId;
  label: string;
  uac: string;
  uas: string;
  needsSipp: boolean;
  throughputOnly?: boolean;
}> = [
  { id: 'ours-1p', label: 'ours→ours (1 process)', uac: 'ours', uas: 'ours', needsSipp: false },
  { id: 'ours-2p', label: 'ours→ours (2 processes)', uac: 'ours', uas: 'ours (child)', needsSipp: false },
  { id: 'sipp', label: 'SIPp→SIPp', uac: 'SIPp', uas: 'SIPp', needsSipp: true },
  { id: 'ours-uac', label: 'ours→SIPp', uac: 'ours', uas: 'SIPp', needsSipp: true },
  { id: 'ours-uas', label: 'SIPp→ours', uac: 'SIPp', uas: 'ours (child)', needsSipp: true },
  { id: 'node-floor', label: 'SIPp→bare Node', uac: 'SIPp', uas: 'bare Node (child)', needsSipp: true },
  { id: 'npm-sip', label: 'SIPp→npm sip', uac: 'SIPp', uas: 'npm "sip" 0.0.6 (child)', needsSipp: true },
  {
    id: 'npm-sip-uac',
    label: 'npm sip→SIPp',
    uac: 'npm "sip" 0.0.6 (child)',
    uas: 'SIPp',
    needsSipp: true,
    // It places calls as fast as they go; the latency phase's fixed rate is not built in.
    throughputOnly: true,
  },
];

/** One run of one configuration. */
interface RunResult {
  ok: number;
  failed: number;
  failures: Record<string, number>;
  elapsedMs: number;
  uacCpuMs?: number;
  uasCpuMs?: number;
  /** Retransmissions: SIPp's Retransmissions(C) counter, or our messages sent beyond the flow's. */
  retrans: number;
  /** INVITE→200, ms: mean (and percentiles when we measured each call). */
  setupMeanMs?: number;
  setupP50Ms?: number;
  setupP99Ms?: number;
  measuredBy: 'ours' | 'SIPp' | 'npm sip';
}

interface Mode {
  /** Offered calls/s; absent: closed loop at CONCURRENCY. */
  rate?: number;
  calls: number;
}

// ---------------------------------------------------------------- helpers

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function fmt(x: number | undefined, digits = 1): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** Waits until `child` exits (true) or `ms` pass (false). */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Ends a child we started: SIGTERM, then SIGKILL if it lingers. */
async function endChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await exited(child, 3000))) {
    child.kill('SIGKILL');
    await exited(child, 2000);
  }
}

/** User + system CPU of a live process from /proc, ms; undefined when unreadable. */
function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3; utime and stime are fields 14 and 15 (clock ticks, 100 Hz).
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) * 10;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- SIPp

interface SippUas {
  port: number;
  cpuMs(): number | undefined;
  /** The end of SIPp's error log (-trace_err): unexpected messages, retransmission give-ups. */
  errors(): string;
  stop(): Promise<void>;
}

async function startSippUas(dir: string): Promise<SippUas> {
  const port = await freeUdpPort(SIPP_UAS);
  const mp = await freeUdpPort(SIPP_UAS, 3);
  const errorFile = join(dir, `uas-${port}-errors.log`);
  const args = [
    ...['-sn', 'uas', '-i', SIPP_UAS, '-p', String(port), '-mp', String(mp), '-nostdin'],
    ...['-trace_err', '-error_file', errorFile],
  ];
  const child = spawn(...onCpu(CALLEE_CPU, 'sipp', args), { cwd: dir, stdio: 'ignore' });
  if (!(await waitBound(SIPP_UAS, port, 5000))) {
    await endChild(child);
    throw new Error(`SIPp uas did not bind ${SIPP_UAS}:${port}`);
  }
  return {
    port,
    cpuMs: () => procCpuMs(child.pid),
    errors: () => {
      try {
        return readFileSync(errorFile, 'latin1').slice(-1500);
      } catch {
        return '';
      }
    },
    stop: () => endChild(child),
  };
}

/** Fields of the last line of SIPp's -trace_stat file, by column name. */
function lastStatLine(file: string): Map<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  return new Map(head.map((h, i) => [h, last[i] ?? '']));
}

/** SIPp's "date\ttime\tepoch" timestamp, as epoch seconds. */
const epochOf = (v: string | undefined) => Number(v?.split('\t')[2]);
/** SIPp's "HH:MM:SS:uuuuuu" duration, as ms. */
function durationMs(v: string | undefined): number {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec(v ?? '');
  if (!m) return Number.NaN;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]) / 1000;
}

interface SippUacResult {
  code: number | null;
  ok: number;
  failed: number;
  elapsedMs: number;
  retrans: number;
  rtdMeanMs: number;
  cpuMs?: number;
  output: string;
}

/** Runs SIPp's uac to `remote` until `calls` calls are done (bounded by SIPp's -timeout and ours). */
async function runSippUac(dir: string, remote: string, mode: Mode): Promise<SippUacResult> {
  const port = await freeUdpPort(SIPP_UAC);
  const mp = await freeUdpPort(SIPP_UAC, 3);
  const statFile = join(dir, `uac-${port}.csv`);
  const outFile = join(dir, `uac-${port}.out`);
  const args = [
    ...['-sn', 'uac', '-i', SIPP_UAC, '-p', String(port), '-mp', String(mp), remote],
    ...['-r', String(mode.rate ?? SIPP_FLOOD_RATE), '-rp', '1000', '-l', String(CONCURRENCY)],
    ...['-m', String(mode.calls), '-d', '0', '-nostdin'],
    ...['-timeout', `${Math.ceil((runBudgetMs() + CALL_TIMEOUT_MS) / 1000)}s`, '-timeout_error'],
    ...['-trace_stat', '-stf', statFile],
  ];
  // The shell reports SIPp's CPU time (`times`: its children's user and system time) after it exits.
  // (taskset execs sipp in the same process: `times` still counts SIPp alone.)
  const run = PIN ? `taskset -c ${CALLER_CPU} sipp` : 'sipp';
  const child = spawn('sh', ['-c', `${run} "$@" >"$OUT" 2>&1; rc=$?; times; exit $rc`, 'sh', ...args], {
    cwd: dir,
    env: { ...process.env, OUT: outFile },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let times = '';
  child.stdout?.on('data', (d: Buffer) => {
    times += d.toString();
  });
  const finished = await exited(child, RUN_BUDGET_MS + CALL_TIMEOUT_MS + 15_000);
  if (!finished) await endChild(child);
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(times.trim());
  const cpuMs = m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : undefined;
  const s = lastStatLine(statFile);
  let output = '';
  try {
    output = readFileSync(outFile, 'latin1');
  } catch {
    // SIPp wrote nothing
  }
  const num = (k: string) => Number(s?.get(k) ?? Number.NaN);
  return {
    code: child.exitCode,
    ok: num('SuccessfulCall(C)') || 0,
    failed: num('FailedCall(C)') || 0,
    elapsedMs: (epochOf(s?.get('CurrentTime')) - epochOf(s?.get('StartTime'))) * 1000,
    retrans: num('Retransmissions(C)') || 0,
    rtdMeanMs: durationMs(s?.get('ResponseTime1(C)')),
    ...(cpuMs !== undefined ? { cpuMs } : {}),
    output,
  };
}

// ---------------------------------------------------------------- children

/**
 * The JSON lines a child prints on stdout, one per call of the function returned: it waits for
 * the next line (a line that is not JSON is skipped), and fails after `ms`, or at once when the
 * child's output ends (it exited or crashed). A wait that failed takes no later line.
 */
function jsonLines(child: ChildProcess, what: string): (ms: number) => Promise<Record<string, unknown>> {
  const rl: Interface = createInterface({ input: child.stdout! });
  type Waiter = { take(o: Record<string, unknown>): void; fail(err: Error): void };
  const queue: Waiter[] = [];
  let ended = false;
  rl.on('line', (line) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    queue.shift()?.take(o);
  });
  rl.on('close', () => {
    ended = true;
    for (const w of queue.splice(0)) w.fail(new Error(`${what} exited without answering`));
  });
  return (ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (ended) {
        reject(new Error(`${what} exited without answering`));
        return;
      }
      const w: Waiter = {
        take: (o) => {
          clearTimeout(t);
          resolve(o);
        },
        fail: (err) => {
          clearTimeout(t);
          reject(err);
        },
      };
      const t = setTimeout(() => {
        const i = queue.indexOf(w);
        if (i >= 0) queue.splice(i, 1);
        reject(new Error(`${what} did not answer in time`));
      }, ms);
      queue.push(w);
    });
}

/**
 * A caller on another Node SIP stack (npm "sip" 0.0.6; bench/call-rate-npm-sip-uac.ts) in a
 * child process, against `remote`: its warm-up calls, then the measured ones, with SIPp's uas
 * CPU read around the measured ones only.
 */
async function runNpmSipCaller(remote: string, uas: SippUas, mode: Mode): Promise<RunResult> {
  const child = spawn(
    ...onCpu(CALLER_CPU, process.execPath, [
      ...process.execArgv,
      'bin/run-ts.js',
      'bench/call-rate-npm-sip-uac.ts',
      OUR_UAC,
      remote,
      String(mode.calls),
      String(CONCURRENCY),
      String(WARMUP_CALLS),
      String(runBudgetMs()),
    ]),
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  // A child that exited has closed its input: what is written after it fails (EPIPE), harmlessly.
  child.stdin?.on('error', () => {});
  const next = jsonLines(child, 'the npm "sip" caller');
  try {
    // Its start (a Node process with the tsx loader) and warm-up, then the measured calls:
    // each phase stops starting calls after the run's budget.
    const warm = await next(30_000 + runBudgetMs() + 2 * CALL_TIMEOUT_MS);
    if (Number(warm.failed) > 0 || Number(warm.errors) > 0)
      log(`  npm "sip" caller warm-up: ${warm.failed} failed, ${warm.errors} errors reported by the package`);
    const before = uas.cpuMs();
    const result = next(runBudgetMs() + 2 * CALL_TIMEOUT_MS);
    child.stdin?.write('go\n');
    const r = await result;
    const after = uas.cpuMs();
    const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : 0);
    if (n('errors') > 0) log(`  npm "sip" caller: ${n('errors')} errors reported by the package`);
    const res: RunResult = {
      ok: n('ok'),
      failed: n('failed'),
      failures: (r.failures ?? {}) as Record<string, number>,
      elapsedMs: n('elapsedMs'),
      uacCpuMs: n('cpuMs'),
      retrans: Math.max(0, n('sent') - 3 * n('ok')),
      measuredBy: 'npm sip',
    };
    if (before !== undefined && after !== undefined) res.uasCpuMs = after - before;
    return res;
  } finally {
    child.stdin?.end();
    if (!(await exited(child, 3000))) await endChild(child);
  }
}

// ---------------------------------------------------------------- our callee in a child process

interface ChildCallee {
  port: number;
  command(cmd: 'reset' | 'stats'): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function startChildCallee(script = 'bench/call-rate-uas.ts'): Promise<ChildCallee> {
  const child = spawn(
    // The bench's own Node flags (e.g. --cpu-prof) apply to the child callee too.
    ...onCpu(CALLEE_CPU, process.execPath, [
      ...process.execArgv,
      'bin/run-ts.js',
      script,
      OUR_UAS,
      String(MAX_TX),
    ]),
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  // A child that exited has closed its input: what is written after it fails (EPIPE), harmlessly.
  child.stdin?.on('error', () => {});
  const next = jsonLines(child, `the child callee (${script})`) as (
    ms: number,
  ) => Promise<Record<string, number>>;
  const stop = async () => {
    child.stdin?.end('quit\n');
    if (!(await exited(child, 3000))) await endChild(child);
  };
  let ready: Record<string, number>;
  try {
    ready = await next(30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port: Number(ready.ready),
    command: (cmd) => {
      const p = next(10_000);
      child.stdin?.write(`${cmd}\n`);
      return p;
    },
    stop,
  };
}

// ---------------------------------------------------------------- one run per configuration

function fromCaller(r: CallerResult, measuredBy: 'ours'): RunResult {
  return {
    ok: r.ok,
    failed: r.failed,
    failures: r.failures,
    elapsedMs: r.elapsedMs,
    uacCpuMs: r.cpuMs,
    retrans: r.extraSends,
    setupMeanMs: mean(r.setupMs),
    setupP50Ms: quantile(r.setupMs, 0.5),
    setupP99Ms: quantile(r.setupMs, 0.99),
    measuredBy,
  };
}

async function ourCaller(): Promise<UserAgent> {
  return UserAgent.start({
    listen: [{ protocol: 'UDP', address: OUR_UAC, port: 0 }],
    contactUser: 'uac',
    maxTransactions: MAX_TX,
  });
}

function callerOptions(uri: string, mode: Mode) {
  return {
    uri,
    calls: mode.calls,
    concurrency: CONCURRENCY,
    ...(mode.rate !== undefined ? { rate: mode.rate } : {}),
    budgetMs: runBudgetMs(),
    callTimeoutMs: CALL_TIMEOUT_MS,
  };
}

/** Runs WARMUP_CALLS unmeasured calls from a fresh caller of ours to `uri`. */
async function warmUp(uri: string): Promise<void> {
  const ua = await ourCaller();
  try {
    const r = await runCaller(ua, callerOptions(uri, { calls: WARMUP_CALLS }));
    if (r.failed > 0) log(`  warm-up: ${r.failed} of ${WARMUP_CALLS} calls failed${failureText([r])}`);
  } finally {
    await ua.stop();
  }
}

async function runConfig(id: ConfigId, mode: Mode, dir: string): Promise<RunResult> {
  switch (id) {
    case 'ours-1p': {
      const callee = await startCallee(OUR_UAS, MAX_TX);
      const uac = await ourCaller();
      try {
        const r = await runCaller(uac, callerOptions(`sip:service@${OUR_UAS}:${callee.port}`, mode));
        // One process: the CPU time covers both ends; it is reported on the UAC side.
        const res = fromCaller(r, 'ours');
        res.retrans += Math.max(0, callee.ua.transport.stats.sent - 3 * callee.counters.byes);
        return res;
      } finally {
        await uac.stop();
        await callee.ua.stop();
      }
    }
    case 'ours-2p': {
      const callee = await startChildCallee();
      const uac = await ourCaller();
      try {
        await warmUp(`sip:service@${OUR_UAS}:${callee.port}`);
        await callee.command('reset');
        const r = await runCaller(uac, callerOptions(`sip:service@${OUR_UAS}:${callee.port}`, mode));
        const st = await callee.command('stats');
        const res = fromCaller(r, 'ours');
        res.uasCpuMs = st.cpuMs;
        res.retrans += Math.max(0, (st.sent ?? 0) - 3 * (st.byes ?? 0));
        return res;
      } finally {
        await uac.stop();
        await callee.stop();
      }
    }
    case 'ours-uac': {
      const uas = await startSippUas(dir);
      const uac = await ourCaller();
      try {
        const before = uas.cpuMs();
        const r = await runCaller(uac, callerOptions(`sip:service@${SIPP_UAS}:${uas.port}`, mode));
        const after = uas.cpuMs();
        if (r.failed > 0) log(`  SIPp uas error log (end):\n${uas.errors()}`);
        const res = fromCaller(r, 'ours');
        if (before !== undefined && after !== undefined) res.uasCpuMs = after - before;
        return res;
      } finally {
        await uac.stop();
        await uas.stop();
      }
    }
    case 'npm-sip-uac': {
      const uas = await startSippUas(dir);
      try {
        return await runNpmSipCaller(`${SIPP_UAS}:${uas.port}`, uas, mode);
      } finally {
        await uas.stop();
      }
    }
    case 'sipp':
    case 'ours-uas':
    case 'node-floor':
    case 'npm-sip': {
      const sippUas = id === 'sipp' ? await startSippUas(dir) : undefined;
      const ourUas =
        id === 'ours-uas'
          ? await startChildCallee()
          : id === 'node-floor'
            ? await startChildCallee('bench/call-rate-floor-uas.ts')
            : id === 'npm-sip'
              ? await startChildCallee('bench/call-rate-npm-sip-uas.ts')
              : undefined;
      try {
        if (ourUas) {
          await warmUp(`sip:service@${OUR_UAS}:${ourUas.port}`);
          await ourUas.command('reset');
        }
        const before = sippUas?.cpuMs();
        const remote = sippUas ? `${SIPP_UAS}:${sippUas.port}` : `${OUR_UAS}:${ourUas?.port}`;
        const u = await runSippUac(dir, remote, mode);
        const after = sippUas?.cpuMs();
        const st = ourUas ? await ourUas.command('stats') : undefined;
        if (u.code !== 0) log(`  sipp uac exited ${u.code}: ${u.output.slice(-600)}`);
        const res: RunResult = {
          ok: u.ok,
          failed: u.failed + Math.max(0, mode.calls - u.ok - u.failed),
          failures: u.failed ? { sipp: u.failed } : {},
          elapsedMs: u.elapsedMs,
          retrans: u.retrans + (st ? Math.max(0, (st.sent ?? 0) - 3 * (st.byes ?? 0)) : 0),
          setupMeanMs: u.rtdMeanMs,
          measuredBy: 'SIPp',
        };
        if (u.cpuMs !== undefined) res.uacCpuMs = u.cpuMs;
        if (before !== undefined && after !== undefined) res.uasCpuMs = after - before;
        if (st) res.uasCpuMs = st.cpuMs;
        return res;
      } finally {
        await sippUas?.stop();
        await ourUas?.stop();
      }
    }
  }
}

// ---------------------------------------------------------------- main

const sippPresent = probeTool('sipp').available;
/** Optional 7th argument: a comma-separated subset of configuration ids (default: all). */
const only = process.argv[7]?.split(',').filter((x) => x.length > 0);
const configs = CONFIGS.filter((c) => (sippPresent || !c.needsSipp) && (!only || only.includes(c.id)));
if (!sippPresent) log('sipp is not installed: only our stack is measured (apt-get install sip-tester)');

async function phase(mode: Mode, title: string): Promise<Map<ConfigId, RunResult[]>> {
  const inPhase = configs.filter((c) => mode.rate === undefined || !c.throughputOnly);
  const results = new Map<ConfigId, RunResult[]>(inPhase.map((c) => [c.id, []]));
  const dir = mkdtempSync(join(tmpdir(), 'call-rate-'));
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const c of inPhase) {
        if (overBudget()) {
          log(`time budget reached: skipping ${title} ${c.label} run ${run}`);
          continue;
        }
        try {
          const r = await runConfig(c.id, mode, dir);
          results.get(c.id)!.push(r);
          const cps = r.ok / (r.elapsedMs / 1000);
          log(
            `${title} run ${run} ${c.label}: ${r.ok} ok, ${r.failed} failed, ${fmt(r.elapsedMs / 1000, 2)} s, ` +
              `${fmt(cps, 0)} calls/s, setup ${fmt(r.setupMeanMs, 2)} ms`,
          );
        } catch (err) {
          log(`${title} run ${run} ${c.label}: error ${(err as Error).message}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const cpsOf = (r: RunResult) => (r.elapsedMs > 0 ? r.ok / (r.elapsedMs / 1000) : Number.NaN);
const perCall = (r: RunResult, cpu: number | undefined) =>
  cpu !== undefined && r.ok > 0 ? cpu / r.ok : undefined;
function medianOf(rs: RunResult[], f: (r: RunResult) => number | undefined): number {
  return median(rs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x)));
}
function failureText(rs: Array<{ failures: Record<string, number> }>): string {
  const all: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.failures)) all[k] = (all[k] ?? 0) + v;
  const s = Object.entries(all)
    .map(([k, v]) => `${k}×${v}`)
    .join(', ');
  return s ? ` (${s})` : '';
}

log(
  `call-rate: ${CALLS} calls, concurrency ${CONCURRENCY}, ${RUNS} runs; latency: ${LATENCY_CALLS} calls at ${RATE}/s`,
);
{
  // Warm up this process (caller and callee code) once, unmeasured.
  const callee = await startCallee(OUR_UAS, MAX_TX);
  try {
    await warmUp(`sip:service@${OUR_UAS}:${callee.port}`);
  } finally {
    await callee.ua.stop();
  }
}
const through = await phase({ calls: CALLS }, 'throughput');
const latency = LATENCY_CALLS > 0 ? await phase({ calls: LATENCY_CALLS, rate: RATE }, 'latency') : undefined;

const sippCps = medianOf(through.get('sipp') ?? [], cpsOf);
const out: string[] = [];
out.push(
  `### Throughput: ${CALLS} calls, at most ${CONCURRENCY} in flight, call duration 0 (UDP on loopback; median of ${RUNS} runs)`,
  '',
  '| configuration | UAC | UAS | calls/s (median) | calls/s per run | ok / failed (all runs) | retransmissions (all runs) | ratio to SIPp→SIPp | UAC CPU ms/call | UAS CPU ms/call |',
  '| --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: |',
);
for (const c of configs) {
  const rs = through.get(c.id) ?? [];
  const cps = medianOf(rs, cpsOf);
  const ok = rs.reduce((a, r) => a + r.ok, 0);
  const failed = rs.reduce((a, r) => a + r.failed, 0);
  const uacCpu = medianOf(rs, (r) => perCall(r, r.uacCpuMs));
  const uasCpu = medianOf(rs, (r) => perCall(r, r.uasCpuMs));
  out.push(
    `| ${c.label} | ${c.uac} | ${c.uas} | ${fmt(cps, 0)} | ${rs.map((r) => fmt(cpsOf(r), 0)).join(', ')} | ` +
      `${ok} / ${failed}${failureText(rs)} | ${rs.reduce((a, r) => a + r.retrans, 0)} | ${fmt(cps / sippCps, 3)} | ` +
      `${c.id === 'ours-1p' ? `${fmt(uacCpu, 3)} (both ends)` : fmt(uacCpu, 3)} | ${c.id === 'ours-1p' ? '—' : fmt(uasCpu, 3)} |`,
  );
}

// CPU per call of each side, ours against SIPp's counterpart facing the same peer.
const side = (id: ConfigId, f: (r: RunResult) => number | undefined) => medianOf(through.get(id) ?? [], f);
if (sippPresent) {
  const sippUac = side('sipp', (r) => perCall(r, r.uacCpuMs));
  const sippUas = side('sipp', (r) => perCall(r, r.uasCpuMs));
  const ourUac = side('ours-uac', (r) => perCall(r, r.uacCpuMs));
  const ourUas = side('ours-uas', (r) => perCall(r, r.uasCpuMs));
  const floorUas = side('node-floor', (r) => perCall(r, r.uasCpuMs));
  const npmSipUas = side('npm-sip', (r) => perCall(r, r.uasCpuMs));
  const npmSipUac = side('npm-sip-uac', (r) => perCall(r, r.uacCpuMs));
  out.push(
    '',
    '### CPU time per call, each side against SIPp at the other end (median of runs)',
    '',
    '| side | Node stack ms/call | SIPp ms/call | ratio Node stack/SIPp |',
    '| --- | ---: | ---: | ---: |',
    `| UAC (ours→SIPp vs SIPp→SIPp) | ${fmt(ourUac, 3)} | ${fmt(sippUac, 3)} | ${fmt(ourUac / sippUac, 1)} |`,
    `| UAS (SIPp→ours vs SIPp→SIPp) | ${fmt(ourUas, 3)} | ${fmt(sippUas, 3)} | ${fmt(ourUas / sippUas, 1)} |`,
  );
  if (Number.isFinite(floorUas))
    out.push(
      `| UAS floor: bare Node, no SIP stack (SIPp→bare Node vs SIPp→SIPp) | ${fmt(floorUas, 3)} | ${fmt(sippUas, 3)} | ${fmt(floorUas / sippUas, 1)} |`,
    );
  if (Number.isFinite(npmSipUac))
    out.push(
      `| UAC on another Node SIP stack, npm "sip" 0.0.6 (npm sip→SIPp vs SIPp→SIPp) | ${fmt(npmSipUac, 3)} | ${fmt(sippUac, 3)} | ${fmt(npmSipUac / sippUac, 1)} |`,
    );
  if (Number.isFinite(npmSipUas))
    out.push(
      `| UAS on another Node SIP stack, npm "sip" 0.0.6 (SIPp→npm sip vs SIPp→SIPp) | ${fmt(npmSipUas, 3)} | ${fmt(sippUas, 3)} | ${fmt(npmSipUas / sippUas, 1)} |`,
    );
  if (Number.isFinite(floorUas))
    out.push(
      '',
      `Within 2x SIPp's uas a Node callee has ${fmt(2 * sippUas - floorUas, 3)} ms per call for everything above the floor ` +
        `(parsing, transactions, dialogs, timers, evidence); our UAS spends ${fmt(ourUas - floorUas, 3)} ms there.`,
    );
  if (Number.isFinite(npmSipUas) || Number.isFinite(npmSipUac))
    out.push(
      '',
      'The npm "sip" agents do less per call than ours: that stack keeps no dialog (its caller builds the ACK and the BYE ' +
        'from the 2xx itself), and its callee leaves the 2xx retransmission until the ACK to the application.',
    );
}

if (latency) {
  out.push(
    '',
    `### Latency: ${LATENCY_CALLS} calls offered at ${RATE} calls/s (at most ${CONCURRENCY} in flight; median over ${RUNS} runs)`,
    '',
    '| configuration | INVITE→200 mean ms | p50 ms | p99 ms | measured by | ok / failed (all runs) | achieved calls/s |',
    '| --- | ---: | ---: | ---: | --- | --- | ---: |',
  );
  for (const c of configs.filter((x) => !x.throughputOnly)) {
    const rs = latency.get(c.id) ?? [];
    const bySipp = rs[0]?.measuredBy === 'SIPp';
    const meanMs = medianOf(rs, (r) => r.setupMeanMs);
    // SIPp keeps whole milliseconds (its average too): 0 means "under 1 ms".
    const meanText = bySipp ? (meanMs === 0 ? '< 1' : `≈ ${fmt(meanMs, 0)}`) : fmt(meanMs, 2);
    const p50 = fmt(
      medianOf(rs, (r) => r.setupP50Ms),
      2,
    );
    const p99 = fmt(
      medianOf(rs, (r) => r.setupP99Ms),
      2,
    );
    const okFailed = `${rs.reduce((a, r) => a + r.ok, 0)} / ${rs.reduce((a, r) => a + r.failed, 0)}${failureText(rs)}`;
    const by = rs.length === 0 ? '—' : bySipp ? "SIPp's uac (whole ms)" : 'our uac';
    out.push(
      `| ${c.label} | ${meanText} | ${p50} | ${p99} | ${by} | ${okFailed} | ${fmt(medianOf(rs, cpsOf), 0)} |`,
    );
  }
}
out.push(
  '',
  `Ratio = calls/s of the configuration / calls/s of SIPp→SIPp (below 1: slower than SIPp). ` +
    `Total run time ${fmt((performance.now() - benchStart) / 1000, 0)} s; host load average at the end: ` +
    `${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (${cpus().length} cores)` +
    (PIN ? '; pinned: callers on CPU 0, callees on CPU 1 (CALL_RATE_PIN=1).' : '.'),
);
process.stdout.write(`${out.join('\n')}\n`);
