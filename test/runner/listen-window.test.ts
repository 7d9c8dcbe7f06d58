/**
 * The listening window (harness/runner/listen-window.ts): a window in which this process itself
 * stalled is listened to again, and said so in the comment; when every window stalled the last
 * is judged and the note says that too; what arrived on a socket by the end of the window is
 * read before the window is read, even when the end of the window comes in the turn right after
 * a stall. Real timers, a real busy-wait and real UDP sockets on loopback.
 */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import {
  LISTEN_TRIES,
  listenWindow,
  stallText,
  unjudgedIfStalled,
} from '../../harness/runner/listen-window.ts';
import { STALL_MS } from '../../harness/support/loop-lateness.ts';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: this process's event loop held up
  }
}

/** A case context's note and step, recorded. */
function recorder() {
  const notes: string[] = [];
  const steps: string[] = [];
  return { notes, steps, ctx: { note: (t: string) => notes.push(t), step: (t: string) => steps.push(t) } };
}

describe('listenWindow', () => {
  it('reads what was heard at the end of a window; a window without a stall is judged as it is', async () => {
    const r = recorder();
    let starts = 0;
    let startedAt = 0;
    let readAfterMs = 0;
    const out = await listenWindow(r.ctx, 'the tones', {
      ms: 150,
      start: () => {
        starts++;
        startedAt = performance.now();
      },
      read: () => {
        readAfterMs = performance.now() - startedAt;
        return `heard after ${starts} window(s)`;
      },
    });
    // Read at the end of the window it started, not before.
    expect(readAfterMs).toBeGreaterThanOrEqual(149);
    // A loaded host may stall on its own: every window that was not judged had a stall.
    expect(starts).toBe(out.stalledMs.length + 1);
    for (const s of out.stalledMs) expect(s).toBeGreaterThan(STALL_MS);
    expect(out.heard).toBe(`heard after ${starts} window(s)`);
    expect(r.steps[0]).toBe('listening (the tones)');
    if (out.stalledMs.length === 0) {
      expect(out.judgedStallMs).toBe(0);
      expect(r.notes).toEqual([]);
    }
  });

  it('a window with a stall of this process is listened to again, and the comment says why', async () => {
    const r = recorder();
    let starts = 0;
    const out = await listenWindow(r.ctx, 'after the transfer', {
      ms: 300,
      start: () => {
        starts++;
        if (starts === 1) setTimeout(() => busy(STALL_MS + 200), 100);
      },
      read: () => starts,
    });
    expect(out.heard).toBeGreaterThanOrEqual(2);
    expect(out.stalledMs[0]).toBeGreaterThanOrEqual(STALL_MS + 150);
    expect(out.judgedStallMs).toBe(0);
    expect(r.steps).toContain(
      `listening again (after the transfer): this process stalled ${out.stalledMs[0]} ms`,
    );
    expect(r.notes).toHaveLength(1);
    // Once, or more if the host stalled on its own in the next window too.
    expect(r.notes[0]).toMatch(
      /^after the transfer: listened again (once|twice), this process itself having stalled \d+(, \d+)? ms in the windows? before \(its event loop was held up, a stall of this host, not something the SBC did\); the window judged had no stall\.$/,
    );
  });

  it('when every window stalled, the last is judged, and the note and the observation say so', async () => {
    const r = recorder();
    let starts = 0;
    const out = await listenWindow(r.ctx, 'the music on hold', {
      ms: 300,
      tries: 2,
      start: () => {
        starts++;
        setTimeout(() => busy(STALL_MS + 200), 100);
      },
      read: () => starts,
    });
    expect(out.heard).toBe(2);
    expect(out.stalledMs).toHaveLength(1);
    expect(out.judgedStallMs).toBeGreaterThanOrEqual(STALL_MS + 150);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(
      /^the music on hold: this process itself stalled in every window listened to \(\d+, \d+ ms: its event loop was held up, a stall of this host, not something the SBC did\); the last window was judged for what was heard in it/,
    );
    // What a stall can have made is not judged; what was heard is.
    expect(unjudgedIfStalled(out, true).incomplete).toMatch(/^what a stall of this process could have made/);
    expect(unjudgedIfStalled(out, false)).toEqual({});
    expect(unjudgedIfStalled({ judgedStallMs: 0 }, true)).toEqual({});
    expect(stallText(out.judgedStallMs)).toBe(
      ` (this process stalled ${out.judgedStallMs} ms in the window)`,
    );
    expect(stallText(0)).toBe('');
    expect(LISTEN_TRIES).toBe(3);
  });

  it('a datagram relayed in this process by the end of the window is read first, even when the window ends in the turn after a stall', async () => {
    // The end of the window is a timer. A stall outside the timers phase (here a setImmediate
    // callback; in a run, a burst of packets or a collection) that lasts past it makes the next
    // turn run that timer before the sockets are read. The datagram goes through a relay in
    // this process, as through the embedded SBC: the relay reads it in one turn and the far
    // end in the next, so a read at once, or after one turn, would miss it.
    const far = dgram.createSocket('udp4');
    const relay = dgram.createSocket('udp4');
    const near = dgram.createSocket('udp4');
    await new Promise<void>((res) => far.bind(0, '127.0.0.1', () => res()));
    await new Promise<void>((res) => relay.bind(0, '127.0.0.1', () => res()));
    const farPort = far.address().port;
    const relayPort = relay.address().port;
    relay.on('message', (m) => relay.send(m, farPort, '127.0.0.1'));
    let got = 0;
    far.on('message', () => got++);
    try {
      const r = recorder();
      const out = await listenWindow(r.ctx, 'a datagram', {
        ms: 100,
        start: () => {
          got = 0;
          setTimeout(
            () =>
              setImmediate(() => {
                near.send(Buffer.from('x'), relayPort, '127.0.0.1');
                busy(80);
              }),
            60,
          );
        },
        read: () => got,
      });
      expect(out.heard).toBe(1);
    } finally {
      far.close();
      relay.close();
      near.close();
    }
  });

  it("waits with the window's own wait when it has one (a case's ctx.wait), once per window", async () => {
    const r = recorder();
    const waits: number[] = [];
    const out = await listenWindow(r.ctx, 'the fax signals', {
      wait: async () => {
        waits.push(performance.now());
        await new Promise((res) => setTimeout(res, 120));
      },
      start: () => undefined,
      read: () => waits.length,
    });
    expect(out.heard).toBe(out.stalledMs.length + 1);
    expect(waits).toHaveLength(out.heard);
  });
});
