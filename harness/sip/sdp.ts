/**
 * A typed SDP session model (RFC 4566/8866) for SIP offer/answer, parsed and written with the
 * `sdp-transform` package. {@link parseSdp} never throws: bad text yields a typed error.
 * {@link buildSdp} writes CRLF-terminated lines.
 *
 * The model keeps what a SIP call needs (origin, connection, media lines with their formats,
 * fmtp, ptime, direction, SDES crypto, rtcp, rtcp-mux, silenceSupp); every other a= line is
 * kept verbatim in `attributes`, so nothing is lost on a round trip.
 */

import type { MediaDescription, SessionDescription } from 'sdp-transform';
import sdpTransform from 'sdp-transform';
import { STATIC_PAYLOAD_TYPES } from './sdp-codecs.ts';

/** Media direction attribute (RFC 3264 §5.1). */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** An address with its type, as in c= and o= lines. */
export interface SdpConnection {
  addrType: 'IP4' | 'IP6';
  address: string;
}

/** The o= line. sess-id and sess-version are decimal strings (they may exceed 2^53). */
export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  addrType: 'IP4' | 'IP6';
  address: string;
}

/** One RTP payload format of an m= line. */
export interface SdpFormat {
  pt: number;
  /** Encoding name as written (compare case-insensitively). '' for an unknown dynamic PT without rtpmap. */
  name: string;
  clockRate: number;
  channels: number;
  fmtp?: string;
  /** Whether an a=rtpmap line is (to be) written for it. */
  rtpmap: boolean;
}

/** One key of an SDES a=crypto line (RFC 4568 §6.1): inline:key||salt[|lifetime][|MKI:length]. */
export interface SdpCryptoKey {
  method: string;
  /** Base64 key||salt. */
  key: string;
  lifetime?: string;
  /** "value:length", e.g. "1:32". */
  mki?: string;
}

/** An SDES a=crypto line. */
export interface SdpCrypto {
  tag: number;
  suite: string;
  keys: SdpCryptoKey[];
  sessionParams?: string;
}

/** A bandwidth line (b=). */
export interface SdpBandwidth {
  type: string;
  limit: number;
}

/** One m= section. A port of 0 means the stream is rejected/disabled. */
export interface SdpMedia {
  type: string;
  port: number;
  protocol: string;
  /** Numeric formats in m= line order. */
  formats: SdpFormat[];
  /** Non-numeric formats (e.g. "t38" for udptl), in order, written after numeric ones. */
  otherFormats: string[];
  connection?: SdpConnection;
  /** The direction attribute written in this m= section, if any. */
  direction?: SdpDirection;
  ptime?: number;
  maxptime?: number;
  crypto: SdpCrypto[];
  rtcp?: { port: number; connection?: SdpConnection };
  rtcpMux: boolean;
  /** Value of a=silenceSupp (e.g. "off - - - -"). */
  silenceSupp?: string;
  bandwidth: SdpBandwidth[];
  /** Other a= lines, verbatim without "a=". */
  attributes: string[];
}

/** A whole session description. */
export interface SdpSession {
  origin: SdpOrigin;
  name: string;
  connection?: SdpConnection;
  timing: { start: number; stop: number };
  /** Session-level direction attribute, if any. */
  direction?: SdpDirection;
  bandwidth: SdpBandwidth[];
  /** Other session-level a= lines, verbatim without "a=". */
  attributes: string[];
  media: SdpMedia[];
}

/** Why SDP text could not be read. */
export interface SdpParseError {
  kind: 'malformed';
  reason: string;
  /** 1-based line number, when one line is to blame. */
  line?: number;
}

/** Result of {@link parseSdp}. */
export type SdpParseResult = { ok: true; value: SdpSession } | { ok: false; error: SdpParseError };

const MAX_SDP_LENGTH = 65_536;
const DIRECTIONS: readonly SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function fail(reason: string, line?: number): SdpParseResult {
  const error: SdpParseError = { kind: 'malformed', reason };
  if (line !== undefined) error.line = line;
  return { ok: false, error };
}

function addrTypeOf(ipVer: unknown): 'IP4' | 'IP6' | undefined {
  return ipVer === 4 || ipVer === '4' ? 'IP4' : ipVer === 6 || ipVer === '6' ? 'IP6' : undefined;
}

