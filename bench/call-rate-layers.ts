/**
 * Where a callee's CPU per call goes, layer by layer: SIPp's uac drives the same call flow as
 * bench/call-rate.ts (INVITE with SDP, 180, 200 with SDP, ACK, BYE at once, 200; UDP on
 * loopback) against callees built on more and more of our SIP stack, and against SIPp's uas:
 *
 *   sipp          SIPp's uas (the reference; its CPU from /proc/PID/stat, 10 ms ticks)
 *   floor         bench/call-rate-floor-uas.ts: canned answers on Node's dgram, no SIP stack
 *   transport     our TransportLayer only: parse, answer 180/200 (INVITE) and 200 (BYE) with
 *                 createResponse, serialise, post; no transactions, no dialogs, no timers
 *   transactions  + our TransactionLayer: server transactions with their RFC 3261 waits
 *   lean-core     a sketch, not part of the stack: the transaction layer with a UAS core of
 *                 plain records (a dialog map; the 2xx retransmitted from queues until the ACK,
 *                 given up after 64*T1; BYE answered in the dialog, 481 outside one), no API
 *                 events or promises per call: what a call engine for load could cost
 *   user-agent    + our UserAgent, as bench/call-rate.ts's callee uses it: ring(), answer()
 *                 (dialog, 2xx retransmitted until the ACK), BYE answered in the dialog
 *
 *   node bin/run-ts.js bench/call-rate-layers.ts [calls=10000] [runs=3] [concurrency=50]
 *
 * Each of our configurations runs in a child process of its own, warmed up with 2000 calls
 * first; its CPU per call is process.cpuUsage() (all threads) over the measured calls, and
 * node:v8's GCProfiler gives what each minor GC kept (new space after it, plus what it
 * promoted): a scavenge costs in proportion to that, and objects that outlive their call
 * there show up as a larger figure. The configurations alternate run by run, so that load
 * from other work spreads over all of them. Prints a markdown table of medians on stdout,
 * progress on stderr. Loopback only.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GCProfiler } from 'node:v8';
import type { SipRequest, SipResponse } from '../harness/sip/message.ts';
import { createResponse } from '../harness/sip/message-factory.ts';
import { DEFAULT_TIMERS } from '../harness/sip/timers.ts';
import type { SendTarget } from '../harness/sip/transaction.ts';
import { TransactionLayer } from '../harness/sip/transaction-layer.ts';
import { TransportLayer } from '../harness/sip/transport.ts';
import { ALLOW } from '../harness/sip/user-agent.ts';
import { WaitQueue } from '../harness/sip/wait-queue.ts';
import { systemClock } from '../harness/support/clock.ts';
import { freeUdpPort, sippLikeSdp, startCallee, transactionBudget } from './call-rate-agents.ts';

const LAYERS = ['transport', 'transactions', 'lean-core', 'user-agent'] as const;
type Layer = (typeof LAYERS)[number];
const CALLEE = '127.0.0.2';
const SIPP_UAS = '127.0.0.3';
const SIPP_UAC = '127.0.0.4';
const WARMUP = 2000;
const num = (v: string | undefined, dflt: number, lo: number, hi: number) => {
  const n = Math.round(Number(v ?? dflt));
  return Math.min(Math.max(Number.isFinite(n) ? n : dflt, lo), hi);
};
const log = (s: string) => process.stderr.write(`${s}\n`);

/** SIPp's uac: `calls` calls to `remote`, at most `concurrency` in flight; true when every call succeeded. */
function sippUac(remote: string, calls: number, concurrency: number, port: number): Promise<boolean> {
  const args = [
    ...['-sn', 'uac', '-i', SIPP_UAC, '-p', String(port), remote],
    ...['-r', '100000', '-rp', '1000', '-l', String(concurrency), '-m', String(calls)],
    ...['-d', '0', '-nostdin', '-timeout', '120s'],
  ];
  return new Promise((resolve) => {
    const c = spawn('sipp', args, { stdio: 'ignore', cwd: tmpdir() });
    c.on('error', () => resolve(false));
    c.on('exit', (code) => resolve(code === 0));
  });
}

