/**
 * Over-the-wire fuzz of every listening actor: mutated SIP over UDP and TCP into the provider
 * simulator, the embedded reference SBC's WAN and LAN sides and the OXO simulator, each in its
 * own process; then each process must be alive, back within 10 % of its start in RSS and open
 * fds, every listener must answer, and a normal call must go through the SBC.
 *
 *   node bin/run-ts.js bench/wire-fuzz.ts [--messages 100000] [--rate 1000] [--max-seconds S]
 *     [--tcp-share 0.4] [--peer-share 0.25] [--clean-share 0.05] [--tcp-hold 100]
 *     [--settle-seconds 120] [--tolerance 0.1] [--warmup 2000] [--seed N] [--json FILE] [--no-netns]
 *
 * 100 000 messages (the default) is the CI size; `--messages 1000000` the nightly one.
 *
 * Processes (the lab of profiles/embedded.yaml moved to 127.0.94.x, provider side, and
 * 127.0.95.x, PBX side): the provider and the OXO trunk run in bench/wire-fuzz-actor.ts (the same
 * Lab as `sbc-harness sim provider|oxo`, with an IPC channel to place and check the normal
 * call); the SBC is `sbc-harness sbc --profile …`, the command a user runs.
 *
 * The run, every step bounded in time:
 * 1. start the three processes; the SBC registers its line, the OXO its trunk;
 * 2. a normal call (pstn1 → deskphone1's DID, a tone each way, both heard) warms them up; the
 *    cold start figures (/proc: VmRSS, fds, CPU); a warm-up fuzz of `--warmup` messages (2% of
 *    the CI size) until no simulator call is up; then the start figures of each process, which
 *    the run is judged against (processes that have run the fuzz's code paths once: JIT, heap
 *    sizing, allocator arenas; the growth from the cold start is reported beside it);
 * 3. the fuzz: `--messages` messages in all, at most `--rate` a second, stopped after
 *    `--max-seconds` (default 3 × messages / rate, at least 300 s). Each message is a seed of
 *    bench/wire-fuzz-mutator.ts aimed at one listener (INVITE, REGISTER, BYE, … and stray
 *    responses), mutated (one to four of bit flips, truncation, junk, duplicated lines, huge or
 *    many headers, bad Content-Length, random methods, random bytes) or, for `--clean-share`,
 *    left well-formed. Sources are 127.0.96.1–16 and, for `--peer-share`, the address of the
 *    listener's real peer (the OXO's towards the LAN side, the provider's towards the WAN side),
 *    with an ephemeral port. `--tcp-share` of the messages go over TCP in connections of one to
 *    twenty messages: whole, split into random chunks, half-sent then reset, trickled a few bytes
 *    at a time (≤ 1 s), garbage, 100–300 KB headers, or connect-and-close; at most 128
 *    connections at once, each reset by us 300 ms after its last write (3 s at most). `--tcp-hold` more connections stay open
 *    with half a message for the whole fuzz, then are reset.
 * 4. settle: every second, up to `--settle-seconds`, the figures again (every 10 s and at the
 *    end after a full GC, like the start's, that SIGUSR2 triggers through
 *    bench/wire-fuzz-gc-hook.mjs, so that garbage is not taken for a leak), until every process is
 *    back within `--tolerance` of its start (growth only; see bench/wire-fuzz-measure.ts) and
 *    the simulators hold no call up; 120 s by default, because the longest legitimate tail of a
 *    fuzz call is the simulators' ring bound (30 s here) followed by a 2xx never ACKed, which
 *    its dialog keeps for 64×T1 = 32 s (RFC 3261 §13.3.1.4) before its BYE;
 * 5. every listener answers an OPTIONS (any status, within 20 s) from 127.0.97.1 (UDP and TCP; the OXO
 *    listens on UDP only); the normal call again.
 * Prints a summary, writes it as JSON (default runs/wire-fuzz/<time>.json), exits 1 when a
 * condition failed, 2 when the lab could not be set up.
 *
 * Network: when `unshare -rn` works the whole bench re-runs itself in a new network namespace
 * with only a loopback interface, so that no mutated address can lead an actor to send
 * anywhere else. With `--no-netns` (or no user namespaces) it stays on the host's loopback and
 * sends only messages whose every host is a 127.x literal (the others are counted and skipped).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  fdKinds,
  judgeRecovery,
  mib,
  type ProcSample,
  pct,
  type Recovery,
  sampleProc,
} from './wire-fuzz-measure.ts';
import {
  type FuzzSource,
  type FuzzTarget,
  loopbackOnly,
  MUTATIONS,
  type MutationName,
  mutateMessage,
  Rng,
  seedMessage,
  TCP_LIMITS,
  UDP_LIMITS,
} from './wire-fuzz-mutator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---------- options ----------

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function num(name: string, dflt: number, lo: number, hi: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  return Number.isFinite(v) ? Math.min(Math.max(v, lo), hi) : dflt;
}
function str(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const MESSAGES = Math.round(num('messages', 100_000, 100, 10_000_000));
const RATE = num('rate', 1000, 10, 50_000);
const MAX_SECONDS = num('max-seconds', Math.max(300, Math.ceil((3 * MESSAGES) / RATE)), 10, 86_400);
const TCP_SHARE = num('tcp-share', 0.4, 0, 1);
const PEER_SHARE = num('peer-share', 0.25, 0, 1);
const CLEAN_SHARE = num('clean-share', 0.05, 0, 1);
const TCP_HOLD = Math.round(num('tcp-hold', 100, 0, 900));
const WARMUP = Math.round(num('warmup', 2000, 0, 100_000));
const SETTLE_S = num('settle-seconds', 120, 0, 600);
const TOLERANCE = num('tolerance', 0.1, 0, 10);
const SEED = Math.round(num('seed', Date.now() % 1_000_000_007, 0, 2 ** 32 - 1));
const JSON_OUT =
  str('json') ?? join(ROOT, 'runs', 'wire-fuzz', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const NO_NETNS = flag('no-netns');
const MAX_TCP_INFLIGHT = 128;
const TCP_JOB_MS = 3000;

const log = (s: string) =>
  process.stderr.write(`[wire-fuzz ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------- network namespace ----------

if (!NO_NETNS && process.env.WIRE_FUZZ_NETNS !== '1') {
  const probe = spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  if (probe.status === 0) {
    const args = [
      '-rn',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      process.execPath,
      join(ROOT, 'bin', 'run-ts.js'),
      join(ROOT, 'bench', 'wire-fuzz.ts'),
      ...process.argv.slice(2),
    ];
    const r = spawnSync('unshare', args, { stdio: 'inherit', env: { ...process.env, WIRE_FUZZ_NETNS: '1' } });
    process.exit(r.status ?? 1);
  }
  log('no network namespace (unshare -rn failed): on the host loopback, loopback-only messages');
}
const IN_NETNS = process.env.WIRE_FUZZ_NETNS === '1';

// ---------- the lab ----------

const PROVIDER = '127.0.94.1';
const SBC_WAN = '127.0.94.2';
const OXO = '127.0.95.1';
const SBC_LAN = '127.0.95.2';
const FUZZ_SOURCES = Array.from({ length: 16 }, (_, i) => `127.0.96.${i + 1}`);
const PROBE_SOURCE = '127.0.97.1';
const DID = '+4930123456100';
const PSTN_TONE = 1000;
const OXO_TONE = 600;

interface Listener {
  name: 'provider' | 'sbc-wan' | 'sbc-lan' | 'oxo';
  /** The process it lives in. */
  proc: 'provider' | 'sbc' | 'oxo';
  target: FuzzTarget;
  protocols: Array<'UDP' | 'TCP'>;
  /** Its real peer's address (a source the listener trusts most). */
  peer: string;
}

