/**
 * Finding 7 of issue 15: ~140,000 bad messages wrote 24 MB of warn lines, one each. Now each
 * reason's lines are summarised per interval (harness/support/log-summary.ts): a flood of
 * malformed datagrams over loopback is counted in full but logged as its first lines and one
 * summary. The interval itself is checked on virtual time.
 */
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { UserAgent } from '../../harness/sip/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';
import { createLogger } from '../../harness/support/log.ts';
import { DEFAULT_LOG_SUMMARY, SummarizedLog } from '../../harness/support/log-summary.ts';

const SERVER = '127.0.88.11';
const SENDER = '127.0.88.12';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A pino logger into memory; `lines()` parses what it wrote. */
function memoryLogger() {
  let text = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const log = createLogger({ level: 'info', pretty: false, destination });
  return {
    log,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('log lines about bad input are summarised (issue 15, finding 7)', () => {
  it('500 malformed datagrams: all counted, the first lines and one summary logged', async () => {
    const mem = memoryLogger();
    const ua = await UserAgent.start({
      listen: [{ protocol: 'UDP', address: SERVER, port: 0 }],
      logger: mem.log,
    });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await ua.stop();
    });
    const port = ua.transport.listenerFor('UDP').port;
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, SENDER, () => r()));
    cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
    for (let i = 0; i < 500; i++) {
      s.send(Buffer.from(`this is not SIP ${i}\r\n\r\n`), port, SERVER);
      if (i % 50 === 49) await sleep(20); // paced: loopback drops nothing
    }
    const end = Date.now() + 10_000;
    while (ua.transport.stats.parseErrors < 500 && Date.now() < end) await sleep(20);
    expect(ua.transport.stats.parseErrors, 'every datagram counted').toBe(500);

    const perMessage = mem.lines().filter((l) => l.msg === 'unparsable SIP message');
    expect(perMessage.length).toBe(DEFAULT_LOG_SUMMARY.firstLines);
    await ua.stop();
    stopped = true;
    const summaries = mem.lines().filter((l) => typeof l.suppressed === 'number');
    expect(summaries.length).toBe(1);
    expect(summaries[0]?.suppressed).toBe(500 - DEFAULT_LOG_SUMMARY.firstLines);
    expect(String(summaries[0]?.reason)).toMatch(/^unparsable:/);
    expect(mem.lines().length, 'lines written in all').toBeLessThan(20);
  });

  it('per reason and per interval: a new interval writes its first lines again', () => {
    const mem = memoryLogger();
    const clock = new VirtualClock();
    const log = new SummarizedLog(mem.log, { clock, firstLines: 3, intervalMs: 10_000 });
    for (let i = 0; i < 25; i++) log.warn('a', { i }, 'line a');
    for (let i = 0; i < 2; i++) log.warn('b', { i }, 'line b');
    expect(mem.lines().map((l) => l.msg)).toEqual(['line a', 'line a', 'line a', 'line b', 'line b']);
    clock.advance(10_000);
    const summary = mem.lines().filter((l) => l.suppressed !== undefined);
    expect(summary).toEqual([expect.objectContaining({ reason: 'a', suppressed: 22, logged: 3 })]);
    log.warn('a', {}, 'line a');
    expect(mem.lines().at(-1)?.msg, 'the next interval starts afresh').toBe('line a');
    expect(log.suppressedTotal).toBe(22);
  });
});
