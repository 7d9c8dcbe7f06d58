import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIpUdp,
  canBuildIpUdp,
  decodeUdpFrame,
  encodeWav,
  LINKTYPE,
  PcapWriter,
  readCapture,
  wrapEthernet,
} from '../../harness/media/capture/index.ts';

/** Builds a classic pcap by hand in either byte order and resolution. */
function handPcap(
  le: boolean,
  nano: boolean,
  records: { sec: number; frac: number; data: Uint8Array }[],
): Uint8Array {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const w16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  w32(h, nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, 2, 4);
  w16(h, 4, 6);
  w32(h, 65535, 16);
  w32(h, LINKTYPE.RAW, 20);
  parts.push(h);
  for (const r of records) {
    const rh = Buffer.alloc(16);
    w32(rh, r.sec, 0);
    w32(rh, r.frac, 4);
    w32(rh, r.data.length, 8);
    w32(rh, r.data.length, 12);
    parts.push(rh, Buffer.from(r.data));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** A pcapng with one IDB (given if_tsresol) and one EPB and one SPB, in either byte order. */
function handPcapng(le: boolean, tsresol: number, ts: bigint, data: Uint8Array): Uint8Array {
  const block = (type: number, body: Buffer) => {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    const w = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
    w(type, 0);
    w(len, 4);
    body.copy(b, 8);
    w(len, len - 4);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    le ? b.writeUInt32LE(v) : b.writeUInt32BE(v);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    le ? b.writeUInt16LE(v) : b.writeUInt16BE(v);
    return b;
  };
  const pad = (d: Uint8Array) => Buffer.concat([Buffer.from(d), Buffer.alloc((4 - (d.length % 4)) % 4)]);
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]));
  const idb = block(
    1,
    Buffer.concat([
      u16(LINKTYPE.RAW),
      u16(0),
      u32(0),
      u16(9),
      u16(1),
      Buffer.from([tsresol, 0, 0, 0]),
      u16(0),
      u16(0),
    ]),
  );
  const epb = block(
    6,
    Buffer.concat([
      u32(0),
      u32(Number(ts >> 32n)),
      u32(Number(ts & 0xffffffffn)),
      u32(data.length),
      u32(data.length),
      pad(data),
    ]),
  );
  const spb = block(3, Buffer.concat([u32(data.length), pad(data)]));
  return new Uint8Array(Buffer.concat([shb, idb, epb, spb]));
}