const CONNECTION_RE = /^IN (IP4|IP6) (\S+)$/;
const ORIGIN_RE = /^(\S+) (\d+) (\d+) IN (IP4|IP6) (\S+)$/;
const MLINE_RE = /^([A-Za-z0-9_-]+) (\d+)(?:\/\d+)? (\S+)(?: (.*))?$/;

/** Parses SDES key parameters ("inline:KEY|2^20|1:32;inline:..."). */
export function parseCryptoKeys(config: string): SdpCryptoKey[] {
  const out: SdpCryptoKey[] = [];
  for (const part of config.split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const [key = '', ...rest] = part.slice(colon + 1).split('|');
    const k: SdpCryptoKey = { method: part.slice(0, colon), key };
    for (const r of rest) {
      if (r.includes(':')) k.mki = r;
      else if (r !== '') k.lifetime = r;
    }
    out.push(k);
  }
  return out;
}

/** Writes SDES key parameters back to text. */
export function formatCryptoKeys(keys: readonly SdpCryptoKey[]): string {
  return keys
    .map((k) => {
      let s = `${k.method}:${k.key}`;
      if (k.lifetime !== undefined) s += `|${k.lifetime}`;
      if (k.mki !== undefined) s += `|${k.mki}`;
      return s;
    })
    .join(';');
}

interface RawSection {
  mline?: { text: string; line: number };
  /** a= values that are not (valid) modeled attributes: kept verbatim. */
  attrs: string[];
  /** Valid a=crypto values (parsed here, not by sdp-transform). */
  crypto: string[];
  /** Valid a=silenceSupp value. */
  silenceSupp?: string;
}

/**
 * Strict syntax of the media-level attributes the model holds. Only lines that pass reach
 * sdp-transform (whose own patterns are lenient); the others are kept verbatim as attributes.
 */
const MODELED_SYNTAX: ReadonlyMap<string, RegExp> = new Map([
  ['rtpmap', /^rtpmap:\d{1,3} [\w\-.]+\/[1-9]\d{0,8}(?:\/[1-9]\d{0,2})?$/],
  ['fmtp', /^fmtp:\d{1,3} \S(?:.*\S)?$/],
  ['ptime', /^ptime:[1-9]\d{0,5}$/],
  ['maxptime', /^maxptime:[1-9]\d{0,5}$/],
  ['rtcp', /^rtcp:\d{1,5}(?: IN IP[46] \S+)?$/],
  ['rtcp-mux', /^rtcp-mux$/],
  ['sendrecv', /^sendrecv$/],
  ['sendonly', /^sendonly$/],
  ['recvonly', /^recvonly$/],
  ['inactive', /^inactive$/],
]);
const CRYPTO_RE =
  /^crypto:(\d{1,9}) ([A-Za-z0-9_]+) ([^\s:;|]+:[^\s:;|]+(?:\|[^\s;|]+)*(?:;[^\s:;|]+:[^\s:;|]+(?:\|[^\s;|]+)*)*)(?: (\S.*))?$/;
const SILENCE_RE = /^silenceSupp:(\S.*)$/;
const SESSION_DIRECTION_RE = /^(sendrecv|sendonly|recvonly|inactive)$/;
const BANDWIDTH_RE = /^(AS|CT|TIAS|RR|RS):\d{1,10}$/;

/**
 * Splits text into session and media sections, validating line syntax, and produces the
 * cleaned text handed to sdp-transform (structural lines and strictly valid modeled attributes).
 */
