/**
 * The SIP stack's fast paths give the same answers as the straightforward code they replaced:
 * the typed values the parser hands to a message equal those computed again from its header
 * lines; the received/rport stamp leaves a Via that reads back as the cached one; splitList,
 * parseParams, parseHostPort, findHeaderEnd, createResponse and toBuffer agree with reference
 * implementations (the earlier, simpler versions, kept here as oracles) on random inputs;
 * identifiers from the batched random pool are well-formed and unique across refills.
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerKey, usualHeader, usualHeaderName } from '../../harness/sip/header-names.ts';
import {
  isToken,
  isTokenWords,
  parseCSeq,
  parseParams,
  parseUnsigned,
  parseVia,
  parseViaByRule,
  splitList,
} from '../../harness/sip/header-values.ts';
import { newBranch, newCallId, newTag } from '../../harness/sip/ids.ts';
import { type HeaderField, type SipMessage, SipRequest, SipResponse } from '../../harness/sip/message.ts';
import { createResponse } from '../../harness/sip/message-factory.ts';
import { parsed, parseError } from '../../harness/sip/parse-result.ts';
import { findHeaderEnd, parseMessage } from '../../harness/sip/parser.ts';
import { TransportLayer } from '../../harness/sip/transport.ts';
import { parseHostPort } from '../../harness/sip/uri.ts';
import { ALNUM, chars, mutate, mutation, runs, str, validMessage } from './fixtures/sip-fuzz-support.ts';

/**
 * The same message with copied header lines and no cached values or stored keys: every
 * accessor parses afresh, and finds lines by headerKey of their names.
 */
function unprimed(m: SipMessage): SipMessage {
  const headers = m.headers.map((h) =>
    h.raw === undefined ? { name: h.name, value: h.value } : { name: h.name, value: h.value, raw: h.raw },
  );
  return m.isRequest
    ? new SipRequest(m.method, m.uri, headers, Buffer.from(m.body))
    : new SipResponse(m.status, m.reason, headers, Buffer.from(m.body));
}

function typedValues(m: SipMessage) {
  return {
    vias: m.vias,
    topVia: m.topVia,
    branch: m.branch,
    from: m.from,
    to: m.to,
    fromTag: m.fromTag,
    toTag: m.toTag,
    callId: m.callId,
    cseq: m.cseq,
    contacts: m.contacts,
    wildcard: m.isWildcardContact,
    routes: m.routes,
    recordRoutes: m.recordRoutes,
  };
}

