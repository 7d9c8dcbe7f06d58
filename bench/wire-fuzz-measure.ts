/**
 * What the over-the-wire fuzz (bench/wire-fuzz.ts) measures of each actor process, from Linux's
 * /proc: alive or not, resident memory (VmRSS), open file descriptors (entries of /proc/PID/fd)
 * and CPU time; and the judgement "back within the tolerance of the start". Only growth counts
 * against a process: fewer fds or less memory after the fuzz than before is no leak.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcSample {
  alive: boolean;
  /** Resident set size, KiB. */
  rssKb: number;
  /** Open file descriptors. */
  fds: number;
  /** User + system CPU time, ms. */
  cpuMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Reads one process's figures; `alive: false` (and zeros) when it is gone or a zombie. */
export function sampleProc(pid: number): ProcSample {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (state === 'Z' || state === 'X') return { alive: false, rssKb: 0, fds: 0, cpuMs: 0 };
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = (Number(rest[11]) + Number(rest[12])) * TICK_MS;
    return { alive: true, rssKb, fds, cpuMs };
  } catch {
    return { alive: false, rssKb: 0, fds: 0, cpuMs: 0 };
  }
}

export interface Recovery {
  ok: boolean;
  /** after / before − 1, for RSS and fds (negative: below the start). */
  rssGrowth: number;
  fdGrowth: number;
  /** What failed, in words; empty when ok. */
  failures: string[];
}

/**
 * Whether a process is back: alive, and its RSS and fds at most `tolerance` (0.1 = 10 %) above
 * the start. For fds, a rounding allowance of one descriptor keeps a tiny count from failing on
 * a single short-lived socket (10 % of 12 fds is 1.2).
 */
export function judgeRecovery(before: ProcSample, after: ProcSample, tolerance: number): Recovery {
  const failures: string[] = [];
  if (!after.alive) failures.push('the process is gone');
  const rssGrowth = before.rssKb > 0 ? after.rssKb / before.rssKb - 1 : 0;
  const fdGrowth = before.fds > 0 ? after.fds / before.fds - 1 : 0;
  if (after.alive && rssGrowth > tolerance)
    failures.push(
      `RSS ${mib(after.rssKb)} MiB against ${mib(before.rssKb)} MiB at the start (+${pct(rssGrowth)}, more than ${pct(tolerance)})`,
    );
  if (after.alive && after.fds > Math.max(before.fds * (1 + tolerance), before.fds + 1))
    failures.push(
      `${after.fds} open fds against ${before.fds} at the start (+${pct(fdGrowth)}, more than ${pct(tolerance)})`,
    );
  return { ok: failures.length === 0, rssGrowth, fdGrowth, failures };
}

export const mib = (kb: number): string => (kb / 1024).toFixed(1);
export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

const TCP_STATES: Record<string, string> = {
  '01': 'established',
  '02': 'syn-sent',
  '03': 'syn-recv',
  '04': 'fin-wait1',
  '05': 'fin-wait2',
  '06': 'time-wait',
  '07': 'close',
  '08': 'close-wait',
  '09': 'last-ack',
  '0A': 'listen',
  '0B': 'closing',
};

function hexAddress(h: string): string {
  const [a, p] = h.split(':') as [string, string];
  if (a.length !== 8) return `[v6]:${Number.parseInt(p, 16)}`;
  const b = [0, 2, 4, 6].map((i) => Number.parseInt(a.slice(i, i + 2), 16)).reverse();
  return `${b.join('.')}:${Number.parseInt(p, 16)}`;
}

/**
 * What a process's open fds are, by kind: "tcp <state>", "udp <local address>" (RTP ports
 * are summed per address), "file", "pipe", "other". Read from /proc/PID/fd and the process's
 * own /proc/PID/net tables (its network namespace). For a report, not a judgement.
 */
export function fdKinds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string) => {
    out[k] = (out[k] ?? 0) + 1;
  };
  const sockets = new Map<string, string>();
  for (const t of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${t}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const inode = f[9] as string;
      const local = hexAddress(f[1] as string);
      sockets.set(
        inode,
        t.startsWith('tcp')
          ? `tcp ${TCP_STATES[f[3] as string] ?? f[3]}`
          : `udp ${local.split(':')[0]}${local.endsWith(':5060') ? ':5060' : ''}`,
      );
    }
  }
  let names: string[] = [];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const n of names) {
    let link = '';
    try {
      link = readlinkSync(`/proc/${pid}/fd/${n}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) add(sockets.get(m[1] as string) ?? 'socket (other)');
    else if (link.startsWith('pipe:')) add('pipe');
    else if (link.startsWith('anon_inode:')) add(link);
    else add('file');
  }
  return out;
}