/** User + system CPU of a process from /proc, ms (10 ms ticks). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** A dialog as the lean-core sketch keeps it: plain fields, no events. */
class LeanDialog {
  readonly started = performance.now();
  constructor(
    readonly key: string,
    /** The 2xx, until its ACK: let go then, as the record may wait in a queue for T1 more. */
    public ok: SipResponse | undefined,
    readonly target: SendTarget,
  ) {}
}

/** The lean-core sketch's UAS on `tl` (see the header): INVITE → 180, 200 (kept until the ACK); BYE → 200. */
function leanCore(
  tl: TransactionLayer,
  headers: Array<[string, string]>,
  answer200: (req: SipRequest, toTag: string) => SipResponse,
): void {
  const { t1, t2 } = DEFAULT_TIMERS;
  const dialogs = new Map<string, LeanDialog>();
  const queues = new Map<number, WaitQueue<LeanDialog>>();
  const retransmitAfter = (d: LeanDialog, ms: number): void => {
    let q = queues.get(ms);
    if (!q) {
      q = new WaitQueue<LeanDialog>(systemClock, ms, (x) => {
        if (!x.ok || dialogs.get(x.key) !== x) return;
        if (performance.now() - x.started >= 64 * t1) {
          dialogs.delete(x.key); // RFC 3261 §13.3.1.4: the sketch gives up without a BYE
          return;
        }
        tl.postStateless(x.ok, x.target);
        retransmitAfter(x, Math.min(ms * 2, t2));
      });
      queues.set(ms, q);
    }
    q.add(d);
  };
  let tags = 0;
  tl.on('request', (req, tx) => {
    if (req.method === 'INVITE' && !req.toTag) {
      const toTag = `n${++tags}`;
      tx.respond(createResponse(req, 180, { toTag, headers }));
      const ok = answer200(req, toTag);
      tx.respond(ok);
      const d = new LeanDialog(`${req.callId}|${toTag}|${req.fromTag}`, ok, tx.responseTarget);
      dialogs.set(d.key, d);
      retransmitAfter(d, t1);
      return;
    }
    const d = dialogs.get(`${req.callId}|${req.toTag}|${req.fromTag}`);
    if (!d) tx.respond(createResponse(req, 481));
    else if (req.method === 'BYE') {
      dialogs.delete(d.key);
      d.ok = undefined;
      tx.respond(createResponse(req, 200));
    } else tx.respond(createResponse(req, 501));
  });
  tl.on('ack', (ack) => {
    const d = dialogs.get(`${ack.callId}|${ack.toTag}|${ack.fromTag}`);
    if (d) d.ok = undefined;
  });
}

/** A callee on one layer of the stack, in this process; returns its port. */
async function startLayer(layer: Layer, maxTx: number): Promise<number> {
  if (layer === 'user-agent') return (await startCallee(CALLEE, maxTx)).port;
  const transport = new TransportLayer({ listen: [{ protocol: 'UDP', address: CALLEE, port: 0 }] });
  await transport.start();
  const port = transport.bound[0]!.port;
  const sdp = sippLikeSdp(CALLEE);
  const contact: Array<[string, string]> = [['Contact', `<sip:uas@${CALLEE}:${port}>`]];
  let tags = 0;
  const answer = (req: SipRequest, send: (r: ReturnType<typeof createResponse>) => void) => {
    if (req.method === 'INVITE') {
      const toTag = `l${++tags}`;
      send(createResponse(req, 180, { toTag, headers: contact }));
      send(createResponse(req, 200, { toTag, headers: contact, body: sdp, contentType: 'application/sdp' }));
    } else if (req.method !== 'ACK') send(createResponse(req, 200));
  };
  if (layer === 'transactions' || layer === 'lean-core') {
    const tl = new TransactionLayer(transport, { maxTransactions: maxTx, maxTransactionsPerSource: maxTx });
    if (layer === 'lean-core') {
      // The same Contact and Allow as the user agent's answers.
      const headers: Array<[string, string]> = [...contact, ['Allow', ALLOW]];
      leanCore(tl, headers, (req, toTag) =>
        createResponse(req, 200, { toTag, headers, body: sdp, contentType: 'application/sdp' }),
      );
    } else tl.on('request', (req, tx) => answer(req, (r) => tx.respond(r)));
  } else {
    transport.on('message', ({ message, flow }) => {
      if (!message.isRequest) return;
      const target = transport.responseTarget(message, flow);
      answer(message, (r) => transport.post(r, target));
    });
  }
  return port;
}