const LISTENERS: Listener[] = [
  {
    name: 'provider',
    proc: 'provider',
    target: {
      host: PROVIDER,
      port: 5060,
      users: ['+4940555001', '+4940555002', '+4940555999', '+4930123456', '0040555001'],
      registrar: { user: '+4930123456', realm: 'provider.test' },
    },
    protocols: ['UDP', 'TCP'],
    peer: SBC_WAN,
  },
  {
    name: 'sbc-wan',
    proc: 'sbc',
    target: {
      host: SBC_WAN,
      port: 5060,
      users: [DID, '+4930123456101', '+4930123456000', '+4930123456', '100'],
    },
    protocols: ['UDP', 'TCP'],
    peer: PROVIDER,
  },
  {
    name: 'sbc-lan',
    proc: 'sbc',
    target: {
      host: SBC_LAN,
      port: 5060,
      users: ['+4940555001', '040555001', '0040555001', '+4940555999', '100'],
      registrar: { user: 'oxo-trunk', realm: SBC_LAN },
    },
    protocols: ['UDP', 'TCP'],
    peer: OXO,
  },
  {
    name: 'oxo',
    proc: 'oxo',
    target: { host: OXO, port: 5060, users: [DID, '+4930123456101', '+4930123456110', '100', '9'] },
    protocols: ['UDP'],
    peer: SBC_LAN,
  },
];

function writeProfile(dir: string): string {
  const text = readFileSync(join(ROOT, 'profiles', 'embedded.yaml'), 'utf8').replace(
    /127\.0\.(10|20)\./g,
    (_, n: string) => `127.0.${n === '10' ? 94 : 95}.`,
  );
  const file = join(dir, 'wire-fuzz.yaml');
  writeFileSync(file, text);
  return file;
}

interface Child {
  name: 'provider' | 'sbc' | 'oxo';
  proc: ChildProcess;
  pid: number;
  stdout: string;
  stderrBytes: number;
  stderrLines: number;
  /** The last lines of stderr (bounded). */
  tail: string[];
  /** Lines of stderr by pino message (at most 40 distinct). */
  logReasons: Map<string, number>;
  exit: { code: number | null; signal: string | null } | undefined;
  pending: Map<number, (r: Record<string, unknown>) => void>;
}

let nextId = 1;

