/**
 * Reader for capture files: classic pcap (microsecond and nanosecond magic, either byte
 * order) and pcapng (SHB, IDB with if_tsresol/if_tsoffset, EPB, SPB, and the obsolete PB;
 * other blocks are skipped; byte order per section). Never throws: damage is reported.
 */

/** One captured frame. */
export interface CapturedFrame {
  /** Capture time in ms since the Unix epoch (sub-µs precision may be rounded). */
  timeMs: number;
  /** Whole seconds and the nanoseconds within the second, exact. */
  sec: number;
  nsec: number;
  linktype: number;
  interfaceId: number;
  /** Original length on the wire (≥ data.length when truncated by the snap length). */
  origLength: number;
  data: Uint8Array;
}

export type CaptureFormat = 'pcap' | 'pcapng' | 'unknown';

/** Result of reading a whole capture. */
export interface CaptureFile {
  format: CaptureFormat;
  frames: CapturedFrame[];
  /** Why reading stopped early, when it did (the frames before that are kept). */
  error?: string;
}

/** Detects the format from the first four bytes. */
export function captureFormat(buf: Uint8Array): CaptureFormat {
  if (buf.length < 4) return 'unknown';
  const m = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, false);
  if (m === 0x0a0d0d0a) return 'pcapng';
  if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) return 'pcap';
  return 'unknown';
}

/** Reads every frame of a pcap or pcapng buffer. */
export function readCapture(buf: Uint8Array): CaptureFile {
  const frames: CapturedFrame[] = [];
  const it = iterateCapture(buf);
  const format = captureFormat(buf);
  for (;;) {
    const n = it.next();
    if (n.done) return n.value === undefined ? { format, frames } : { format, frames, error: n.value };
    frames.push(n.value);
  }
}

/** Iterates frames without holding them all; the generator's return value is an error message, if any. */
export function* iterateCapture(buf: Uint8Array): Generator<CapturedFrame, string | undefined> {
  const fmt = captureFormat(buf);
  if (fmt === 'pcap') return yield* iteratePcap(buf);
  if (fmt === 'pcapng') return yield* iteratePcapng(buf);
  return 'not a pcap or pcapng file';
}

function* iteratePcap(buf: Uint8Array): Generator<CapturedFrame, string | undefined> {
  if (buf.length < 24) return 'truncated pcap header';
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magicBE = dv.getUint32(0, false);
  const le = magicBE === 0xd4c3b2a1 || magicBE === 0x4d3cb2a1;
  const nano = magicBE === 0xa1b23c4d || magicBE === 0x4d3cb2a1;
  const linktype = dv.getUint32(20, le) & 0x0fffffff;
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) return 'truncated record header';
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (incl > 0x4000000) return `implausible record length ${incl}`;
    if (off + 16 + incl > buf.length) return 'truncated record';
    const nsec = nano ? frac : frac * 1000;
    if (nsec >= 1e9) return 'bad sub-second timestamp';
    yield {
      timeMs: sec * 1000 + nsec / 1e6,
      sec,
      nsec,
      linktype,
      interfaceId: 0,
      origLength: orig,
      data: buf.subarray(off + 16, off + 16 + incl),
    };
    off += 16 + incl;
  }
  return undefined;
}

interface Iface {
  linktype: number;
  snaplen: number;
  /** Units per second as a bigint; decimal or binary resolution. */
  unitsPerSec: bigint;
  offsetSec: bigint;
}

function parseIdb(dv: DataView, body: number, end: number, le: boolean): Iface {
  const iface: Iface = {
    linktype: dv.getUint16(body, le),
    snaplen: dv.getUint32(body + 4, le),
    unitsPerSec: 1_000_000n,
    offsetSec: 0n,
  };
  let o = body + 8;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (code === 0 || o + 4 + len > end) break;
    if (code === 9 && len >= 1) {
      const v = dv.getUint8(o + 4);
      const exp = BigInt(v & 0x7f);
      iface.unitsPerSec = v & 0x80 ? 1n << exp : 10n ** exp;
    } else if (code === 14 && len >= 8) {
      iface.offsetSec = dv.getBigInt64(o + 4, le);
    }
    o += 4 + ((len + 3) & ~3);
  }
  return iface;
}

function* iteratePcapng(buf: Uint8Array): Generator<CapturedFrame, string | undefined> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  let le = true;
  let ifaces: Iface[] = [];
  while (off < buf.length) {
    if (off + 12 > buf.length) return 'truncated block header';
    const typeBE = dv.getUint32(off, false);
    if (typeBE === 0x0a0d0d0a) {
      if (off + 28 > buf.length) return 'truncated section header';
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return 'bad byte-order magic';
      ifaces = [];
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length) return `bad block length ${len}`;
    if (dv.getUint32(off + len - 4, le) !== len) return 'block trailer length mismatch';
    const body = off + 8;
    const end = off + len - 4;
    if (type === 1) {
      if (end - body < 8) return 'truncated interface description';
      ifaces.push(parseIdb(dv, body, end, le));
    } else if (type === 6 || type === 2) {
      if (end - body < 20) return 'truncated packet block';
      const id = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
      const iface = ifaces[id];
      if (!iface) return `packet on undeclared interface ${id}`;
      const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const caplen = dv.getUint32(body + 12, le);
      const orig = dv.getUint32(body + 16, le);
      if (body + 20 + caplen > end) return 'packet data past block end';
      const secBig = ts / iface.unitsPerSec + iface.offsetSec;
      const fracUnits = ts % iface.unitsPerSec;
      const nsec = Number((fracUnits * 1_000_000_000n) / iface.unitsPerSec);
      const sec = Number(secBig);
      yield {
        timeMs: sec * 1000 + nsec / 1e6,
        sec,
        nsec,
        linktype: iface.linktype,
        interfaceId: id,
        origLength: orig,
        data: buf.subarray(body + 20, body + 20 + caplen),
      };
    } else if (type === 3) {
      const iface = ifaces[0];
      if (!iface) return 'simple packet before any interface';
      if (end - body < 4) return 'truncated simple packet block';
      const orig = dv.getUint32(body, le);
      let caplen = Math.min(orig, end - body - 4);
      if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
      yield {
        timeMs: 0,
        sec: 0,
        nsec: 0,
        linktype: iface.linktype,
        interfaceId: 0,
        origLength: orig,
        data: buf.subarray(body + 4, body + 4 + caplen),
      };
    }
    off += len;
  }
  return undefined;
}
