/**
 * Our callee as a process of its own, for the call-rate benchmark (bench/call-rate.ts):
 *
 *   node bin/run-ts.js bench/call-rate-uas.ts ADDRESS MAX_TRANSACTIONS
 *
 * Speaks bench/child-callee-protocol.ts on stdin and stdout: prints `{"ready":PORT}` when
 * listening; "reset" zeroes the counters and the CPU baseline; "stats" answers
 * `{"cpuMs":…,"invites":…,"acked":…,"byes":…,"failed":…,"sent":…}` since the reset; "quit"
 * stops the agent and exits (so does the end of stdin, or 10 minutes of silence).
 */
import { startCallee } from './call-rate-agents.ts';
import { serveChildCallee } from './child-callee-protocol.ts';

const address = process.argv[2] ?? '127.0.0.2';
const maxTransactions = Math.max(Number(process.argv[3]) || 10_000, 1);
const callee = await startCallee(address, maxTransactions);
let sent0 = callee.ua.transport.stats.sent;

serveChildCallee(
  {
    reset() {
      callee.reset();
      sent0 = callee.ua.transport.stats.sent;
    },
    counters: () => ({ ...callee.counters, sent: callee.ua.transport.stats.sent - sent0 }),
    stop: () => callee.ua.stop(),
  },
  callee.port,
);
