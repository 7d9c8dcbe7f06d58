/**
 * Synthesising and taking apart the link/IP/UDP headers around a datagram, so captured
 * RTP can be written to pcap (tshark dissects it) and read back from any capture.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Link types used here (tcpdump.org LINKTYPE_* values). */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** One end of a UDP flow. */
export interface Endpoint {
  address: string;
  port: number;
}

/** A UDP datagram found in a captured frame. */
export interface UdpDatagram {
  src: Endpoint;
  dst: Endpoint;
  payload: Uint8Array;
}

function ipv4Bytes(a: string): number[] {
  return a.split('.').map((x) => Number(x) & 0xff);
}

function ipv6Bytes(a: string): number[] {
  let addr = a.replace(/%.*$/, '');
  // An embedded dotted IPv4 tail becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    addr = `${addr.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  const groups = [...h, ...new Array(fill).fill('0'), ...t];
  const out: number[] = [];
  for (const g of groups) {
    const v = Number.parseInt(g, 16) & 0xffff;
    out.push(v >> 8, v & 0xff);
  }
  return out;
}

function formatIpv6(b: Uint8Array, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[off + i * 2]! << 8) | b[off + i * 2 + 1]!).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return groups.join(':');
  return `${groups.slice(0, bestAt).join(':')}::${groups.slice(bestAt + bestLen).join(':')}`;
}

function checksumAdd(sum: number, b: Uint8Array | number[], start: number, end: number): number {
  let s = sum;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function checksumFold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** Address family of a textual address, or 0 when it is neither. */
export function addressFamily(address: string): 4 | 6 | 0 {
  return isIPv4(address) ? 4 : isIPv6(address.replace(/%.*$/, '')) ? 6 : 0;
}

/** Whether {@link buildIpUdp} can build a packet between these ends (IP addresses of one family). */
export function canBuildIpUdp(src: Endpoint, dst: Endpoint): boolean {
  const fam = addressFamily(src.address);
  return fam !== 0 && fam === addressFamily(dst.address);
}

/**
 * Builds IP + UDP headers and payload (no link header) with correct lengths and checksums.
 * Both ends must be of the same family; throws a RangeError otherwise (programming error).
 */
export function buildIpUdp(src: Endpoint, dst: Endpoint, payload: Uint8Array): Uint8Array {
  const fam = addressFamily(src.address);
  if (fam === 0 || fam !== addressFamily(dst.address)) {
    throw new RangeError(`cannot build a packet from ${src.address} to ${dst.address}`);
  }
  const udpLen = 8 + payload.length;
  const ipHeader = fam === 4 ? 20 : 40;
  const out = new Uint8Array(ipHeader + udpLen);
  const sa = fam === 4 ? ipv4Bytes(src.address) : ipv6Bytes(src.address);
  const da = fam === 4 ? ipv4Bytes(dst.address) : ipv6Bytes(dst.address);
  let pseudo: number;
  if (fam === 4) {
    const total = 20 + udpLen;
    out.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0], 0);
    out.set(sa, 12);
    out.set(da, 16);
    const ck = checksumFold(checksumAdd(0, out, 0, 20));
    out[10] = ck >> 8;
    out[11] = ck & 0xff;
    pseudo = checksumAdd(checksumAdd(0, sa, 0, 4), da, 0, 4) + 17 + udpLen;
  } else {
    out.set([0x60, 0, 0, 0, udpLen >> 8, udpLen & 0xff, 17, 64], 0);
    out.set(sa, 8);
    out.set(da, 24);
    pseudo = checksumAdd(checksumAdd(0, sa, 0, 16), da, 0, 16) + 17 + udpLen;
  }
  const u = ipHeader;
  out[u] = src.port >> 8;
  out[u + 1] = src.port & 0xff;
  out[u + 2] = dst.port >> 8;
  out[u + 3] = dst.port & 0xff;
  out[u + 4] = udpLen >> 8;
  out[u + 5] = udpLen & 0xff;
  out.set(payload, u + 8);
  let ck = checksumFold(checksumAdd(pseudo, out, u, u + udpLen));
  if (ck === 0) ck = 0xffff;
  out[u + 6] = ck >> 8;
  out[u + 7] = ck & 0xff;
  return out;
}

/** Wraps an IP packet in an Ethernet II header with locally administered MAC addresses. */
export function wrapEthernet(ip: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + ip.length);
  out.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
  const v6 = ip[0]! >> 4 === 6;
  out[12] = v6 ? 0x86 : 0x08;
  out[13] = v6 ? 0xdd : 0x00;
  out.set(ip, 14);
  return out;
}

function parseIp(b: Uint8Array, off: number): UdpDatagram | null {
  if (off >= b.length) return null;
  const ver = b[off]! >> 4;
  let src: string;
  let dst: string;
  let u: number;
  let end = b.length;
  if (ver === 4) {
    const ihl = (b[off]! & 0x0f) * 4;
    if (ihl < 20 || off + ihl + 8 > b.length || b[off + 9] !== 17) return null;
    // A fragment other than the first carries no UDP header.
    if ((((b[off + 6]! & 0x1f) << 8) | b[off + 7]!) !== 0) return null;
    const total = (b[off + 2]! << 8) | b[off + 3]!;
    if (total >= ihl + 8) end = Math.min(end, off + total);
    src = `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
    dst = `${b[off + 16]}.${b[off + 17]}.${b[off + 18]}.${b[off + 19]}`;
    u = off + ihl;
  } else if (ver === 6) {
    if (off + 48 > b.length || b[off + 6] !== 17) return null;
    const plen = (b[off + 4]! << 8) | b[off + 5]!;
    if (plen >= 8) end = Math.min(end, off + 40 + plen);
    src = formatIpv6(b, off + 8);
    dst = formatIpv6(b, off + 24);
    u = off + 40;
  } else {
    return null;
  }
  const udpLen = (b[u + 4]! << 8) | b[u + 5]!;
  if (udpLen >= 8) end = Math.min(end, u + udpLen);
  if (end < u + 8) return null;
  return {
    src: { address: src, port: (b[u]! << 8) | b[u + 1]! },
    dst: { address: dst, port: (b[u + 2]! << 8) | b[u + 3]! },
    payload: b.subarray(u + 8, end),
  };
}

/** Finds the UDP datagram in a captured frame of the given link type; null when it is not UDP/IP. Never throws. */
export function decodeUdpFrame(linktype: number, frame: Uint8Array): UdpDatagram | null {
  switch (linktype) {
    case LINKTYPE.ETHERNET: {
      let off = 12;
      let type = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : 0;
      // 802.1Q / 802.1ad VLAN tags, at most two.
      for (let i = 0; i < 2 && (type === 0x8100 || type === 0x88a8) && frame.length >= off + 6; i++) {
        off += 4;
        type = (frame[off]! << 8) | frame[off + 1]!;
      }
      if (type !== 0x0800 && type !== 0x86dd) return null;
      return parseIp(frame, off + 2);
    }
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return parseIp(frame, 0);
    case LINKTYPE.NULL:
      return frame.length > 4 ? parseIp(frame, 4) : null;
    case LINKTYPE.LINUX_SLL:
      return frame.length > 16 ? parseIp(frame, 16) : null;
    case LINKTYPE.LINUX_SLL2:
      return frame.length > 20 ? parseIp(frame, 20) : null;
    default:
      return null;
  }
}
