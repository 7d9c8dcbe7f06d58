/**
 * The line protocol between bench/call-rate.ts and a callee it runs as a child process
 * (bench/call-rate-uas.ts, bench/call-rate-floor-uas.ts, bench/call-rate-npm-sip-uas.ts):
 * the child prints {"ready": port}, then answers each line on stdin with one JSON line on
 * stdout: "reset" (counters and CPU from now on), "stats" (CPU in ms since the reset, with the
 * callee's counters) and "quit". It also quits at the end of its input, or after 10 minutes
 * without a line, so that a bench that died leaves no callee behind.
 */
import { createInterface } from 'node:readline';

export interface ChildCallee {
  /** Forgets the counters. */
  reset(): void;
  /** The counters since the last reset (invites, acked, byes, failed, sent). */
  counters(): Record<string, number>;
  /** Lets the callee's sockets go; the process exits after it. */
  stop(): void | Promise<void>;
}

const IDLE_MS = 600_000;

/** Serves the protocol for `callee`, listening on `port`; prints the ready line at once. */
export function serveChildCallee(callee: ChildCallee, port: number): void {
  const reply = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  let cpu0 = process.cpuUsage();
  let quitting = false;
  const quit = async () => {
    if (quitting) return;
    quitting = true;
    clearTimeout(idleTimer);
    await callee.stop();
    process.exit(0);
  };
  let idleTimer = setTimeout(() => void quit(), IDLE_MS);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void quit(), IDLE_MS);
    const cmd = line.trim();
    if (cmd === 'reset') {
      callee.reset();
      cpu0 = process.cpuUsage();
      reply({ reset: true });
    } else if (cmd === 'stats') {
      const c = process.cpuUsage(cpu0);
      reply({ cpuMs: (c.user + c.system) / 1000, ...callee.counters() });
    } else if (cmd === 'quit') void quit();
  });
  lines.on('close', () => void quit());
  reply({ ready: port });
}
