import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { decodeUdpFrame, PcapWriter, readCapture } from '../../harness/media/capture/index.ts';
import { analyzeCapture, syntheticStream } from '../../harness/media/rtp/index.ts';
import { describeWithPeers } from '../support/peers.ts';

interface TsharkStream {
  ssrc: number;
  packets: number;
  lost: number;
  maxDelta: number;
  minJitter: number;
  meanJitter: number;
  maxJitter: number;
}

/** Parses the table of `tshark -q -z rtp,streams`. */
function parseRtpStreams(text: string): TsharkStream[] {
  const out: TsharkStream[] = [];
  for (const line of text.split('\n')) {
    const m =
      /\s(0x[0-9a-f]+)\s+\S+\s+(\d+)\s+(-?\d+)\s+\([^)]*\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/i.exec(
        line,
      );
    if (!m) continue;
    out.push({
      ssrc: Number.parseInt(m[1]!, 16),
      packets: Number(m[2]),
      lost: Number(m[3]),
      maxDelta: Number(m[6]),
      minJitter: Number(m[7]),
      meanJitter: Number(m[8]),
      maxJitter: Number(m[9]),
    });
  }
  return out;
}

describeWithPeers(['tshark'], 'RTP statistics agree with tshark (oracle)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtp-oracle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tshark = (args: string[]) =>
    execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });

  const cases = [
    {
      name: 'IPv4/Ethernet, 3 % loss, 30 ms jitter',
      link: 'ethernet' as const,
      a: '127.0.0.1',
      b: '127.0.0.2',
      seed: 11,
      loss: 0.03,
      jitter: 30,
    },
    {
      name: 'raw IPv6, 5 % loss, 8 ms jitter, sequence wrap',
      link: 'raw' as const,
      a: '::1',
      b: '::1',
      seed: 29,
      loss: 0.05,
      jitter: 8,
    },
  ];
  for (const c of cases) {
    it(`loss and jitter equal tshark's rtp,streams: ${c.name}`, () => {
      const port = 40_002;
      const w = new PcapWriter({ link: c.link });
      let sent = 0;
      for (const p of syntheticStream({
        packets: 2500,
        seed: c.seed,
        lossRate: c.loss,
        jitterMs: c.jitter,
        startMs: Date.UTC(2026, 0, 1),
        firstSeq: 64_000,
        ssrc: 0xabc00000 + c.seed,
      })) {
        w.addUdp({
          timeMs: p.arrivalMs,
          src: { address: c.a, port: 40_000 },
          dst: { address: c.b, port },
          payload: p.bytes,
        });
        sent++;
      }
      const file = join(dir, `${c.seed}.pcap`);
      w.writeFile(file);
      const ts = parseRtpStreams(
        tshark(['-r', file, '-q', '-z', 'rtp,streams', '-d', `udp.port==${port},rtp`]),
      );
      expect(ts.length).toBe(1);
      const ours = analyzeCapture(readFileSync(file), { rtpPorts: new Set([port]) });
      expect(ours.streams.length).toBe(1);
      const s = ours.streams[0]!.stats;
      const t = ts[0]!;
      expect(s.ssrc).toBe(t.ssrc);
      expect(s.received).toBe(sent);
      expect(s.received).toBe(t.packets);
      expect(s.lost).toBeGreaterThan(0);
      expect(s.lost).toBe(t.lost);
      // tshark prints ms with three decimals.
      expect(Math.abs(s.maxJitterMs - t.maxJitter)).toBeLessThanOrEqual(0.0005 + 1e-9);
      expect(Math.abs(s.meanJitterMs - t.meanJitter)).toBeLessThanOrEqual(0.0005 + 1e-9);
      expect(Math.abs(s.minJitterMs - t.minJitter)).toBeLessThanOrEqual(0.0005 + 1e-9);
      expect(Math.abs(s.maxDeltaMs - t.maxDelta)).toBeLessThanOrEqual(0.0005 + 1e-9);
    });
  }

  it('reads a tshark-written pcapng and gets the same packets', () => {
    const w = new PcapWriter({ link: 'ethernet' });
    const start = Date.UTC(2026, 0, 1, 12);
    for (const p of syntheticStream({ packets: 300, seed: 3, lossRate: 0.02, jitterMs: 5, startMs: start })) {
      w.addUdp({
        timeMs: p.arrivalMs,
        src: { address: '127.0.0.5', port: 30_000 },
        dst: { address: '127.0.0.6', port: 30_002 },
        payload: p.bytes,
      });
    }
    const pcap = join(dir, 'in.pcap');
    const ng = join(dir, 'out.pcapng');
    w.writeFile(pcap);
    tshark(['-r', pcap, '-w', ng, '-F', 'pcapng']);
    const a = readCapture(readFileSync(pcap));
    const b = readCapture(readFileSync(ng));
    expect(b.format).toBe('pcapng');
    expect(b.error).toBeUndefined();
    expect(b.frames.length).toBe(a.frames.length);
    a.frames.forEach((fa, i) => {
      const fb = b.frames[i]!;
      expect(fb.sec).toBe(fa.sec);
      expect(fb.nsec).toBe(fa.nsec);
      expect(fb.linktype).toBe(fa.linktype);
      expect(Buffer.from(fb.data).equals(Buffer.from(fa.data))).toBe(true);
      expect(decodeUdpFrame(fb.linktype, fb.data)?.dst.port).toBe(30_002);
    });
  });
});
