/**
 * Classic pcap writer (microsecond timestamps, little-endian) for evidence files: each
 * datagram gets synthesised UDP/IP (and optionally Ethernet) headers with correct lengths
 * and checksums, so tshark and Wireshark dissect it like a real capture.
 */
import { writeFileSync } from 'node:fs';
import { buildIpUdp, type Endpoint, LINKTYPE, wrapEthernet } from './udp-frame.ts';

/** Link layer of a written pcap: Ethernet II, or raw IP (LINKTYPE_RAW, IPv4 and IPv6). */
export type PcapLink = 'ethernet' | 'raw';

export interface PcapWriterOptions {
  link?: PcapLink;
  /** Snap length written in the header (frames are never truncated). */
  snaplen?: number;
}

/** One datagram to write. */
export interface UdpRecord {
  /** Capture time, ms since the Unix epoch (fractions kept to the microsecond). */
  timeMs: number;
  src: Endpoint;
  dst: Endpoint;
  payload: Uint8Array;
}

/** Builds a pcap file in memory; `toBuffer()` or `writeFile()` when done. */
export class PcapWriter {
  readonly linktype: number;
  private readonly chunks: Uint8Array[] = [];
  private count = 0;
  private bytes = 0;

  constructor(options: PcapWriterOptions = {}) {
    this.linktype = (options.link ?? 'ethernet') === 'ethernet' ? LINKTYPE.ETHERNET : LINKTYPE.RAW;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(options.snaplen ?? 262144, 16);
    h.writeUInt32LE(this.linktype, 20);
    this.push(h);
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.bytes += b.length;
  }

  /** Packets written so far. */
  get packets(): number {
    return this.count;
  }

  /** Appends a UDP datagram. Throws a RangeError if the addresses are not one IP family. */
  addUdp(r: UdpRecord): void {
    const ip = buildIpUdp(r.src, r.dst, r.payload);
    this.addFrame(r.timeMs, this.linktype === LINKTYPE.ETHERNET ? wrapEthernet(ip) : ip);
  }

  /** Appends a frame that already has this file's link-layer header. */
  addFrame(timeMs: number, frame: Uint8Array): void {
    const totalUs = Math.round(timeMs * 1000);
    const sec = Math.floor(totalUs / 1e6);
    const usec = totalUs - sec * 1e6;
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(sec >>> 0, 0);
    rh.writeUInt32LE(usec, 4);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    this.push(rh);
    this.push(frame);
    this.count++;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }
}