describe('parsed messages: cached typed values equal values computed from the header lines', () => {
  it('valid generated messages (2,000)', () => {
    let checked = 0;
    fc.assert(
      fc.property(validMessage, (g) => {
        const r = parseMessage(g.bytes);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(typedValues(r.message)).toEqual(typedValues(unprimed(r.message)));
        checked++;
      }),
      runs(2_000),
    );
    expect(checked).toBeGreaterThan(0);
  });

  it('mutated messages that still parse (3,000 tried)', () => {
    let checked = 0;
    fc.assert(
      fc.property(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), (g, ms) => {
        const r = parseMessage(mutate(g.bytes, ms));
        if (!r.ok) return;
        checked++;
        for (const h of r.message.headers) expect(h.key).toBe(headerKey(h.name));
        expect(typedValues(r.message)).toEqual(typedValues(unprimed(r.message)));
      }),
      runs(3_000),
    );
    expect(checked).toBeGreaterThan(0);
  });

  it('a header end handed in (as the transport does) gives the very same result (3,000 mutated, some with leading CRLF)', () => {
    fc.assert(
      fc.property(
        validMessage,
        fc.array(mutation, { maxLength: 3 }),
        fc.constantFrom('', '\r\n', '\n\r\n'),
        (g, ms, lead) => {
          const data = Buffer.concat([Buffer.from(lead, 'latin1'), mutate(g.bytes, ms)]);
          const given = parseMessage(data, { headerEnd: findHeaderEnd(data) ?? null });
          const own = parseMessage(data);
          expect(given.ok).toBe(own.ok);
          if (given.ok && own.ok) {
            expect(given.message.headers).toEqual(own.message.headers);
            expect(given.message.body).toEqual(own.message.body);
            expect(given.message.warnings).toEqual(own.message.warnings);
          } else expect(given).toEqual(own);
        },
      ),
      runs(3_000),
    );
  });

  it('a cached value is dropped when its header changes, and only then', () => {
    const r = parseMessage(
      'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h1;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n' +
        'To: <sip:a@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContact: <sip:x@h1>\r\nContent-Length: 0\r\n\r\n',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.message;
    const from = m.from;
    m.set('Call-ID', 'c2');
    expect(m.callId).toBe('c2');
    expect(m.from).toBe(from); // untouched header: the same cached object
    m.set('To', '<sip:b@example.com>;tag=9');
    expect(m.toTag).toBe('9');
    m.prepend('Via', 'SIP/2.0/TCP h0;branch=z9hG4bK0');
    expect(m.vias?.map((v) => v.host)).toEqual(['h0', 'h1']);
    m.removeFirst('via');
    expect(m.branch).toBe('z9hG4bK1');
    m.replaceField(m.field('contact')!, '<sip:z@h2>');
    expect(m.contacts[0]?.uri).toMatchObject({ user: 'z', host: 'h2' });
    m.remove('cseq');
    expect(m.cseq).toBeUndefined();
  });
});

describe('received requests: the received/rport stamp', () => {
  it('leaves Via lines that read back as the cached Vias, and the expected text', async () => {
    const transport = new TransportLayer({ listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }] });
    await transport.start();
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
    const peerPort = peer.address().port;
    const port = transport.bound[0]!.port;
    const cases: Array<{ via: string[]; top: string }> = [
      {
        via: ['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa1;rport'],
        top: `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa1;rport=${peerPort};received=127.0.0.1`,
      },
      {
        via: ['SIP/2.0/UDP host.example:5070;branch=z9hG4bKa2'],
        top: 'SIP/2.0/UDP host.example:5070;branch=z9hG4bKa2;received=127.0.0.1',
      },
      {
        via: ['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa3;rport, SIP/2.0/TCP p.example;branch=z9hG4bKb'],
        top: `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa3;rport=${peerPort};received=127.0.0.1, SIP/2.0/TCP p.example;branch=z9hG4bKb`,
      },
      {
        via: [
          'SIP/2.0/UDP h.example;branch=z9hG4bKa4;x="a,b";rport',
          'SIP/2.0/UDP q.example;branch=z9hG4bKc',
        ],
        top: `SIP/2.0/UDP h.example;branch=z9hG4bKa4;x="a,b";rport=${peerPort};received=127.0.0.1`,
      },
      {
        via: ['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa5'],
        top: 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa5',
      },
    ];
    const got: SipMessage[] = [];
    const all = new Promise<void>((resolve) => {
      transport.on('message', ({ message }) => {
        got.push(message);
        if (got.length === cases.length) resolve();
      });
    });
    try {
      cases.forEach((c, i) => {
        const text =
          `OPTIONS sip:a@127.0.0.1:${port} SIP/2.0\r\n${c.via.map((v) => `Via: ${v}\r\n`).join('')}` +
          `From: <sip:x@y>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: stamp-${i}\r\nCSeq: 1 OPTIONS\r\n` +
          'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
        peer.send(Buffer.from(text), port, '127.0.0.1');
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      expect(got).toHaveLength(cases.length);
      for (const m of got) {
        const i = Number(m.callId?.slice('stamp-'.length));
        expect(m.fields('via')[0]?.value).toBe(cases[i]!.top);
        expect(m.fields('via')).toHaveLength(cases[i]!.via.length);
        expect(m.vias).toEqual(unprimed(m).vias);
      }
    } finally {
      peer.close();
      await transport.stop();
    }
  });
});

