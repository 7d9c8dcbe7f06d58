/**
 * Our callee as a process of its own, for the call-rate benchmark (bench/call-rate.ts):
 *
 *   node bin/run-ts.js bench/call-rate-uas.ts ADDRESS MAX_TRANSACTIONS
 *
 * Prints one JSON line `{"ready":PORT}` when listening, then answers JSON lines to commands
 * read from stdin, one per line:
 *   reset  → zeroes the counters and the CPU baseline; `{"reset":true}`
 *   stats  → `{"cpuMs":…,"invites":…,"acked":…,"byes":…,"failed":…,"sent":…}` since the reset
 *   quit   → stops the agent and exits (so does the end of stdin, or 10 minutes of silence).
 */
import { createInterface } from 'node:readline';
import { startCallee } from './call-rate-agents.ts';

const address = process.argv[2] ?? '127.0.0.2';
const maxTransactions = Math.max(Number(process.argv[3]) || 10_000, 1);
const callee = await startCallee(address, maxTransactions);
let cpu0 = process.cpuUsage();
let sent0 = callee.ua.transport.stats.sent;

const idle = () => setTimeout(() => void quit(), 600_000);
let idleTimer = idle();
let quitting = false;
async function quit(): Promise<void> {
  if (quitting) return;
  quitting = true;
  clearTimeout(idleTimer);
  await callee.ua.stop();
  process.exit(0);
}

const reply = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  clearTimeout(idleTimer);
  idleTimer = idle();
  const cmd = line.trim();
  if (cmd === 'reset') {
    callee.reset();
    cpu0 = process.cpuUsage();
    sent0 = callee.ua.transport.stats.sent;
    reply({ reset: true });
  } else if (cmd === 'stats') {
    const c = process.cpuUsage(cpu0);
    reply({
      cpuMs: (c.user + c.system) / 1000,
      ...callee.counters,
      sent: callee.ua.transport.stats.sent - sent0,
    });
  } else if (cmd === 'quit') void quit();
});
lines.on('close', () => void quit());
reply({ ready: callee.port });