/** Child: one layer, warmed up, then measured; prints {"cpuMs":..,"ok":..}. */
async function child(layer: Layer, calls: number, concurrency: number): Promise<void> {
  const port = await startLayer(layer, transactionBudget(calls + WARMUP));
  const remote = `${CALLEE}:${port}`;
  const uacPort = await freeUdpPort(SIPP_UAC);
  const warm = await sippUac(remote, WARMUP, concurrency, uacPort);
  const gc = new GCProfiler();
  gc.start();
  const c0 = process.cpuUsage();
  const ok = await sippUac(remote, calls, concurrency, uacPort);
  const c = process.cpuUsage(c0);
  const minorKeptKB = minorGcKeptKB(gc.stop());
  process.stdout.write(
    `${JSON.stringify({ cpuMs: (c.user + c.system) / 1000, minorKeptKB, ok: ok && warm })}\n`,
  );
  process.exit(0);
}

/**
 * What each minor GC (scavenge) of the run kept, KB, median: the new space's use after it plus
 * what it promoted (the old space's growth). A scavenge costs in proportion to what it keeps.
 */
function minorGcKeptKB(profile: ReturnType<GCProfiler['stop']>): number {
  const used = (spaces: Array<{ spaceName: string; spaceUsedSize: number }>, name: string) =>
    spaces.find((x) => x.spaceName === name)?.spaceUsedSize ?? 0;
  const kept = (profile?.statistics ?? [])
    .filter((g) => g.gcType === 'Scavenge')
    .map((g) => {
      const before = g.beforeGC.heapSpaceStatistics;
      const after = g.afterGC.heapSpaceStatistics;
      return (used(after, 'new_space') + used(after, 'old_space') - used(before, 'old_space')) / 1024;
    });
  return median(kept);
}

