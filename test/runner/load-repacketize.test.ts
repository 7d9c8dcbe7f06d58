/**
 * A load run judges the audio time that arrived, not the packet count: an SBC may send the
 * audio on in longer packets than it got (a=ptime is a preference, RFC 4566 §6; receivers accept
 * 0 to 200 ms per packet, RFC 3551 §4.2). The same small run through the embedded SBC with its
 * default behaviour (packets relayed as they come, 20 ms) and with personalities repacketize-40
 * and repacketize-60 (40 or 60 ms packets toward each leg, a half or a third as many) must pass
 * in all three; the SBC's own RTP evidence proves which packet sizes it sent. With 60 ms the old
 * check (packets arrived against the sender's 20 ms packets, at least half) failed every call.
 * Nothing asserts a duration.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/lab.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { PacketRecord } from '../../harness/media/rtp/index.ts';
import { runLoad } from '../../harness/runner/load-run.ts';

const TIMERS = { t1: 100, t2: 800, t4: 1000 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

/** Payload sizes of the G.711 / G.722 RTP packets the SBC sent, by size. */
function sentAudioSizes(records: PacketRecord[]): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const r of records) {
    if (r.direction !== 'sent' || r.channel !== 'rtp' || r.bytes.length < 12) continue;
    if (![0, 8, 9].includes(r.bytes[1]! & 0x7f)) continue;
    const len = r.bytes.length - 12 - 4 * (r.bytes[0]! & 0x0f);
    sizes.set(len, (sizes.get(len) ?? 0) + 1);
  }
  return sizes;
}

describe('load audio check with an SBC that repacketizes', () => {
  // ptime-30 with repacketize-40: the peers send 30 ms packets, which do not divide 40 ms.
  for (const personalities of [[], ['repacketize-40'], ['repacketize-60'], ['ptime-30', 'repacketize-40']]) {
    const name =
      personalities.length === 0 ? 'default (20 ms relayed as it comes)' : personalities.join(', ');
    it(`${name}: every call passes, judged on the audio time that arrived`, { timeout: 90_000 }, async () => {
      const lab = await Lab.start({
        profile: loadProfile(),
        ephemeralPorts: true,
        timers: TIMERS,
        personalities,
      });
      labs.push(lab);
      const r = await runLoad({ lab, calls: 4, steps: [2], holdS: 2, direction: 'both' });
      expect(r.calls).toHaveLength(4);
      const toneMs = 2000 - 250;
      for (const c of r.calls) {
        // A stalled host can push the one-way delay past the G.114 bound or make our own sender
        // skip slots: timed checks this test does not make. Everything else must pass, the
        // arrived-audio check included.
        const others = c.failures.filter(
          (f) =>
            !/is delayed .* one-way|^Only \d+ ms of the \d+ ms of audio \(\d+ packets\) were sent/.test(f),
        );
        expect(others, `call ${c.index}`).toEqual([]);
        expect(c.established).toBe(true);
        expect(c.released).toBe(true);
        expect(c.audio).toHaveLength(2);
        for (const a of c.audio) {
          expect(a.heard).toBe(true);
          expect(a.audioArrivedMs).toBeGreaterThanOrEqual(0.5 * toneMs);
        }
      }
      // What the SBC put on the wire: 40 or 60 ms (320 or 480 octets) with the personality,
      // neither without it.
      const sizes = sentAudioSizes(lab.sbc?.evidence() ?? []);
      const all = [...sizes.values()].reduce((n, x) => n + x, 0);
      expect(all).toBeGreaterThan(0);
      const long = personalities.includes('repacketize-60') ? 480 : 320;
      if (personalities.length === 0) expect((sizes.get(320) ?? 0) + (sizes.get(480) ?? 0)).toBe(0);
      else expect(sizes.get(long) ?? 0).toBeGreaterThan(all / 2);
    });
  }
});