function scanLines(text: string): { sections: RawSection[]; clean: string; error?: SdpParseResult } {
  const lines = text.split(/\r\n|\r|\n/);
  const sections: RawSection[] = [{ attrs: [], crypto: [] }];
  const clean: string[] = [];
  const bail = (error: SdpParseResult) => ({ sections, clean: '', error });
  let sawV = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l === '') continue;
    if (!/^[a-z]=/.test(l)) return bail(fail('line is not "<letter>=<value>"', i + 1));
    if (!sawV) {
      if (l !== 'v=0') return bail(fail('SDP must start with v=0', i + 1));
      sawV = true;
    }
    const type = l[0];
    const value = l.slice(2);
    const section = sections[sections.length - 1] as RawSection;
    if (type === 'm') {
      sections.push({ mline: { text: value, line: i + 1 }, attrs: [], crypto: [] });
      clean.push(l);
    } else if (type === 'a') {
      const name = attrName(value);
      if (section.mline === undefined) {
        if (SESSION_DIRECTION_RE.test(value)) clean.push(l);
        else section.attrs.push(value);
      } else if (MODELED_SYNTAX.get(name)?.test(value)) clean.push(l);
      else if (name === 'crypto' && CRYPTO_RE.test(value)) section.crypto.push(value);
      else if (name === 'silencesupp' && SILENCE_RE.test(value) && section.silenceSupp === undefined)
        section.silenceSupp = value.slice(value.indexOf(':') + 1);
      else section.attrs.push(value);
    } else if (type === 'c') {
      if (!CONNECTION_RE.test(value)) return bail(fail('bad c= line', i + 1));
      clean.push(l);
    } else if (type === 'o') {
      if (!ORIGIN_RE.test(value)) return bail(fail('bad o= line', i + 1));
      clean.push(l);
    } else if (type === 'b') {
      if (BANDWIDTH_RE.test(value)) clean.push(l);
    } else clean.push(l);
  }
  if (!sawV) return bail(fail('empty SDP'));
  return { sections, clean: `${clean.join('\r\n')}\r\n` };
}

function connectionOf(c: { version: number; ip: string } | undefined): SdpConnection | undefined {
  if (!c) return undefined;
  const t = addrTypeOf(c.version);
  return t ? { addrType: t, address: String(c.ip) } : undefined;
}

function attrName(a: string): string {
  const colon = a.indexOf(':');
  return (colon < 0 ? a : a.slice(0, colon)).toLowerCase();
}