function startChild(name: Child['name'], args: string[], ipc: boolean): Child {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    // SIGUSR2 runs a full GC in the actor (bench/wire-fuzz-gc-hook.mjs) before each reading.
    env: {
      ...process.env,
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --expose-gc --import=${pathToFileURL(join(ROOT, 'bench', 'wire-fuzz-gc-hook.mjs')).href}`.trim(),
    },
  });
  const c: Child = {
    name,
    proc,
    pid: proc.pid ?? 0,
    stdout: '',
    stderrBytes: 0,
    stderrLines: 0,
    tail: [],
    logReasons: new Map(),
    exit: undefined,
    pending: new Map(),
  };
  proc.stdout?.on('data', (d: Buffer) => {
    if (c.stdout.length < 100_000) c.stdout += d.toString();
  });
  let partial = '';
  proc.stderr?.on('data', (d: Buffer) => {
    c.stderrBytes += d.length;
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    c.stderrLines += lines.length;
    for (const line of lines) {
      const m = /"msg":"([^"]{0,120})/.exec(line);
      const key = m ? (m[1] as string) : line.slice(0, 60);
      if (c.logReasons.has(key) || c.logReasons.size < 40)
        c.logReasons.set(key, (c.logReasons.get(key) ?? 0) + 1);
    }
    c.tail.push(...lines.slice(-20));
    if (c.tail.length > 20) c.tail.splice(0, c.tail.length - 20);
    if (partial.length > 4000) partial = partial.slice(-4000);
  });
  proc.on('message', (m: Record<string, unknown>) => {
    const id = Number(m.id);
    const f = c.pending.get(id);
    if (f) {
      c.pending.delete(id);
      f((m.result ?? {}) as Record<string, unknown>);
    }
  });
  proc.on('exit', (code, signal) => {
    c.exit = { code, signal };
    for (const f of c.pending.values()) f({ ok: false, reason: `process exited (${code ?? signal})` });
    c.pending.clear();
  });
  return c;
}

function ask(c: Child, cmd: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    if (c.exit || !c.proc.connected) {
      resolve({ ok: false, reason: 'process not running' });
      return;
    }
    const id = nextId++;
    const t = setTimeout(() => {
      c.pending.delete(id);
      resolve({ ok: false, reason: `no answer to ${String(cmd.cmd)} within ${timeoutMs} ms` });
    }, timeoutMs);
    c.pending.set(id, (r) => {
      clearTimeout(t);
      resolve(r);
    });
    c.proc.send({ id, ...cmd });
  });
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

async function startLab(profile: string): Promise<Record<Child['name'], Child>> {
  const actorScript = ['bin/run-ts.js', 'bench/wire-fuzz-actor.ts'];
  let ready = false;
  const provider = startChild('provider', [...actorScript, 'provider', profile], true);
  provider.proc.once('message', () => {
    ready = true;
  });
  if (!(await waitUntil(() => ready || provider.exit !== undefined, 30_000)) || provider.exit)
    throw new Error(`the provider did not start: ${provider.tail.join('\n')}`);
  const sbc = startChild('sbc', ['bin/sbc-harness.js', 'sbc', '--profile', profile], false);
  if (
    !(await waitUntil(() => sbc.stdout.includes('ready; Ctrl-C stops') || sbc.exit !== undefined, 30_000)) ||
    sbc.exit
  )
    throw new Error(`the SBC did not start: ${sbc.stdout}\n${sbc.tail.join('\n')}`);
  ready = false;
  const oxo = startChild('oxo', [...actorScript, 'oxo', profile], true);
  oxo.proc.once('message', () => {
    ready = true;
  });
  if (!(await waitUntil(() => ready || oxo.exit !== undefined, 30_000)) || oxo.exit)
    throw new Error(`the OXO did not start: ${oxo.tail.join('\n')}`);
  const line = await ask(provider, { cmd: 'waitLine' }, 35_000);
  if (!line.ok) throw new Error(`the SBC did not register its line at the provider: ${JSON.stringify(line)}`);
  const reg = await ask(oxo, { cmd: 'register' }, 45_000);
  if (!reg.ok) throw new Error(`the OXO trunk did not register at the SBC: ${JSON.stringify(reg)}`);
  return { provider, sbc, oxo };
}

/** SIGTERM to each process, SIGKILL to one still there after 40 s; seconds each took to exit. */
async function stopLab(children: Child[]): Promise<Record<string, number | null>> {
  const t0 = Date.now();
  const took: Record<string, number | null> = {};
  for (const c of children)
    if (!c.exit) {
      c.proc.kill('SIGTERM');
      c.proc.once('exit', () => {
        took[c.name] = (Date.now() - t0) / 1000;
      });
    }
  await waitUntil(() => children.every((c) => c.exit !== undefined), 40_000);
  for (const c of children)
    if (!c.exit) {
      c.proc.removeAllListeners('exit');
      c.proc.once('exit', (code, signal) => {
        c.exit = { code, signal };
      });
      took[c.name] = null;
      c.proc.kill('SIGKILL');
    }
  await waitUntil(() => children.every((c) => c.exit !== undefined), 5000);
  return took;
}

// ---------- the normal call ----------

interface NormalCall {
  ok: boolean;
  detail: string;
}

async function normalCall(lab: Record<Child['name'], Child>): Promise<NormalCall> {
  const before = await ask(lab.oxo, { cmd: 'calls', since: 1_000_000 }, 5000);
  const since = Number(before.total ?? 0);
  const p = await ask(
    lab.provider,
    { cmd: 'call', did: DID, toneHz: PSTN_TONE, expectHz: OXO_TONE, holdMs: 3000 },
    40_000,
  );
  if (!p.ok) return { ok: false, detail: `pstn1 → ${DID}: ${String(p.reason)}` };
  // The extension measures what it heard when the call ends (at the provider's BYE).
  let rec: Record<string, unknown> | undefined;
  for (let i = 0; i < 50 && !rec; i++) {
    const r = await ask(lab.oxo, { cmd: 'calls', since }, 5000);
    const calls = (r.calls ?? []) as Array<Record<string, unknown>>;
    rec = calls.find((c) => c.ended === true);
    if (!rec) await sleep(100);
  }
  const heardAt = (x: Record<string, unknown>) =>
    Number(x.level) >= 300 && Number(x.level) > 8 * Number(x.floor);
  const provOk = p.established === true && heardAt(p);
  const oxoOk = rec !== undefined && rec.established === true && heardAt(rec);
  const detail =
    `pstn1 → ${DID}: established ${p.established}, ${p.received} RTP received, ${OXO_TONE} Hz level ${Math.round(Number(p.level))} (floor ${Math.round(Number(p.floor))}), ended ${p.ended}; ` +
    (rec
      ? `${String(rec.extension)}: established ${rec.established}, ${rec.received} RTP received, ${PSTN_TONE} Hz level ${Math.round(Number(rec.level))} (floor ${Math.round(Number(rec.floor))})`
      : 'no ended call at the OXO');
  return { ok: provOk && oxoOk && p.ended === true, detail };
}

// ---------- the fuzz ----------

interface TargetCounts {
  udp: number;
  tcp: number;
  udpResponses: number;
  tcpResponses: number;
  tcpConnections: number;
  tcpErrors: number;
}

const counts = new Map<string, TargetCounts>(
  LISTENERS.map((l) => [
    l.name,
    { udp: 0, tcp: 0, udpResponses: 0, tcpResponses: 0, tcpConnections: 0, tcpErrors: 0 },
  ]),
);
const mutationCounts = Object.fromEntries(MUTATIONS.map((m) => [m, 0])) as Record<MutationName, number>;
let cleanMessages = 0;
let skippedNotLoopback = 0;
let udpSendErrors = 0;
const tcpModes: Record<string, number> = {};

function countSipStarts(d: Buffer): number {
  let n = 0;
  let i = d.indexOf('SIP/2.0 ');
  while (i >= 0) {
    n++;
    i = d.indexOf('SIP/2.0 ', i + 8);
  }
  return n;
}

/** One fuzzed message for a listener from a source; null when it must not be sent here. */
function fuzzed(r: Rng, l: Listener, src: FuzzSource, tcp: boolean): Buffer | null {
  const seed = seedMessage(r, l.target, src);
  const { bytes, applied } = mutateMessage(r, seed, tcp ? TCP_LIMITS : UDP_LIMITS, CLEAN_SHARE);
  if (!IN_NETNS && !loopbackOnly(bytes)) {
    skippedNotLoopback++;
    return null;
  }
  if (applied.length === 0) cleanMessages++;
  for (const m of applied) mutationCounts[m]++;
  const max = tcp ? 512 * 1024 : 65_000;
  return bytes.length > max ? bytes.subarray(0, max) : bytes;
}

async function bindUdp(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, address, () => {
      s.off('error', reject);
      resolve();
    });
  });
  s.on('error', () => {
    udpSendErrors++;
  });
  s.on('message', (_m, rinfo) => {
    const l = LISTENERS.find((x) => x.target.host === rinfo.address && x.target.port === rinfo.port);
    const c = l ? counts.get(l.name) : undefined;
    if (c) c.udpResponses++;
  });
  return s;
}

type TcpMode = 'stream' | 'chunks' | 'half' | 'trickle' | 'reset' | 'garbage' | 'huge' | 'connect-close';
const TCP_MODES: TcpMode[] = [
  'stream',
  'stream',
  'stream',
  'chunks',
  'chunks',
  'half',
  'half',
  'reset',
  'reset',
  'trickle',
  'garbage',
  'huge',
  'connect-close',
];

/** Messages a TCP job of this mode sends (claimed before it starts). */
function tcpMessages(r: Rng, mode: TcpMode): number {
  if (mode === 'connect-close') return 0;
  if (mode === 'trickle' || mode === 'huge' || mode === 'garbage') return 1;
  return r.range(1, 20);
}

function tcpJob(r: Rng, l: Listener, src: string, mode: TcpMode, n: number): Promise<void> {
  const c = counts.get(l.name) as TargetCounts;
  tcpModes[mode] = (tcpModes[mode] ?? 0) + 1;
  c.tcpConnections++;
  return new Promise<void>((resolve) => {
    const sock = net.connect({ host: l.target.host, port: l.target.port, localAddress: src });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      resolve();
    };
    const bound = setTimeout(() => {
      sock.destroy();
      finish();
    }, TCP_JOB_MS);
    sock.on('error', () => {
      c.tcpErrors++;
    });
    sock.on('data', (d: Buffer) => {
      c.tcpResponses += countSipStarts(d);
    });
    sock.on('close', finish);
    sock.on('connect', () => {
      void (async () => {
        const srcInfo: FuzzSource = { transport: 'TCP', address: src, port: sock.localPort ?? 0 };
        const msgs: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          const m = fuzzed(r, l, srcInfo, true);
          if (m) msgs.push(m);
        }
        const all = Buffer.concat(msgs);
        switch (mode) {
          case 'stream':
            sock.end(all);
            break;
          case 'chunks': {
            let at = 0;
            while (at < all.length && !sock.destroyed) {
              const k = r.range(1, 600);
              sock.write(all.subarray(at, at + k));
              at += k;
              if (r.chance(0.1)) await sleep(r.range(1, 20));
            }
            sock.end();
            break;
          }
          case 'half': {
            const cut = r.int(Math.max(1, all.length));
            sock.write(all.subarray(0, cut));
            await sleep(r.range(0, 300));
            if (r.chance(0.5)) sock.resetAndDestroy();
            else sock.destroy();
            break;
          }
          case 'reset':
            sock.write(all);
            sock.resetAndDestroy();
            break;
          case 'trickle': {
            const end = Date.now() + 1000;
            let at = 0;
            while (at < all.length && Date.now() < end && !sock.destroyed) {
              const k = r.range(1, 8);
              sock.write(all.subarray(at, at + k));
              at += k;
              await sleep(r.range(5, 20));
            }
            sock.resetAndDestroy();
            break;
          }
          case 'garbage':
            sock.end(r.bytes(r.range(1, 100_000)));
            break;
          case 'huge': {
            const head = all.subarray(0, Math.max(0, all.indexOf('\r\n')));
            sock.write(head);
            sock.write(`\r\nX-Huge: ${'h'.repeat(r.range(100_000, 300_000))}\r\n`);
            sock.end(all.subarray(head.length));
            break;
          }
          case 'connect-close':
            if (r.chance(0.5)) sock.resetAndDestroy();
            else sock.end();
            break;
        }
        // Whatever the peer does, the connection ends 300 ms after our last byte.
        await sleep(300);
        if (!sock.destroyed) sock.destroy();
      })().catch(() => {
        sock.destroy();
      });
    });
  });
}

interface FuzzResult {
  sent: number;
  udp: number;
  tcp: number;
  seconds: number;
  rate: number;
  stoppedByTime: boolean;
  heldConnections: number;
}

async function fuzz(r: Rng, total: number, hold: number): Promise<FuzzResult> {
  const udpSockets = new Map<string, dgram.Socket>();
  for (const a of [...FUZZ_SOURCES, ...LISTENERS.map((l) => l.peer)])
    if (!udpSockets.has(a)) udpSockets.set(a, await bindUdp(a));
  const tcpListeners = LISTENERS.filter((l) => l.protocols.includes('TCP'));

  // Connections held open, half a message each, for the whole fuzz.
  const held: net.Socket[] = [];
  for (let i = 0; i < hold && tcpListeners.length > 0; i++) {
    const l = tcpListeners[i % tcpListeners.length] as Listener;
    const src = FUZZ_SOURCES[i % FUZZ_SOURCES.length] as string;
    const s = net.connect({ host: l.target.host, port: l.target.port, localAddress: src });
    s.on('error', () => undefined);
    s.on('connect', () => {
      const m = seedMessage(r, l.target, { transport: 'TCP', address: src, port: s.localPort ?? 0 });
      s.write(m.subarray(0, Math.max(1, Math.floor(m.length / 2))));
    });
    held.push(s);
  }

  const start = performance.now();
  const maxMs = MAX_SECONDS * 1000;
  let sent = hold;
  let udp = 0;
  let tcp = hold;
  let inflight = 0;
  let udpPending = 0;
  let lastReport = start;
  const jobs = new Set<Promise<void>>();
  // Messages skipped by the loopback guard (outside a namespace) do not count as sent.
  const onWire = () => sent - skippedNotLoopback;
  while (onWire() < total && performance.now() - start < maxMs) {
    const elapsed = performance.now() - start;
    const due = Math.min(total, Math.floor((elapsed / 1000) * RATE) + 1) + skippedNotLoopback;
    let blocked = false;
    while (sent < due && !blocked) {
      // TCP jobs carry several messages each: keep the TCP share of what was sent at TCP_SHARE.
      const wantTcp = tcpListeners.length > 0 && tcp < TCP_SHARE * (sent + 1);
      const pool = wantTcp ? tcpListeners : LISTENERS;
      const l = r.pick(pool);
      const srcAddr = r.chance(PEER_SHARE) ? l.peer : r.pick(FUZZ_SOURCES);
      if (wantTcp) {
        if (inflight >= MAX_TCP_INFLIGHT) {
          blocked = true;
          break;
        }
        const mode = r.pick(TCP_MODES);
        const n = Math.min(tcpMessages(r, mode), total - onWire());
        inflight++;
        sent += n;
        tcp += n;
        (counts.get(l.name) as TargetCounts).tcp += n;
        const job = tcpJob(r, l, srcAddr, mode, n).finally(() => {
          inflight--;
          jobs.delete(job);
        });
        jobs.add(job);
      } else {
        if (udpPending > 2000) {
          blocked = true;
          break;
        }
        const s = udpSockets.get(srcAddr) as dgram.Socket;
        const m = fuzzed(r, l, { transport: 'UDP', address: srcAddr, port: s.address().port }, false);
        sent++;
        if (!m) continue;
        udp++;
        (counts.get(l.name) as TargetCounts).udp++;
        udpPending++;
        s.send(m, l.target.port, l.target.host, (err) => {
          udpPending--;
          if (err) udpSendErrors++;
        });
      }
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      log(
        `${sent} of ${total} messages (${Math.round(sent / ((lastReport - start) / 1000))}/s), ${inflight} TCP connections in flight, load ${loadavg()[0]?.toFixed(1)}`,
      );
    }
    await sleep(blocked ? 2 : 5);
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.race([Promise.all([...jobs]), sleep(TCP_JOB_MS + 1000)]);
  for (const s of held) s.resetAndDestroy();
  await waitUntil(() => udpPending === 0, 5000);
  for (const s of udpSockets.values()) s.close();
  return {
    sent: onWire(),
    udp,
    tcp,
    seconds,
    rate: onWire() / seconds,
    stoppedByTime: onWire() < total,
    heldConnections: held.length,
  };
}

// ---------- listeners answer ----------

/**
 * 'answered in N ms', or what happened instead (refused, closed without an answer, no answer
 * within 20 s). A loaded actor can take seconds: the time is part of the result.
 */
async function optionsProbe(l: Listener, protocol: 'UDP' | 'TCP'): Promise<string> {
  const t0 = Date.now();
  const build = (port: number) => seedOptions(l.target, { transport: protocol, address: PROBE_SOURCE, port });
  if (protocol === 'UDP') {
    const s = dgram.createSocket('udp4');
    try {
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.bind(0, PROBE_SOURCE, () => res());
      });
      let answered = false;
      s.on('message', () => {
        answered = true;
      });
      const m = build(s.address().port);
      for (const wait of [500, 1000, 2000, 4000, 4000, 4000, 4500]) {
        s.send(m, l.target.port, l.target.host);
        if (await waitUntil(() => answered, wait)) return `answered in ${Date.now() - t0} ms`;
      }
      return 'no answer within 20 s (7 tries)';
    } catch (e) {
      return (e as Error).message;
    } finally {
      s.close();
    }
  }
  return new Promise<string>((resolve) => {
    const sock = net.connect({ host: l.target.host, port: l.target.port, localAddress: PROBE_SOURCE });
    let got = '';
    const t = setTimeout(() => {
      sock.destroy();
      resolve(`no answer within 20 s${got ? ` (received ${JSON.stringify(got.slice(0, 80))})` : ''}`);
    }, 20_000);
    sock.on('error', (e) => {
      clearTimeout(t);
      resolve(e.message);
    });
    sock.on('close', () => {
      clearTimeout(t);
      resolve('closed by the listener without an answer');
    });
    sock.on('connect', () => sock.write(build(sock.localPort ?? 0)));
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('SIP/2.0 ')) {
        clearTimeout(t);
        resolve(`answered in ${Date.now() - t0} ms`);
        sock.destroy();
      }
    });
  });
}

function seedOptions(t: FuzzTarget, src: FuzzSource): Buffer {
  const tag = Math.random().toString(36).slice(2, 10);
  return Buffer.from(
    [
      `OPTIONS sip:${t.host}:${t.port}${src.transport === 'TCP' ? ';transport=tcp' : ''} SIP/2.0`,
      `Via: SIP/2.0/${src.transport} ${src.address}:${src.port};branch=z9hG4bK${tag}`,
      'Max-Forwards: 70',
      `From: <sip:probe@${src.address}>;tag=${tag}`,
      `To: <sip:${t.host}>`,
      `Call-ID: probe-${tag}@${src.address}`,
      'CSeq: 1 OPTIONS',
      `Contact: <sip:probe@${src.address}:${src.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

// ---------- the run ----------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** A full GC in every actor process (SIGUSR2, see bench/wire-fuzz-gc-hook.mjs), then a moment to settle. */
async function collectGarbage(children: Child[]): Promise<void> {
  for (const c of children) if (!c.exit) c.proc.kill('SIGUSR2');
  await sleep(700);
}

async function steadySample(pid: number): Promise<ProcSample> {
  const xs: ProcSample[] = [];
  for (let i = 0; i < 3; i++) {
    xs.push(sampleProc(pid));
    if (i < 2) await sleep(1000);
  }
  return {
    alive: xs.every((x) => x.alive),
    rssKb: median(xs.map((x) => x.rssKb)),
    fds: median(xs.map((x) => x.fds)),
    cpuMs: xs[xs.length - 1]?.cpuMs ?? 0,
  };
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'wire-fuzz-'));
  const children: Child[] = [];
  const failures: string[] = [];
  const summary: Record<string, unknown> = {
    command: `node bin/run-ts.js bench/wire-fuzz.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    options: {
      messages: MESSAGES,
      rate: RATE,
      maxSeconds: MAX_SECONDS,
      tcpShare: TCP_SHARE,
      peerShare: PEER_SHARE,
      cleanShare: CLEAN_SHARE,
      tcpHold: TCP_HOLD,
      warmup: WARMUP,
      settleSeconds: SETTLE_S,
      tolerance: TOLERANCE,
      seed: SEED,
    },
    networkNamespace: IN_NETNS,
    loadAverageStart: loadavg(),
  };
  let lab: Record<Child['name'], Child>;
  try {
    log(`starting the lab (seed ${SEED}, ${IN_NETNS ? 'own network namespace' : 'host loopback'})`);
    lab = await startLab(writeProfile(dir));
    children.push(lab.provider, lab.sbc, lab.oxo);
    const warm = await normalCall(lab);
    log(`normal call before the fuzz: ${warm.ok ? 'OK' : 'FAILED'}: ${warm.detail}`);
    summary.callBefore = warm;
    if (!warm.ok) throw new Error(`the normal call before the fuzz failed: ${warm.detail}`);
  } catch (e) {
    log(`setup failed: ${(e as Error).message}`);
    for (const c of children) log(`${c.name} stderr tail:\n${c.tail.join('\n')}`);
    await stopLab(children);
    rmSync(dir, { recursive: true, force: true });
    summary.outcome = 'setup failed';
    summary.error = (e as Error).message;
    writeSummary(summary);
    return 2;
  }

  // Whether the provider and the OXO hold no call up (ringing or established) any more.
  const simulatorsIdle = async (): Promise<boolean> => {
    for (const a of [lab.provider, lab.oxo]) {
      const r = (await ask(a, { cmd: 'live' }, 5000)) as {
        ok?: boolean;
        callsByState?: Record<string, number>;
      };
      if (!r?.ok) return false;
      const up = Object.entries(r.callsByState ?? {}).filter(([st]) => st !== 'ended' && st !== 'failed');
      if (up.some(([, n]) => n > 0)) return false;
    }
    return true;
  };

  await sleep(2000);
  await collectGarbage(children);
  const cold: Record<string, ProcSample> = {};
  for (const c of children) cold[c.name] = await steadySample(c.pid);
  if (WARMUP > 0) {
    // The warm-up: a short fuzz of the same kind (another seed, no held connections), so that
    // the start figures are those of processes that have run the fuzz's code paths once (JIT,
    // heap sizing, allocator arenas); the run then shows whether 50 times as many messages
    // leave more behind. The figures against the cold start are reported as well.
    log(`warm-up: ${WARMUP} messages, then until no simulator call is up (at most ${SETTLE_S} s)`);
    await fuzz(new Rng(SEED + 1), WARMUP, 0);
    const t0 = Date.now();
    while (Date.now() - t0 < SETTLE_S * 1000 && !(await simulatorsIdle())) await sleep(1000);
    await sleep(2000);
  }
  const before: Record<string, ProcSample> = {};
  await collectGarbage(children);
  for (const c of children) before[c.name] = await steadySample(c.pid);
  const liveBefore = {
    provider: await ask(lab.provider, { cmd: 'live' }, 5000),
    oxo: await ask(lab.oxo, { cmd: 'live' }, 5000),
  };
  const kindsBefore = Object.fromEntries(children.map((c) => [c.name, fdKinds(c.pid)]));
  const logBefore = Object.fromEntries(children.map((c) => [c.name, c.stderrBytes]));
  log(
    `start: ${children.map((c) => `${c.name} pid ${c.pid} RSS ${mib(before[c.name]?.rssKb ?? 0)} MiB, ${before[c.name]?.fds} fds`).join('; ')}`,
  );

  log(
    `fuzz: ${MESSAGES} messages, at most ${RATE}/s, at most ${MAX_SECONDS} s, TCP share ${TCP_SHARE}, ${TCP_HOLD} held connections`,
  );
  const r = new Rng(SEED);
  const f = await fuzz(r, MESSAGES, TCP_HOLD);
  const cpuAfterFuzz = Object.fromEntries(children.map((c) => [c.name, sampleProc(c.pid).cpuMs]));
  const peak = Object.fromEntries(children.map((c) => [c.name, sampleProc(c.pid)]));
  log(
    `fuzz done: ${f.sent} messages (${f.udp} UDP, ${f.tcp} TCP) in ${f.seconds.toFixed(1)} s, ${Math.round(f.rate)}/s`,
  );
  if (f.stoppedByTime)
    failures.push(`only ${f.sent} of ${MESSAGES} messages were sent within ${MAX_SECONDS} s`);

  // Settle: until every process is back and no call is up, or the settle period is over.
  const settleStart = Date.now();
  let after: Record<string, ProcSample> = {};
  let rec: Record<string, Recovery> = {};
  let lastGc = 0;
  for (;;) {
    // A full GC every 10 s, not every reading: on a heap of gigabytes it takes seconds itself.
    const last = Date.now() - settleStart >= SETTLE_S * 1000 - 1500;
    if (Date.now() - lastGc >= 10_000 || last) {
      await collectGarbage(children);
      lastGc = Date.now();
    }
    after = Object.fromEntries(children.map((c) => [c.name, sampleProc(c.pid)]));
    rec = Object.fromEntries(
      children.map((c) => [
        c.name,
        judgeRecovery(before[c.name] as ProcSample, after[c.name] as ProcSample, TOLERANCE),
      ]),
    );
    const allOk = Object.values(rec).every((x) => x.ok) && (await simulatorsIdle());
    const anyDead = Object.values(after).some((x) => !x.alive);
    if (allOk || anyDead || Date.now() - settleStart >= SETTLE_S * 1000) break;
    await sleep(1000);
  }
  const settleSeconds = (Date.now() - settleStart) / 1000;
  for (const c of children) {
    const x = rec[c.name] as Recovery;
    for (const why of x.failures) failures.push(`${c.name} (pid ${c.pid}): ${why}`);
    if (c.exit) failures.push(`${c.name} exited: code ${c.exit.code}, signal ${c.exit.signal}`);
  }

  const kindsAfter = Object.fromEntries(children.map((c) => [c.name, fdKinds(c.pid)]));
  const liveAfter = {
    provider: await ask(lab.provider, { cmd: 'live' }, 5000),
    oxo: await ask(lab.oxo, { cmd: 'live' }, 5000),
  };
  const answers: Record<string, string> = {};
  for (const l of LISTENERS)
    for (const p of l.protocols) {
      const ok = await optionsProbe(l, p);
      answers[`${l.name}/${p}`] = ok;
      if (!ok.startsWith('answered'))
        failures.push(`${l.name} does not answer an OPTIONS over ${p} after the fuzz: ${ok}`);
    }

  const callAfter = children.every((c) => !c.exit)
    ? await normalCall(lab)
    : { ok: false, detail: 'a process is gone' };
  if (!callAfter.ok) failures.push(`the normal call after the fuzz failed: ${callAfter.detail}`);
  log(`normal call after the fuzz: ${callAfter.ok ? 'OK' : 'FAILED'}: ${callAfter.detail}`);

  const processes = Object.fromEntries(
    children.map((c) => [
      c.name,
      {
        pid: c.pid,
        coldStart: cold[c.name],
        before: before[c.name],
        endOfFuzz: peak[c.name],
        after: after[c.name],
        rssGrowth: rec[c.name]?.rssGrowth,
        rssGrowthFromCold:
          (cold[c.name]?.rssKb ?? 0) > 0 ? (after[c.name]?.rssKb ?? 0) / (cold[c.name]?.rssKb ?? 1) - 1 : 0,
        fdGrowth: rec[c.name]?.fdGrowth,
        cpuMsDuringFuzz: (cpuAfterFuzz[c.name] ?? 0) - (before[c.name]?.cpuMs ?? 0),
        stderrBytesDuringRun: c.stderrBytes - (logBefore[c.name] ?? 0),
        stderrLines: c.stderrLines,
        recovered: rec[c.name]?.ok,
        logLinesByMessage: Object.fromEntries([...c.logReasons].sort((a, b) => b[1] - a[1])),
        stderrTail: c.tail.slice(-8),
        fdKindsBefore: kindsBefore[c.name],
        fdKindsAfter: kindsAfter[c.name],
        exit: c.exit ?? null,
      },
    ]),
  );
  const stopSeconds = await stopLab(children);
  for (const c of children) {
    const took = stopSeconds[c.name];
    (processes[c.name] as Record<string, unknown>).stopSeconds = took;
    (processes[c.name] as Record<string, unknown>).exit = c.exit ?? null;
    if (took === null) failures.push(`${c.name} did not exit within 40 s of SIGTERM (killed)`);
    else if (c.exit && c.exit.code !== 0)
      failures.push(`${c.name} exited with code ${c.exit.code} on SIGTERM`);
  }
  rmSync(dir, { recursive: true, force: true });

  Object.assign(summary, {
    fuzz: f,
    perListener: Object.fromEntries(counts),
    tcpModes,
    mutations: mutationCounts,
    cleanMessages,
    skippedNotLoopback,
    udpSendErrors,
    settleSeconds,
    processes,
    simulatorsBefore: liveBefore,
    simulatorsAfter: liveAfter,
    listenersAnswer: answers,
    callAfter,
    failures,
    outcome: failures.length === 0 ? 'pass' : 'fail',
    wallSeconds: (Date.now() - t0) / 1000,
    loadAverageEnd: loadavg(),
  });
  writeSummary(summary);
  printSummary(summary, children, before, after, f, settleSeconds);
  return failures.length === 0 ? 0 : 1;
}

function writeSummary(s: Record<string, unknown>): void {
  mkdirSync(dirname(JSON_OUT), { recursive: true });
  writeFileSync(JSON_OUT, `${JSON.stringify(s, null, 2)}\n`);
}

function printSummary(
  s: Record<string, unknown>,
  children: Child[],
  before: Record<string, ProcSample>,
  after: Record<string, ProcSample>,
  f: FuzzResult,
  settleSeconds: number,
): void {
  const lines: string[] = [];
  lines.push(`# wire-fuzz: ${s.outcome === 'pass' ? 'PASS' : 'FAIL'}`);
  lines.push('');
  lines.push(
    `${f.sent} messages (${f.udp} UDP, ${f.tcp} TCP) in ${f.seconds.toFixed(1)} s = ${Math.round(f.rate)} messages/s; seed ${SEED}; ${IN_NETNS ? 'own network namespace' : 'host loopback'}; load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  lines.push('');
  lines.push('| listener | UDP sent | UDP answers | TCP sent | TCP connections | TCP answers |');
  lines.push('|---|---|---|---|---|---|');
  for (const [name, c] of counts)
    lines.push(
      `| ${name} | ${c.udp} | ${c.udpResponses} | ${c.tcp} | ${c.tcpConnections} | ${c.tcpResponses} |`,
    );
  lines.push('');
  lines.push(
    `| process | alive | RSS start → after (MiB) | RSS cold start (before the warm-up) → after | fds start → after | CPU in fuzz (s) | stderr in run |`,
  );
  lines.push('|---|---|---|---|---|---|---|');
  const procs = s.processes as Record<
    string,
    {
      cpuMsDuringFuzz: number;
      stderrBytesDuringRun: number;
      coldStart?: ProcSample;
      rssGrowthFromCold: number;
    }
  >;
  for (const c of children) {
    const b = before[c.name] as ProcSample;
    const a = after[c.name] as ProcSample;
    lines.push(
      `| ${c.name} (pid ${c.pid}) | ${a.alive ? 'yes' : 'NO'} | ${mib(b.rssKb)} → ${mib(a.rssKb)} (${pct(b.rssKb ? a.rssKb / b.rssKb - 1 : 0)}) | ${mib(procs[c.name]?.coldStart?.rssKb ?? 0)} → ${mib(a.rssKb)} (${pct(procs[c.name]?.rssGrowthFromCold ?? 0)}) | ${b.fds} → ${a.fds} | ${((procs[c.name]?.cpuMsDuringFuzz ?? 0) / 1000).toFixed(1)} | ${((procs[c.name]?.stderrBytesDuringRun ?? 0) / 1e6).toFixed(1)} MB |`,
    );
  }
  for (const c of children) {
    const pr = (s.processes as Record<string, Record<string, unknown>>)[c.name] ?? {};
    const b = (pr.fdKindsBefore ?? {}) as Record<string, number>;
    const a = (pr.fdKindsAfter ?? {}) as Record<string, number>;
    const diff = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)] as const)
      .filter(([, d]) => d !== 0)
      .map(([k, d]) => `${d > 0 ? '+' : ''}${d} ${k}`);
    if (diff.length > 0) lines.push(`- ${c.name} fds after − start: ${diff.join(', ')}`);
    lines.push(
      `- ${c.name} exit on SIGTERM: ${pr.stopSeconds === null ? 'none within 40 s (killed)' : `${Number(pr.stopSeconds).toFixed(1)} s`}`,
    );
  }
  lines.push(
    `- simulators before: ${JSON.stringify(s.simulatorsBefore, (k, v) => (k === 'callsUp' ? (v as unknown[]).length : v))}`,
    `- simulators after (calls by state, records kept; details in the JSON): ${JSON.stringify(s.simulatorsAfter, (k, v) => (k === 'callsUp' ? (v as unknown[]).length : v))}`,
  );
  lines.push('');
  lines.push(
    `settled after ${settleSeconds.toFixed(0)} s; listeners answer: ${JSON.stringify(s.listenersAnswer)}`,
  );
  lines.push(
    `normal call after: ${(s.callAfter as NormalCall).ok ? 'OK' : 'FAILED'} — ${(s.callAfter as NormalCall).detail}`,
  );
  const failures = s.failures as string[];
  if (failures.length > 0) {
    lines.push('');
    lines.push('failures:');
    for (const x of failures) lines.push(`- ${x}`);
  }
  lines.push('');
  lines.push(`summary: ${JSON_OUT}`);
  console.log(lines.join('\n'));
}

process.exitCode = await main();