describe('pcap writer and reader', () => {
  it('writes UDP over Ethernet and raw IPv4/IPv6 that reads back exactly', () => {
    for (const link of ['ethernet', 'raw'] as const) {
      for (const [a, b] of [
        ['127.0.0.1', '127.0.0.2'],
        ['::1', 'fe80::1:2'],
      ] as const) {
        const w = new PcapWriter({ link });
        const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(171).fill(9), new Uint8Array(0)];
        payloads.forEach((p, i) => {
          w.addUdp({
            timeMs: 1_767_225_600_000 + i * 20.5 + 0.001,
            src: { address: a, port: 4000 },
            dst: { address: b, port: 5000 + i },
            payload: p,
          });
        });
        const f = readCapture(w.toBuffer());
        expect(f.format).toBe('pcap');
        expect(f.error).toBeUndefined();
        expect(f.frames.length).toBe(3);
        f.frames.forEach((fr, i) => {
          expect(fr.sec * 1e6 + fr.nsec / 1000).toBe(
            Math.round((1_767_225_600_000 + i * 20.5 + 0.001) * 1000),
          );
          const u = decodeUdpFrame(fr.linktype, fr.data)!;
          expect(u.src).toEqual({ address: a, port: 4000 });
          expect(u.dst).toEqual({ address: b, port: 5000 + i });
          expect(Array.from(u.payload)).toEqual(Array.from(payloads[i]!));
        });
      }
    }
  });

  it('tells which ends a packet can be built between: IP addresses of one family, not a host name', () => {
    const v4 = { address: '127.0.0.1', port: 5060 };
    const v6 = { address: '::1', port: 5060 };
    expect(canBuildIpUdp(v4, { address: '127.0.0.2', port: 1 })).toBe(true);
    expect(canBuildIpUdp(v6, { address: 'fe80::1%lo', port: 1 })).toBe(true);
    expect(canBuildIpUdp(v4, v6)).toBe(false);
    expect(canBuildIpUdp(v4, { address: 'localhost', port: 5060 })).toBe(false);
    expect(() => buildIpUdp(v4, { address: 'localhost', port: 5060 }, new Uint8Array(1))).toThrow(RangeError);
  });

  it('computes a valid IPv4 header checksum and UDP checksum', () => {
    const ip = buildIpUdp(
      { address: '127.0.0.1', port: 1 },
      { address: '127.0.0.9', port: 2 },
      new Uint8Array([0xab, 0xcd, 0xef]),
    );
    const sum = (b: Uint8Array, from: number, to: number, init = 0) => {
      let s = init;
      for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      return s;
    };
    expect(sum(ip, 0, 20)).toBe(0xffff);
    const pseudo = sum(ip, 12, 20) + 17 + (ip.length - 20);
    expect(sum(ip, 20, ip.length, pseudo)).toBe(0xffff);
  });

  it('reads classic pcap in both byte orders, µs and ns', () => {
    const data = buildIpUdp(
      { address: '10.0.0.1', port: 7 },
      { address: '10.0.0.2', port: 8 },
      new Uint8Array([5]),
    );
    for (const le of [true, false]) {
      for (const nano of [true, false]) {
        const f = readCapture(handPcap(le, nano, [{ sec: 100, frac: nano ? 123_456_789 : 123_456, data }]));
        expect(f.error).toBeUndefined();
        expect(f.frames[0]).toMatchObject({
          sec: 100,
          nsec: nano ? 123_456_789 : 123_456_000,
          linktype: LINKTYPE.RAW,
        });
        expect(decodeUdpFrame(LINKTYPE.RAW, f.frames[0]!.data)?.payload[0]).toBe(5);
      }
    }
  });

  it('reads pcapng EPB/SPB with per-interface resolution in both byte orders', () => {
    const data = buildIpUdp(
      { address: '10.0.0.1', port: 7 },
      { address: '10.0.0.2', port: 8 },
      new Uint8Array([1, 2, 3, 4, 5]),
    );
    for (const le of [true, false]) {
      const ns = readCapture(handPcapng(le, 9, 1_700_000_000_123_456_789n, data));
      expect(ns.error).toBeUndefined();
      expect(ns.format).toBe('pcapng');
      expect(ns.frames.length).toBe(2);
      expect(ns.frames[0]).toMatchObject({ sec: 1_700_000_000, nsec: 123_456_789 });
      expect(Array.from(ns.frames[1]!.data)).toEqual(Array.from(data));
      // Binary resolution: 2^-10 s units.
      const bin = readCapture(handPcapng(le, 0x8a, 1024n * 5n + 512n, data));
      expect(bin.frames[0]).toMatchObject({ sec: 5, nsec: 500_000_000 });
    }
  });

  it('never throws on damaged files and keeps the frames before the damage (fuzz)', () => {
    const w = new PcapWriter();
    for (let i = 0; i < 5; i++)
      w.addUdp({
        timeMs: i,
        src: { address: '127.0.0.1', port: 1 },
        dst: { address: '127.0.0.1', port: 2 },
        payload: new Uint8Array(20),
      });
    const good = w.toBuffer();
    expect(readCapture(good.subarray(0, good.length - 3)).frames.length).toBe(4);
    const ng = handPcapng(true, 6, 1n, new Uint8Array(30));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: ng.length }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: ng.length - 1 }),
        (cut, v, at) => {
          for (const base of [good, ng]) {
            const b = new Uint8Array(base.subarray(0, Math.min(cut, base.length)));
            if (at < b.length) b[at] = v;
            const f = readCapture(b);
            for (const fr of f.frames) decodeUdpFrame(fr.linktype, fr.data);
          }
        },
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0, 1, 101, 113, 228, 229, 276),
        (b, lt) => {
          decodeUdpFrame(lt, b);
          readCapture(b);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('decodes Ethernet frames with a VLAN tag', () => {
    const eth = wrapEthernet(
      buildIpUdp({ address: '192.0.2.1', port: 10 }, { address: '192.0.2.2', port: 20 }, new Uint8Array([9])),
    );
    const tagged = new Uint8Array(eth.length + 4);
    tagged.set(eth.subarray(0, 12), 0);
    tagged.set([0x81, 0x00, 0x00, 0x64], 12);
    tagged.set(eth.subarray(12), 16);
    expect(decodeUdpFrame(LINKTYPE.ETHERNET, tagged)?.dst.port).toBe(20);
  });
});

describe('WAV writer', () => {
  it('writes a canonical 16-bit mono header and little-endian samples at any rate', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768]);
    for (const rate of [8000, 16000, 44100]) {
      const w = Buffer.from(encodeWav(pcm, rate));
      expect(w.toString('ascii', 0, 4)).toBe('RIFF');
      expect(w.readUInt32LE(4)).toBe(w.length - 8);
      expect(w.toString('ascii', 8, 16)).toBe('WAVEfmt ');
      expect(w.readUInt16LE(20)).toBe(1);
      expect(w.readUInt16LE(22)).toBe(1);
      expect(w.readUInt32LE(24)).toBe(rate);
      expect(w.readUInt32LE(28)).toBe(rate * 2);
      expect(w.readUInt16LE(34)).toBe(16);
      expect(w.toString('ascii', 36, 40)).toBe('data');
      expect(w.readUInt32LE(40)).toBe(10);
      expect(Array.from({ length: 5 }, (_, i) => w.readInt16LE(44 + 2 * i))).toEqual(Array.from(pcm));
    }
  });
});