function num(v: unknown): number | undefined {
  if (typeof v === 'string' && v.trim() === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function toMedia(raw: RawSection, m: MediaDescription): SdpMedia | SdpParseResult {
  const ml = raw.mline as { text: string; line: number };
  const match = MLINE_RE.exec(ml.text);
  if (!match) return fail('bad m= line', ml.line);
  const port = Number(match[2]);
  if (port > 65535) return fail('m= port out of range', ml.line);
  const tokens = (match[4] ?? '').split(' ').filter((t) => t !== '');
  const formats: SdpFormat[] = [];
  const otherFormats: string[] = [];
  const rtpmaps = m.rtp ?? [];
  const fmtps = m.fmtp ?? [];
  for (const t of tokens) {
    if (!/^\d{1,3}$/.test(t) || Number(t) > 127) {
      otherFormats.push(t);
      continue;
    }
    const pt = Number(t);
    const rm = rtpmaps.find((r) => Number(r.payload) === pt);
    const stat = STATIC_PAYLOAD_TYPES.get(pt);
    const f: SdpFormat = rm
      ? {
          pt,
          name: String(rm.codec),
          clockRate: num(rm.rate) ?? stat?.clockRate ?? 8000,
          channels: num(rm.encoding) ?? 1,
          rtpmap: true,
        }
      : {
          pt,
          name: stat?.name ?? '',
          clockRate: stat?.clockRate ?? 0,
          channels: stat?.channels ?? 1,
          rtpmap: false,
        };
    const fp = fmtps.find((x) => Number(x.payload) === pt);
    if (fp) f.fmtp = String(fp.config);
    formats.push(f);
  }
  const media: SdpMedia = {
    type: match[1] as string,
    port,
    protocol: match[3] as string,
    formats,
    otherFormats,
    crypto: [],
    rtcpMux: m.rtcpMux === 'rtcp-mux',
    bandwidth: (m.bandwidth ?? []).map((b) => ({ type: String(b.type), limit: Number(b.limit) })),
    attributes: [],
  };
  const conn = connectionOf(m.connection);
  if (conn) media.connection = conn;
  if (m.direction && DIRECTIONS.includes(m.direction)) media.direction = m.direction;
  const ptime = num(m.ptime);
  if (ptime !== undefined) media.ptime = ptime;
  const maxptime = num(m.maxptime);
  if (maxptime !== undefined) media.maxptime = maxptime;
  for (const line of raw.crypto) {
    const c = CRYPTO_RE.exec(line);
    if (!c) continue;
    const cr: SdpCrypto = { tag: Number(c[1]), suite: c[2] as string, keys: parseCryptoKeys(c[3] as string) };
    if (c[4] !== undefined) cr.sessionParams = c[4];
    media.crypto.push(cr);
  }
  if (raw.silenceSupp !== undefined) media.silenceSupp = raw.silenceSupp;
  media.attributes.push(...raw.attrs);
  if (m.rtcp && num(m.rtcp.port) !== undefined) {
    const rtcp: { port: number; connection?: SdpConnection } = { port: Number(m.rtcp.port) };
    const t = addrTypeOf(m.rtcp.ipVer);
    if (t && m.rtcp.address) rtcp.connection = { addrType: t, address: String(m.rtcp.address) };
    media.rtcp = rtcp;
  }
  return media;
}

/** Parses SDP text into the model, or returns a typed error. Never throws. */
export function parseSdp(text: string): SdpParseResult {
  try {
    if (typeof text !== 'string') return fail('SDP is not a string');
    if (text.length > MAX_SDP_LENGTH) return fail(`SDP longer than ${MAX_SDP_LENGTH} characters`);
    const scanned = scanLines(text);
    if (scanned.error) return scanned.error;
    const parsed: SessionDescription = sdpTransform.parse(scanned.clean);
    const originMatch = /^o=(.*)$/m.exec(text.replace(/\r/g, '\n'));
    const o = originMatch ? ORIGIN_RE.exec(originMatch[1] as string) : null;
    if (!o) return fail('missing o= line');
    const sections = scanned.sections;
    const rawMedia = sections.slice(1);
    const tm = parsed.media ?? [];
    if (tm.length !== rawMedia.length) return fail('m= lines could not be read');
    const session: SdpSession = {
      origin: {
        username: o[1] as string,
        sessionId: o[2] as string,
        sessionVersion: o[3] as string,
        addrType: o[4] as 'IP4' | 'IP6',
        address: o[5] as string,
      },
      // An empty or missing s= reads as "-" (RFC 8866 §5.3 asks for "-" when there is no name).
      name: parsed.name === undefined || String(parsed.name) === '' ? '-' : String(parsed.name),
      timing: { start: num(parsed.timing?.start) ?? 0, stop: num(parsed.timing?.stop) ?? 0 },
      bandwidth: (parsed.bandwidth ?? []).map((b) => ({ type: String(b.type), limit: Number(b.limit) })),
      attributes: [],
      media: [],
    };
    const conn = connectionOf(parsed.connection);
    if (conn) session.connection = conn;
    if (parsed.direction && DIRECTIONS.includes(parsed.direction)) session.direction = parsed.direction;
    session.attributes.push(...(sections[0] as RawSection).attrs);
    for (let i = 0; i < rawMedia.length; i++) {
      const r = toMedia(rawMedia[i] as RawSection, tm[i] as MediaDescription);
      if ('ok' in r) return r;
      session.media.push(r);
    }
    for (const m of session.media) {
      if (!m.connection && !session.connection && m.port !== 0)
        return fail(`no c= line for the ${m.type} stream or the session`);
    }
    return { ok: true, value: session };
  } catch (e) {
    return fail(`unreadable SDP (${e instanceof Error ? e.name : 'error'})`);
  }
}

function ipVer(t: 'IP4' | 'IP6'): number {
  return t === 'IP6' ? 6 : 4;
}

/** Writes the model as SDP text with CRLF line endings. */
export function buildSdp(session: SdpSession): string {
  const d: SessionDescription = {
    version: 0,
    origin: {
      username: session.origin.username,
      sessionId: session.origin.sessionId,
      sessionVersion: 0,
      netType: 'IN',
      ipVer: ipVer(session.origin.addrType),
      address: session.origin.address,
    },
    name: session.name === '' ? '-' : session.name,
    timing: { start: session.timing.start, stop: session.timing.stop },
    media: session.media.map((m) => {
      const md: MediaDescription = {
        type: m.type,
        port: m.port,
        protocol: m.protocol,
        payloads: [...m.formats.map((f) => String(f.pt)), ...m.otherFormats].join(' '),
        rtp: m.formats
          .filter((f) => f.rtpmap)
          .map((f) => {
            const r: { payload: number; codec: string; rate?: number; encoding?: number } = {
              payload: f.pt,
              codec: f.name,
              rate: f.clockRate,
            };
            if (f.channels !== 1) r.encoding = f.channels;
            return r;
          }),
        fmtp: m.formats
          .filter((f) => f.fmtp !== undefined)
          .map((f) => ({ payload: f.pt, config: f.fmtp as string })),
      };
      if (m.connection) md.connection = { version: ipVer(m.connection.addrType), ip: m.connection.address };
      if (m.bandwidth.length > 0) md.bandwidth = m.bandwidth.map((b) => ({ ...b }) as never);
      if (m.rtcp) {
        md.rtcp = m.rtcp.connection
          ? {
              port: m.rtcp.port,
              netType: 'IN',
              ipVer: ipVer(m.rtcp.connection.addrType),
              address: m.rtcp.connection.address,
            }
          : { port: m.rtcp.port };
      }
      if (m.crypto.length > 0) {
        md.crypto = m.crypto.map((c) => {
          const x: { id: number; suite: string; config: string; sessionConfig?: string } = {
            id: c.tag,
            suite: c.suite,
            config: formatCryptoKeys(c.keys),
          };
          if (c.sessionParams !== undefined) x.sessionConfig = c.sessionParams;
          return x;
        });
      }
      if (m.ptime !== undefined) md.ptime = m.ptime;
      if (m.maxptime !== undefined) md.maxptime = m.maxptime;
      if (m.direction) md.direction = m.direction;
      if (m.rtcpMux) md.rtcpMux = 'rtcp-mux';
      const extra = [
        ...(m.silenceSupp !== undefined ? [`silenceSupp:${m.silenceSupp}`] : []),
        ...m.attributes,
      ];
      if (extra.length > 0) md.invalid = extra.map((value) => ({ value }));
      return md;
    }),
  };
  if (session.connection)
    d.connection = { version: ipVer(session.connection.addrType), ip: session.connection.address };
  if (session.bandwidth.length > 0) d.bandwidth = session.bandwidth.map((b) => ({ ...b }) as never);
  if (session.direction) d.direction = session.direction;
  if (session.attributes.length > 0) d.invalid = session.attributes.map((value) => ({ value }));
  const o = session.origin;
  // sdp-transform writes sess-version with %d (a JS number); write o= ourselves to keep big values exact.
  const originLine = `o=${o.username} ${o.sessionId} ${o.sessionVersion} IN ${o.addrType} ${o.address}`;
  return sdpTransform
    .write(d)
    .split('\r\n')
    .map((l) => (l.startsWith('o=') ? originLine : l))
    .join('\r\n');
}

/** The direction in effect for a media section: its own attribute, else the session's, else sendrecv. */
export function effectiveDirection(session: SdpSession, media: SdpMedia): SdpDirection {
  return media.direction ?? session.direction ?? 'sendrecv';
}

/** The connection address in effect for a media section (media c= over session c=). */
export function mediaConnection(session: SdpSession, media: SdpMedia): SdpConnection | undefined {
  return media.connection ?? session.connection;
}

/** True for the RFC 2543 hold form: a connection address of 0.0.0.0 (or :: for IPv6). */
export function isNullConnection(c: SdpConnection | undefined): boolean {
  return c !== undefined && (c.address === '0.0.0.0' || c.address === '::');
}

/**
 * True when this SDP puts the peer on hold for this stream: direction sendonly or inactive,
 * or the old c=0.0.0.0 form (RFC 3264 §8.4).
 */
export function isHold(session: SdpSession, media: SdpMedia): boolean {
  const d = effectiveDirection(session, media);
  return d === 'sendonly' || d === 'inactive' || isNullConnection(mediaConnection(session, media));
}

/** True for a rejected / disabled stream (port 0). */
export function isRejected(media: SdpMedia): boolean {
  return media.port === 0;
}