/** Runs one layer in a child process: CPU ms per call and KB kept per minor GC, or undefined when calls failed. */
function runLayer(
  layer: Layer,
  calls: number,
  concurrency: number,
): Promise<{ ms: number; keptKB: number } | undefined> {
  const script = fileURLToPath(import.meta.url);
  const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [runTs, script, '--layer', layer, String(calls), String(concurrency)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout!.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => c.kill('SIGKILL'), 300_000);
    c.on('exit', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out.trim().split('\n').pop() ?? '') as {
          cpuMs: number;
          minorKeptKB: number;
          ok: boolean;
        };
        resolve(r.ok ? { ms: r.cpuMs / calls, keptKB: r.minorKeptKB } : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** SIPp's uas against SIPp's uac, same flow: its CPU per call (after the same warm-up). */
async function runSipp(calls: number, concurrency: number): Promise<number | undefined> {
  const port = await freeUdpPort(SIPP_UAS);
  const mp = await freeUdpPort(SIPP_UAS, 3);
  const uas = spawn(
    'sipp',
    ['-sn', 'uas', '-i', SIPP_UAS, '-p', String(port), '-mp', String(mp), '-nostdin'],
    {
      stdio: 'ignore',
      cwd: tmpdir(),
    },
  );
  try {
    await new Promise((r) => setTimeout(r, 300));
    const uacPort = await freeUdpPort(SIPP_UAC);
    const remote = `${SIPP_UAS}:${port}`;
    if (!(await sippUac(remote, WARMUP, concurrency, uacPort))) return undefined;
    const before = procCpuMs(uas.pid!);
    const ok = await sippUac(remote, calls, concurrency, uacPort);
    const after = procCpuMs(uas.pid!);
    return ok ? (after - before) / calls : undefined;
  } finally {
    uas.kill();
  }
}

/** The bare-Node floor callee (bench/call-rate-floor-uas.ts, its stdin protocol): CPU per call. */
async function runFloor(calls: number, concurrency: number): Promise<number | undefined> {
  const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  const script = fileURLToPath(new URL('./call-rate-floor-uas.ts', import.meta.url));
  const c = spawn(process.execPath, [runTs, script, CALLEE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: c.stdout! });
  const next = () =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the floor callee did not answer')), 10_000);
      lines.once('line', (l) => {
        clearTimeout(t);
        resolve(JSON.parse(l) as Record<string, number>);
      });
    });
  try {
    const remote = `${CALLEE}:${(await next()).ready}`;
    const uacPort = await freeUdpPort(SIPP_UAC);
    if (!(await sippUac(remote, WARMUP, concurrency, uacPort))) return undefined;
    c.stdin!.write('reset\n');
    await next();
    const ok = await sippUac(remote, calls, concurrency, uacPort);
    c.stdin!.write('stats\n');
    const stats = await next();
    return ok ? stats.cpuMs! / calls : undefined;
  } catch {
    return undefined;
  } finally {
    c.kill();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

if (process.argv[2] === '--layer') {
  const layer = process.argv[3] as Layer;
  if (!LAYERS.includes(layer)) throw new Error(`unknown layer ${layer}`);
  await child(layer, num(process.argv[4], 10_000, 100, 50_000), num(process.argv[5], 50, 1, 500));
} else {
  const calls = num(process.argv[2], 10_000, 100, 50_000);
  const runs = num(process.argv[3], 3, 1, 9);
  const concurrency = num(process.argv[4], 50, 1, 500);
  const ids = ['sipp', 'floor', ...LAYERS] as const;
  const results = new Map<string, number[]>(ids.map((id) => [id, []]));
  const keptKB = new Map<string, number[]>(ids.map((id) => [id, []]));
  const failed = new Map<string, number>();
  for (let r = 1; r <= runs; r++) {
    for (const id of ids) {
      let ms: number | undefined;
      if (id === 'sipp') ms = await runSipp(calls, concurrency);
      else if (id === 'floor') ms = await runFloor(calls, concurrency);
      else {
        const out = await runLayer(id, calls, concurrency);
        ms = out?.ms;
        if (out) keptKB.get(id)!.push(out.keptKB);
      }
      log(`run ${r}/${runs} ${id}: ${ms === undefined ? 'failed' : `${ms.toFixed(3)} ms/call`}`);
      if (ms === undefined) failed.set(id, (failed.get(id) ?? 0) + 1);
      else results.get(id)!.push(ms);
    }
  }
  const sipp = median(results.get('sipp')!);
  const label: Record<string, string> = {
    sipp: "SIPp's uas",
    floor: 'bare Node floor (canned answers, no SIP stack)',
    transport: 'ours: transport layer only',
    transactions: 'ours: + transaction layer',
    'lean-core': 'sketch: transaction layer + a lean UAS core (dialog records, 2xx retransmission queue)',
    'user-agent': 'ours: + user agent (bench/call-rate.ts callee)',
  };
  const rows = ids.map((id) => {
    const xs = results.get(id)!;
    const m = median(xs);
    const kept = keptKB.get(id)!;
    return `| ${label[id]} | ${m.toFixed(3)} | ${xs.map((x) => x.toFixed(3)).join(', ')} | ${(m / sipp).toFixed(2)} | ${kept.length ? median(kept).toFixed(0) : '–'} | ${failed.get(id) ?? 0} |`;
  });
  process.stdout.write(
    [
      `### Callee CPU per call by layer: ${calls} calls, at most ${concurrency} in flight, SIPp's uac driving (median of ${runs} runs)`,
      '',
      '| callee | CPU ms/call (median) | per run | ratio to SIPp uas | KB kept by each minor GC (median) | failed runs |',
      '| --- | ---: | --- | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
}
