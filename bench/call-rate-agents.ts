/**
 * The two ends of the call-rate benchmark built on our SIP stack, shaped like SIPp's built-in
 * scenarios so both sides do the same work:
 *  - caller (SIPp `uac`): INVITE with a one-codec SDP offer; 100/180 optional; 200; ACK; BYE
 *    (call duration 0); 200;
 *  - callee (SIPp `uas`): no 100 Trying; 180 Ringing; 200 OK with SDP; ACK; 200 to the BYE.
 * The caller runs either closed-loop (a fixed number of calls in flight, as fast as it goes)
 * or open-loop (calls started at a fixed offered rate, for latency).
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Dialog } from '../harness/sip/dialog.ts';
import { UserAgent } from '../harness/sip/user-agent.ts';

/** The SDP body of SIPp's built-in uac/uas scenarios, for `ip`. */
export function sippLikeSdp(ip: string): string {
  return [
    'v=0',
    `o=user1 53655765 2353687637 IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    'm=audio 6000 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}

/**
 * Open transactions allowed per agent. Each call leaves two transactions alive on each side for
 * up to 64*T1 = 32 s after it ends (RFC 3261/6026 timers), and the stack's default bound of
 * 10,000 would answer 503 after 5,000 calls in 32 s; a benchmark of N calls needs ~4N.
 */
export function transactionBudget(calls: number): number {
  return Math.max(10_000, 4 * calls + 1_000);
}

/** What a callee saw since its last reset. */
export interface CalleeCounters {
  invites: number;
  /** 200 OK answered and its ACK received. */
  acked: number;
  /** Dialogs ended by the caller's BYE. */
  byes: number;
  /** Answers that never got their ACK (64*T1 elapsed) or could not be sent. */
  failed: number;
}

export interface Callee {
  ua: UserAgent;
  port: number;
  counters: CalleeCounters;
  reset(): void;
}

/** Starts a callee on UDP `address` (port 0: any) that rings and answers every INVITE. */
export async function startCallee(address: string, maxTransactions: number): Promise<Callee> {
  const ua = await UserAgent.start({
    listen: [{ protocol: 'UDP', address, port: 0 }],
    auto100: false,
    contactUser: 'uas',
    maxTransactions,
    // The whole load comes from one source (SIPp or our caller): the global bound is the one.
    sourceLimits: { maxTransactionsPerSource: maxTransactions },
  });
  const sdp = sippLikeSdp(address);
  const callee: Callee = {
    ua,
    port: ua.transport.bound[0]?.port ?? 0,
    counters: { invites: 0, acked: 0, byes: 0, failed: 0 },
    reset() {
      callee.counters = { invites: 0, acked: 0, byes: 0, failed: 0 };
    },
  };
  ua.on('invite', (inv) => {
    const c = callee.counters;
    c.invites++;
    inv.ring();
    inv.answer(sdp).then(
      (d) => {
        c.acked++;
        d.once('terminated', (by) => {
          if (by === 'remote') c.byes++;
        });
      },
      () => {
        c.failed++;
      },
    );
  });
  return callee;
}

/** One caller run's outcome. */
export interface CallerResult {
  /** Calls with 200 to the INVITE and 200 to the BYE. */
  ok: number;
  failed: number;
  /** Failure causes, by final status (or "timeout"). */
  failures: Record<string, number>;
  /** First INVITE sent to the last call's end, ms. */
  elapsedMs: number;
  /** INVITE sent to its 200 received, ms, per successful call. */
  setupMs: number[];
  /** CPU time (user + system) of this process over the run, ms. */
  cpuMs: number;
  /** Messages the caller sent beyond INVITE, ACK, BYE per call (retransmissions). */
  extraSends: number;
}

export interface CallerOptions {
  /** Where to call: "sip:service@host:port". */
  uri: string;
  calls: number;
  /** Most calls in flight. */
  concurrency: number;
  /** Calls started per second (open loop); absent: as fast as `concurrency` allows. */
  rate?: number;
  /** Stop starting calls after this long, ms. */
  budgetMs: number;
  /** Longest wait for one call to finish, ms (counted as a timeout). */
  callTimeoutMs: number;
}

/**
 * `p`, or 'timeout' after `ms`. One promise and one timer per call (not Promise.race and
 * finally, which made four promises more): the caller's CPU per call is what the bench measures,
 * and SIPp pays nothing of the kind (a CPU profile put the race at 3–4 µs per call).
 */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Places calls from `ua` (a fresh agent: its sent-message count is used for retransmissions)
 * and waits for every call to end or time out.
 */
export async function runCaller(ua: UserAgent, o: CallerOptions): Promise<CallerResult> {
  const sdp = sippLikeSdp(ua.transport.bound[0]?.address ?? '127.0.0.1');
  const r: CallerResult = {
    ok: 0,
    failed: 0,
    failures: {},
    elapsedMs: 0,
    setupMs: [],
    cpuMs: 0,
    extraSends: 0,
  };
  const fail = (why: string) => {
    r.failed++;
    r.failures[why] = (r.failures[why] ?? 0) + 1;
  };
  const oneCall = async (): Promise<void> => {
    const t0 = performance.now();
    const out = await withTimeout(
      ua.invite({
        method: 'INVITE',
        uri: o.uri,
        body: sdp,
        contentType: 'application/sdp',
        support100rel: false,
        headers: [['Subject', 'Performance Test']],
      }).result,
      o.callTimeoutMs,
    );
    if (out === 'timeout') return fail('timeout');
    if (out.status !== 200 || !out.dialog) return fail(String(out.status));
    r.setupMs.push(performance.now() - t0);
    const dialog: Dialog = out.dialog;
    const bye = await withTimeout(
      ua.bye(dialog).catch(() => ({ status: 503 })),
      o.callTimeoutMs,
    );
    if (bye === 'timeout') return fail('BYE timeout');
    if (bye.status !== 200) return fail(`BYE ${bye.status}`);
    r.ok++;
  };

  const sent0 = ua.transport.stats.sent;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + o.budgetMs;
  let started = 0;
  let inFlight = 0;
  if (o.rate === undefined) {
    const worker = async () => {
      while (started < o.calls && performance.now() < deadline) {
        started++;
        await oneCall();
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.calls) }, worker));
  } else {
    const period = 1000 / o.rate;
    const pending: Array<Promise<void>> = [];
    let slotFreed: (() => void) | undefined;
    while (started < o.calls && performance.now() < deadline) {
      const due = t0 + started * period;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight >= o.concurrency) {
        await withTimeout(
          new Promise<void>((res) => {
            slotFreed = res;
          }),
          o.callTimeoutMs,
        );
        continue;
      }
      started++;
      inFlight++;
      pending.push(
        oneCall().finally(() => {
          inFlight--;
          slotFreed?.();
          slotFreed = undefined;
        }),
      );
    }
    await Promise.all(pending);
  }
  r.elapsedMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  r.cpuMs = (c.user + c.system) / 1000;
  r.extraSends = Math.max(0, ua.transport.stats.sent - sent0 - 3 * r.ok);
  return r;
}

/** True while something is bound to UDP `address:port` (a bind there fails with EADDRINUSE). */
export function udpPortTaken(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.close();
      resolve(err.code === 'EADDRINUSE');
    });
    s.bind(port, address, () => {
      s.close(() => resolve(false));
    });
  });
}

/**
 * Polls until UDP `address:port` is bound by someone (SIPp, or another process's stack),
 * bounded by `ms`. Probing binds the port for an instant: start it once the binder has had
 * its turn, or the probe may take the port first.
 */
export async function waitBound(address: string, port: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await udpPortTaken(address, port)) return true;
    await sleep(20);
  }
  return false;
}

/** A UDP port on `address` that is free now, as are the next `span` ports above it (bounded tries). */
export async function freeUdpPort(address: string, span = 0): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000) * 2;
    let free = true;
    for (let k = 0; k <= span && free; k++) free = !(await udpPortTaken(address, base + k));
    if (free) return base;
  }
  throw new Error(`no free UDP port found on ${address}`);
}