// ---------- reference implementations (the earlier versions) ----------

function refSplitList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (inQuote) {
      cur += ch;
      if (ch === '\\' && i + 1 < value.length) cur += value[++i];
      else if (ch === '"') inQuote = false;
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<') inAngle = true;
    else if (ch === '>') inAngle = false;
    else if (ch === ',' && !inAngle) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const REF_TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
function refParseParams(s: string) {
  const params: Array<[string, string | null]> = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /[ \t]/.test(s[i]!)) i++;
    if (i >= s.length) break;
    if (s[i] !== ';') return parseError('bad-value', 'x');
    i++;
    while (i < s.length && /[ \t]/.test(s[i]!)) i++;
    let name = '';
    while (i < s.length && !/[=; \t]/.test(s[i]!)) name += s[i++];
    if (!REF_TOKEN.test(name)) return parseError('bad-value', 'x');
    while (i < s.length && /[ \t]/.test(s[i]!)) i++;
    if (s[i] === '=') {
      i++;
      while (i < s.length && /[ \t]/.test(s[i]!)) i++;
      let value = '';
      if (s[i] === '"') {
        value += s[i++];
        let closed = false;
        while (i < s.length) {
          const ch = s[i++]!;
          value += ch;
          if (ch === '\\' && i < s.length) value += s[i++];
          else if (ch === '"') {
            closed = true;
            break;
          }
        }
        if (!closed) return parseError('bad-value', 'x');
      } else {
        while (i < s.length && !/[; \t]/.test(s[i]!)) value += s[i++];
        if (value.length === 0 || !/^[A-Za-z0-9\-.!%*_+`'~:[\]]+$/.test(value))
          return parseError('bad-value', 'x');
      }
      params.push([name, value]);
    } else params.push([name, null]);
  }
  return parsed(params);
}

/** The earlier host/port check for the non-bracketed form (the bracketed one is unchanged). */
function refHostPortOk(text: string): { host: string; port?: number } | string {
  let host: string;
  let portText: string | undefined;
  const c = text.lastIndexOf(':');
  if (c >= 0) {
    host = text.slice(0, c);
    portText = text.slice(c + 1);
  } else host = text;
  if (host.length === 0) return 'empty host';
  if (/^(?:\d{1,3}\.){3}\d{1,3}$/.test(host)) {
    if (host.split('.').some((o) => Number(o) > 255)) return `invalid IPv4 address "${host}"`;
  } else if (
    !/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/.test(host)
  )
    return 'invalid host name';
  const out: { host: string; port?: number } = { host };
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return 'invalid port';
    out.port = Number(portText);
  }
  return out;
}

function refFindHeaderEnd(data: Buffer): { bodyStart: number; bareLf: boolean } | undefined {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { bodyStart: crlf + 4, bareLf: false };
  if (lf >= 0) return { bodyStart: lf + 2, bareLf: true };
  return undefined;
}

function refToBuffer(m: SipMessage, auto: boolean): Buffer {
  const lines: string[] = [m.startLine()];
  let headers = m.headers;
  if (auto) {
    const len = String(m.body.length);
    const idx = headers.findIndex((h) => headerKey(h.name) === 'content-length');
    if (idx < 0) headers = [...headers, { name: 'Content-Length', value: len }];
    else {
      const t = headers[idx]!.value.replace(/^[ \t]+|[ \t]+$/g, '');
      const digits = t.replace(/^0+/, '') || '0';
      const same = /^\d+$/.test(t) && digits.length <= 16 && Number(digits) === m.body.length;
      if (!same) headers = headers.map((h, i) => (i === idx ? { name: h.name, value: len } : h));
    }
  }
  for (const h of headers) lines.push(h.raw ?? `${h.name}: ${h.value}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return m.body.length > 0 ? Buffer.concat([head, m.body]) : head;
}

function refCreateResponse(req: SipRequest, status: number, toTag: string): SipResponse {
  const res = new SipResponse(status, 'R');
  for (const h of req.fields('via')) res.append(h.name, h.value);
  const from = req.fields('from')[0];
  if (from) res.append('From', from.value);
  const to = req.fields('to')[0];
  if (to) {
    const hasTag = req.to
      ? req.to.params.some(([n]) => n.toLowerCase() === 'tag')
      : /;\s*tag=/i.test(to.value);
    const tag = status > 100 && !hasTag ? toTag : undefined;
    res.append('To', tag ? `${to.value};tag=${tag}` : to.value);
  }
  const callId = req.fields('call-id')[0];
  if (callId) res.append('Call-ID', callId.value);
  const cseq = req.fields('cseq')[0];
  if (cseq) res.append('CSeq', cseq.value);
  if (status > 100 && status < 300 && ['INVITE', 'SUBSCRIBE', 'REFER'].includes(req.method)) {
    for (const h of req.fields('record-route')) res.append(h.name, h.value);
  }
  return res;
}

/** The earlier, regex-based CSeq parser. */
function refParseCSeq(value: string): { seq: number; method: string } | string {
  const m = /^[ \t]*(\d+)[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*$/.exec(value);
  if (!m) return 'malformed';
  const digits = m[1]!.replace(/^0+/, '') || '0';
  if (digits.length > 10 || Number(digits) > 2 ** 31 - 1) return 'too large';
  return { seq: Number(digits), method: m[2]! };
}

/** The earlier, regex-based unsigned-integer parser. */
function refParseUnsigned(value: string, max: number): number | string {
  const t = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (!/^\d+$/.test(t)) return 'not a number';
  const digits = t.replace(/^0+/, '') || '0';
  const n = Number(digits);
  if (digits.length > 16 || n > max) return 'too large';
  return n;
}

// ---------- the oracles against the stack ----------

const listText = fc.string({ unit: chars(`ab ,"<>\\;=\t`), maxLength: 40 });
const paramText = fc.string({ unit: chars(`;= \t"\\ab1.:[]-,<@é`), maxLength: 30 });
const hostText = fc.oneof(
  fc.string({ unit: chars('0123456789.:'), maxLength: 22 }),
  fc.string({ unit: chars(`${ALNUM.slice(0, 8)}0129.-:`), maxLength: 20 }),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 70_000 })).map(([h, p]) => `${h}:${p}`),
);

describe('fast paths agree with the reference implementations', () => {
  it('isTokenWords: the answer of split on SP/HTAB runs and isToken of every word (5,000)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(str(chars(`${ALNUM} \t-.!%*_+\`'~"<@é`), 0, 14), (s) => {
        const want = s.split(/[ \t]+/).every(isToken);
        if (want) accepted++;
        expect(isTokenWords(s)).toBe(want);
      }),
      runs(5_000),
    );
    expect(accepted).toBeGreaterThan(200);
  });

  it('usualHeader: a name it recognises is the text before the colon, exactly, with headerKey of it as its key (5,000)', () => {
    const usual = [
      'Via',
      'v',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Content-Length',
      'Record-Route',
      'X-Other',
    ];
    const nameText = fc.oneof(
      fc.constantFrom(...usual),
      fc.constantFrom(...usual).map((n) => n.toUpperCase()),
      fc.constantFrom(...usual).map((n) => `${n} `),
      fc.constantFrom(...usual).map((n) => n.slice(0, -1)),
      str(chars(`${ALNUM}-`), 1, 16),
    );
    let recognised = 0;
    fc.assert(
      fc.property(nameText, str(chars(`${ALNUM} ;=`), 0, 20), (name, rest) => {
        const line = `${name}:${rest}`;
        const colon = line.indexOf(':');
        const got = usualHeader(line, colon);
        expect(usualHeaderName(line, colon)).toBe(got?.name);
        if (got !== undefined) {
          recognised++;
          expect(got.name).toBe(line.slice(0, colon));
          expect(got.key).toBe(headerKey(got.name));
        } else
          expect(['Via', 'v', 'From', 'To', 'Call-ID', 'CSeq', 'Contact']).not.toContain(
            line.slice(0, colon),
          );
      }),
      runs(5_000),
    );
    expect(recognised).toBeGreaterThan(500);
  });

  it('splitList (5,000)', () => {
    fc.assert(
      fc.property(listText, (v) => {
        expect(splitList(v)).toEqual(refSplitList(v));
      }),
      runs(5_000),
    );
  });

  it('parseParams: same parameters, or an error for the same inputs (5,000)', () => {
    fc.assert(
      fc.property(paramText, (v) => {
        const a = parseParams(v);
        const b = refParseParams(v);
        expect(a.ok).toBe(b.ok);
        if (a.ok && b.ok) expect(a.value).toEqual(b.value);
      }),
      runs(5_000),
    );
  });

  it('parseCSeq: same number and method, or an error for the same inputs (5,000)', () => {
    const cseqText = fc.oneof(
      fc.string({ unit: chars(' \t0123456789INVITEbye-.!%*_+`~é\n'), maxLength: 24 }),
      fc
        .tuple(fc.string({ unit: chars(' \t0'), maxLength: 3 }), fc.bigInt({ min: 0n, max: 2n ** 40n }))
        .map(([pad, n]) => `${pad}${n} INVITE${pad}`),
    );
    fc.assert(
      fc.property(cseqText, (v) => {
        const a = parseCSeq(v);
        const b = refParseCSeq(v);
        expect(a.ok).toBe(typeof b !== 'string');
        if (a.ok && typeof b !== 'string') expect(a.value).toEqual(b);
      }),
      runs(5_000),
    );
  });

  it('parseUnsigned: same value, or an error for the same inputs (5,000)', () => {
    const numberText = fc.oneof(
      fc.string({ unit: chars(' \t0123456789a-+.\n'), maxLength: 22 }),
      fc.bigInt({ min: 0n, max: 2n ** 60n }).map((n) => ` 00${n}\t`),
    );
    fc.assert(
      fc.property(numberText, fc.constantFrom(255, 2 ** 31 - 1, 2 ** 53 - 1), (v, max) => {
        const a = parseUnsigned(v, max, 'X');
        const b = refParseUnsigned(v, max);
        expect(a.ok).toBe(typeof b === 'number');
        if (a.ok) expect(a.value).toBe(b);
      }),
      runs(5_000),
    );
  });

  it('parseHostPort on IPv4 addresses, host names and ports (5,000)', () => {
    fc.assert(
      fc.property(hostText, (t) => {
        if (t.startsWith('[')) return;
        const a = parseHostPort(t);
        const b = refHostPortOk(t);
        if (typeof b === 'string') expect(a.ok).toBe(false);
        else expect(a.ok ? a.value : a.reason).toEqual(b);
      }),
      runs(5_000),
    );
    expect(parseHostPort('1.2.3.256').ok).toBe(false);
    expect(parseHostPort('1.2.3.4:65536').ok).toBe(false);
    expect(parseHostPort('1.2.3.4:0065')).toEqual({ ok: true, value: { host: '1.2.3.4', port: 65 } });
  });

  it('findHeaderEnd (5,000)', () => {
    fc.assert(
      fc.property(fc.string({ unit: chars('\r\na:'), maxLength: 30 }), (s) => {
        const b = Buffer.from(s, 'latin1');
        expect(findHeaderEnd(b)).toEqual(refFindHeaderEnd(b));
      }),
      runs(5_000),
    );
  });

  it('parseVia: the usual shape read by character code gives what the general rule gives (10,000)', () => {
    const piece = fc.oneof(
      fc.constantFrom('SIP/2.0/', 'SIP/2.0/UDP ', 'sip/2.0/tcp ', 'SIP/2.0/TLS  ', 'SIP / 2.0 / UDP '),
      fc.constantFrom('127.0.0.1', '[::1]', 'host.example', ':5060', ':99999', ':', 'ä', '\u00a0', '\t', ' '),
      fc.constantFrom(';branch=z9hG4bKx', ';rport', ';received=[::1]', ';x="a b"', ';', '=', ';bad name'),
      str(chars('SIP/2.0UDPudp .:;=[]\t"ab1'), 0, 6),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (parts) => {
        const v = parts.join('');
        expect(parseVia(v)).toEqual(parseViaByRule(v));
      }),
      runs(10_000),
    );
    // And the usual shapes themselves, which must take the fast path and agree.
    for (const v of [
      'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport',
      'SIP/2.0/tcp [::1]:5061;branch=z9hG4bKabc;received=[::1]',
      'SIP/2.0/TLS host.example',
      'SIP/2.0/UDP 256.1.1.1:5060;branch=x',
      'SIP/2.0/UDP h:70000',
    ])
      expect(parseVia(v)).toEqual(parseViaByRule(v));
  });

  it('request lines: read as "Method SP Request-URI SP SIP-Version", each SP once (5,000)', () => {
    // The rule of parser.ts (RFC 3261 §7.1, RFC 4475 §3.1.2.8-10), with String methods.
    const reference = (line: string) => {
      const first = line.indexOf(' ');
      const last = line.lastIndexOf(' ');
      if (first <= 0 || last === first) return 'bad-start-line';
      const method = line.slice(0, first);
      const middle = line.slice(first + 1, last);
      const version = line.slice(last + 1);
      if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(method)) return 'bad-start-line';
      if (version.length === 0 || middle.length === 0 || middle.startsWith(' ') || middle.endsWith(' '))
        return 'bad-start-line';
      if (!/^[A-Za-z]+\/\d+\.\d+$/.test(version)) return 'bad-start-line';
      if (/\s/.test(middle)) return 'bad-uri';
      return { method, uri: middle, version };
    };
    const rest =
      'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n';
    fc.assert(
      fc.property(
        fc.constantFrom('OPTIONS', 'OPT IONS', 'OPT<', ''),
        fc.constantFrom(' ', '  ', ''),
        fc.constantFrom('sip:a@b', 'sip:a b@c', 'sip:a@b ', '', 'x'),
        fc.constantFrom(' ', '  ', '', '\t'),
        fc.constantFrom('SIP/2.0', 'sip/2.0', 'SIP/2', 'SIP/2.0 ', ''),
        (method, sp1, uri, sp2, version) => {
          const line = `${method}${sp1}${uri}${sp2}${version}`;
          if (/^[A-Za-z]+\/\d/.test(line)) return; // read as a status line
          const want = reference(line);
          const r = parseMessage(Buffer.from(`${line}\r\n${rest}`, 'utf8'));
          if (typeof want === 'string') expect(r.ok ? 'ok' : r.code).toBe(want);
          else if (r.ok && r.message.isRequest) {
            expect(r.message.method).toBe(want.method);
            expect(r.message.uri).toBe(want.uri);
          } else if (!r.ok) {
            // Read as the rule reads it, the line may still fail later (the Request-URI, the version, CSeq).
            expect(['bad-uri', 'bad-version', 'cseq-mismatch']).toContain(r.code);
          }
        },
      ),
      runs(5_000),
    );
  });

  it('status lines: read as the general rule reads them (5,000)', () => {
    // The general rule of parser.ts: "version SP 3DIGIT SP reason", status 100-699, version SIP/2.0 in any case.
    const reference = (line: string) => {
      const m = /^([A-Za-z]+\/\d+\.\d+) (\d+) ([^\r\n]*)$/.exec(line);
      if (!m) return 'bad-start-line';
      const status = Number(m[2]);
      if (m[2]!.length !== 3 || status < 100 || status > 699) return 'bad-status';
      if (m[1]!.toUpperCase() !== 'SIP/2.0') return 'bad-version';
      return { status, reason: m[3]! };
    };
    const rest =
      'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n';
    fc.assert(
      fc.property(
        fc.constantFrom('SIP/2.0', 'sip/2.0', 'SIP/2.1', 'SIP/20', 'SIP/2.0 '),
        fc.constantFrom(' ', '  ', ''),
        str(chars('0123456789 '), 0, 4),
        fc.constantFrom(' ', '', '  ', '\t'),
        str(chars('OK \r\tÿ'), 0, 5),
        (version, sp1, code, sp2, reason) => {
          const line = `${version}${sp1}${code}${sp2}${reason}`;
          const want = reference(line);
          const r = parseMessage(Buffer.from(`${line}\r\n${rest}`, 'utf8'));
          if (typeof want === 'string') {
            expect(r.ok ? 'ok' : r.code).toBe(want);
          } else {
            expect(r.ok && !r.message.isRequest).toBe(true);
            if (r.ok && !r.message.isRequest) {
              expect(r.message.status).toBe(want.status);
              expect(r.message.reason).toBe(want.reason);
            }
          }
        },
      ),
      runs(5_000),
    );
  });

  it('createResponse copies the same header lines (1,000 generated requests)', () => {
    let checked = 0;
    fc.assert(
      fc.property(validMessage, fc.constantFrom(100, 180, 200, 486), (g, status) => {
        const r = parseMessage(g.bytes);
        if (!r.ok || !r.message.isRequest) return;
        checked++;
        const req = r.message;
        const ours = createResponse(req, status, { reason: 'R', toTag: 'T1' });
        expect(ours.headers).toEqual(refCreateResponse(req, status, 'T1').headers);
      }),
      runs(1_000),
    );
    expect(checked).toBeGreaterThan(0);
  });

  it('toBuffer: the same bytes, Content-Length kept, fixed or added (3,000)', () => {
    const field = fc.oneof(
      fc.tuple(
        fc.constantFrom('Via', 'X-A', 'Subject', 'To'),
        fc.string({ unit: chars('ab é;'), maxLength: 8 }),
      ),
      fc.tuple(
        fc.constantFrom('Content-Length', 'l', 'content-length'),
        fc.constantFrom('0', '3', '003', ' 3 ', 'x', '4', '99999999999999999999'),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(field, { maxLength: 6 }),
        fc.uint8Array({ maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        (fields, body, auto, raw) => {
          const headers: HeaderField[] = fields.map(([name, value]) =>
            raw ? { name, value, raw: `${name} :${value}` } : { name, value },
          );
          const m = new SipRequest('OPTIONS', 'sip:a@b', headers, Buffer.from(body));
          const opts = auto ? {} : { contentLength: 'as-is' as const };
          expect(m.toBuffer(opts).equals(refToBuffer(m, auto))).toBe(true);
        },
      ),
      runs(3_000),
    );
  });
});

describe('identifiers from the batched random pool', () => {
  it('have the alphabet and lengths of before, and do not repeat across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const tag = newTag();
      const branch = newBranch();
      const callId = newCallId();
      expect(tag).toMatch(/^[A-Za-z0-9]{11}$/);
      expect(branch).toMatch(/^z9hG4bK[A-Za-z0-9]{16}$/);
      expect(callId).toMatch(/^[A-Za-z0-9]{22}$/);
      for (const id of [tag, branch, callId]) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(newCallId('h.example')).toMatch(/^[A-Za-z0-9]{22}@h\.example$/);
    // Every symbol of the alphabet turns up (so no byte-to-symbol mapping is stuck).
    const symbols = new Set([...seen].join('').replace(/z9hG4bK/g, ''));
    expect(symbols.size).toBe(62);
  });
});
