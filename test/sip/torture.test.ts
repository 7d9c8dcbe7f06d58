/**
 * SIP parser torture set, written for this project after the categories of RFC 4475
 * ("SIP Torture Test Messages"). The messages are our own; each test names the RFC 4475
 * section whose category it covers. Valid messages must parse to the values that matter and
 * re-serialize byte for byte; invalid ones must be rejected with the specific error code,
 * carrying (in `partial`) the headers a server needs to answer 400/505 when they were readable.
 *
 * Decisions where RFC 4475 allows either outcome ("liberal" cases), for a harness whose job is
 * to notice a misbehaving SBC:
 * - §3.1.2.9 / §3.1.2.10 extra SP in the Request-Line: rejected ('bad-start-line').
 * - §3.1.2.11 headers in the Request-URI: rejected ('bad-uri').
 * - §3.1.2.12 bad time zone in Date: accepted; Date is not interpreted by the stack.
 * - §3.1.2.13 addr-spec with "?" not in <>: rejected ('bad-header').
 * - §3.1.2.14 spaces inside <addr-spec>: rejected ('bad-header').
 * - RFC 3261 §7 missing empty line: accepted with a warning when the datagram ends after a
 *   complete header line, rejected ('bad-header') when it ends inside a line.
 */
import { describe, expect, it } from 'vitest';
import { headerKey } from '../../harness/sip/header-names.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../harness/sip/message.ts';
import type { ParseErrorCode } from '../../harness/sip/parse-result.ts';
import { type MessageParseError, parseMessage } from '../../harness/sip/parser.ts';
import { getParam, isSipUri, isTelUri, type SipUri, unescapeUri } from '../../harness/sip/uri.ts';

const CRLF = '\r\n';

/** Header lines joined with CRLF, the empty line, then the body. */
function sip(lines: string[], body = ''): string {
  return `${lines.join(CRLF)}${CRLF}${CRLF}${body}`;
}

function accept(input: string | Buffer): SipMessage {
  const r = parseMessage(input);
  if (!r.ok) throw new Error(`expected the message to parse, got ${r.code}: ${r.reason}`);
  return r.message;
}

function reject(input: string | Buffer, code: ParseErrorCode): MessageParseError {
  const r = parseMessage(input);
  if (r.ok) throw new Error(`expected ${code}, but the message parsed`);
  expect(r.code, r.reason).toBe(code);
  return r;
}

function req(m: SipMessage): SipRequest {
  expect(m.isRequest).toBe(true);
  return m as SipRequest;
}

function res(m: SipMessage): SipResponse {
  expect(m.isRequest).toBe(false);
  return m as SipResponse;
}

function sipUri(m: SipMessage): SipUri {
  const u = req(m).parsedUri;
  if (!u || !isSipUri(u)) throw new Error('Request-URI is not a SIP URI');
  return u;
}

/** The five headers a 400/505 must copy (RFC 3261 §8.2.6.2) are all in the error's partial. */
function expectAnswerable(e: MessageParseError): void {
  const keys = new Set(e.partial?.headers.map((h) => headerKey(h.name)));
  for (const k of ['via', 'from', 'to', 'call-id', 'cseq'])
    expect(keys.has(k), `partial lacks ${k}`).toBe(true);
}

function expectRoundTrip(text: string | Buffer): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const m = accept(bytes);
  expect(m.toBuffer({ contentLength: 'as-is' }).equals(bytes)).toBe(true);
  expect(m.toBuffer().equals(bytes)).toBe(true);
}

/** A plain, valid request to derive invalid variants from. */
function basic(
  over: {
    start?: string;
    method?: string;
    via?: string;
    extra?: string[];
    drop?: string[];
    cseq?: string;
    body?: string;
    cl?: string;
  } = {},
): string {
  const method = over.method ?? 'OPTIONS';
  const lines = [
    over.start ?? `${method} sip:target@sbc.example.test SIP/2.0`,
    `Via: ${over.via ?? 'SIP/2.0/UDP client.example.test:5060;branch=z9hG4bK-basic-1'}`,
    'Max-Forwards: 70',
    'From: "Caller" <sip:caller@example.test>;tag=fr-1',
    'To: <sip:target@sbc.example.test>',
    'Call-ID: basic-call-1@client.example.test',
    `CSeq: ${over.cseq ?? `17 ${method}`}`,
    ...(over.extra ?? []),
    `Content-Length: ${over.cl ?? String(Buffer.byteLength(over.body ?? ''))}`,
  ].filter((l) => !(over.drop ?? []).some((d) => headerKey(l.slice(0, l.indexOf(':'))) === d));
  return sip(lines, over.body ?? '');
}

const SDP = [
  'v=0',
  'o=- 42 42 IN IP4 192.0.2.7',
  's=-',
  'c=IN IP4 192.0.2.7',
  't=0 0',
  'm=audio 40000 RTP/AVP 8',
  '',
].join(CRLF);

describe('RFC 4475 §3.1.1 valid messages (our own versions)', () => {
  it('§3.1.1.1 short tortuous INVITE: odd case, LWS, folding, compact forms, escaped quotes', () => {
    const text = sip(
      [
        'INVITE sip:agent@desk.example.test;odd-flag SIP/2.0',
        'tO  :',
        '  sip:agent@desk.example.test  ;   tag   =  t0rtu0us',
        'fROm :   "The \\"Quoted\\" \\\\ One"    <sip:caller@example.test>',
        '\t;',
        '  tag = fr0m-tag',
        'mAx-FoRwArDs: 00042',
        'CALL-id: tortuous.1@192.0.2.1',
        'Content-Length   : ' + String(Buffer.byteLength(SDP)),
        'cseq: 000000017',
        '    INVITE',
        'Via  : SIP   /  2.0',
        '   / UDP',
        '     192.0.2.1;branch=z9hG4bK-tort-1',
        's :',
        'Weird-Header:    one part',
        '   and the next part',
        'Strange-Value: ;;,,;;,;',
        'c: application/sdp',
        'Route:',
        ' <sip:edge.example.test;lr;x-thing=y;x-flag>',
        'v:  SIP / 2.0 / TCP   relay.example.test  ;',
        '  branch =   z9hG4bK-tort-2  ,',
        '  SIP  /  2.0  / UDP  198.51.100.9  ; branch=',
        '  z9hG4bK-tort-3',
        'm:"A \\"quoted\\" contact" <sip:caller@example.test> ; p1 =',
        '     v1 ;',
        '  p2 ; q = 0.5',
      ],
      SDP,
    );
    const m = req(accept(text));
    expect(m.method).toBe('INVITE');
    expect(sipUri(m).params).toEqual([['odd-flag', null]]);
    expect(m.toTag).toBe('t0rtu0us');
    expect(m.from?.displayName).toBe('The "Quoted" \\ One');
    expect(m.fromTag).toBe('fr0m-tag');
    expect(m.maxForwards).toBe(42);
    expect(m.callId).toBe('tortuous.1@192.0.2.1');
    expect(m.cseq).toEqual({ seq: 17, method: 'INVITE' });
    expect(m.vias?.map((v) => `${v.transport} ${v.host} ${getParam(v.params, 'branch')}`)).toEqual([
      'UDP 192.0.2.1 z9hG4bK-tort-1',
      'TCP relay.example.test z9hG4bK-tort-2',
      'UDP 198.51.100.9 z9hG4bK-tort-3',
    ]);
    expect(m.get('subject')).toBe('');
    expect(m.get('weird-header')).toBe('one part and the next part');
    expect(m.get('strange-value')).toBe(';;,,;;,;');
    expect(m.routes[0] && isSipUri(m.routes[0].uri) && m.routes[0].uri.params.length).toBe(3);
    expect(m.contacts[0]?.displayName).toBe('A "quoted" contact');
    expect(getParam(m.contacts[0]?.params ?? [], 'q')).toBe('0.5');
    expect(getParam(m.contacts[0]?.params ?? [], 'p1')).toBe('v1');
    expect(m.contentType?.subtype).toBe('sdp');
    expect(m.bodyText).toBe(SDP);
    expectRoundTrip(text);
  });

  it('§3.1.1.2 wide range of valid characters: token method, crazy user part, control chars in quotes', () => {
    const method = "!odd-Method0123456789_*+`.%yes'~";
    const user = "1_odd.USER~(of-course!)&isn't+it$/wild?,/;;*";
    const password = "&pw+is=1,strange!*pa$s~w_d.(isn't-it)";
    const text = sip([
      `${method} sip:${user}:${password}@example.test SIP/2.0`,
      "Via: SIP/2.0/UDP h1.example.test;branch=z9hG4bK-.!%66*_+`'~",
      `To: "BEL:\\\u0007 NUL:\\\u0000 DEL:\\\u007f" <sip:${user}@example.test>`,
      "From: word1~` word2'+_ word3*%!.- <sip:plain@example.test>;fParam''~+*_!.-%=\"привет, мир\";tag=_t~1'+`*%!-.",
      'Call-ID: wide.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
      `CSeq: 1392 ${method}`,
      'Max-Forwards: 255',
      "xHeader-!.%*+_`'~:\u{feff}漢字のヘッダ",
      'Content-Length: 0',
    ]);
    const m = req(accept(text));
    expect(m.method).toBe(method);
    expect(sipUri(m).user).toBe(user);
    expect(sipUri(m).password).toBe(password);
    expect(sipUri(m).host).toBe('example.test');
    expect(m.to?.displayName).toBe('BEL:\u0007 NUL:\u0000 DEL:\u007f');
    expect(m.to && isSipUri(m.to.uri) && m.to.uri.user).toBe(user);
    expect(m.from?.displayName).toBe("word1~` word2'+_ word3*%!.-");
    expect(getParam(m.from?.params ?? [], "fParam''~+*_!.-%")).toBe('"привет, мир"');
    expect(m.fromTag).toBe("_t~1'+`*%!-.");
    expect(m.callId).toBe('wide.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.cseq?.method).toBe(method);
    expect(m.maxForwards).toBe(255);
    expect(m.get("xheader-!.%*+_`'~")).toBe('\u{feff}漢字のヘッダ');
    expectRoundTrip(text);
  });

  it('§3.1.1.3 escaped characters in the Request-URI, From and Contact', () => {
    const text = sip([
      'INVITE sip:sips%3Aagent%40example.test@proxy.example.test SIP/2.0',
      'To: sip:%61gent@example.test',
      'From: <sip:I%20have%20spaces@example.test>;tag=esc1',
      'Max-Forwards: 60',
      'i: esc.1@example.test',
      'CSeq: 5 INVITE',
      'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKesc1',
      'Contact: <sip:c%61ller@h.example.test;%6C%72;n%61me=v%61l%25%34%31>',
      'l: 0',
    ]);
    const m = req(accept(text));
    expect(unescapeUri(sipUri(m).user ?? '')).toBe('sips:agent@example.test');
    expect(sipUri(m).host).toBe('proxy.example.test');
    expect(m.to && isSipUri(m.to.uri) && unescapeUri(m.to.uri.user ?? '')).toBe('agent');
    expect(m.from && isSipUri(m.from.uri) && unescapeUri(m.from.uri.user ?? '')).toBe('I have spaces');
    const c = m.contacts[0]?.uri;
    expect(c && isSipUri(c) && c.params).toEqual([
      ['%6C%72', null],
      ['n%61me', 'v%61l%25%34%31'],
    ]);
    expect(unescapeUri('v%61l%25%34%31')).toBe('val%41');
    expectRoundTrip(text);
  });

  it('§3.1.1.4 escaped nulls in URIs', () => {
    const text = sip([
      'REGISTER sip:registrar.example.test SIP/2.0',
      'To: sip:zero-%00-zero@example.test',
      'From: sip:zero-%00-zero@example.test;tag=nul1',
      'Call-ID: escnul.1@example.test',
      'Max-Forwards: 70',
      'CSeq: 9 REGISTER',
      'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKnul1',
      'Contact: <sip:%00@h.example.test>',
      'Contact: <sip:%00%00@h.example.test>',
      'L: 0',
    ]);
    const m = req(accept(text));
    expect(m.to && isSipUri(m.to.uri) && unescapeUri(m.to.uri.user ?? '')).toBe('zero-\u0000-zero');
    expect(m.fromTag).toBe('nul1');
    expect(m.contacts.map((c) => (isSipUri(c.uri) ? unescapeUri(c.uri.user ?? '') : ''))).toEqual([
      '\u0000',
      '\u0000\u0000',
    ]);
  });

  it('§3.1.1.5 "%" in a method and a header name is not an escape', () => {
    const text = sip([
      'RE%47IST%45R sip:registrar.example.test SIP/2.0',
      'To: "%Z%45" <sip:res@example.test>',
      'From: "%Z%45" <sip:res@example.test>;tag=esc2',
      'Call-ID: esc2.1@example.test',
      'Via: SIP/2.0/TCP h.example.test;rport;branch=z9hG4bKesc2',
      'CSeq: 11 RE%47IST%45R',
      'Max-Forwards: 70',
      'Contact: <sip:one@h1.example.test>',
      'C%6Fntact: <sip:two@h2.example.test>',
      'Contact: <sip:three@h3.example.test>',
      'l: 0',
    ]);
    const m = req(accept(text));
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.to?.displayName).toBe('%Z%45');
    expect(m.contacts).toHaveLength(2);
    expect(m.get('C%6Fntact')).toBe('<sip:two@h2.example.test>');
  });

  it('§3.1.1.6 no LWS between a token display name and "<"', () => {
    const m = accept(
      basic().replace('From: "Caller" <sip:caller@example.test>', 'From: caller<sip:caller@example.test>'),
    );
    expect(m.from?.displayName).toBe('caller');
    expect(m.fromTag).toBe('fr-1');
  });

  it('§3.1.1.7 long values: 60 Vias, a 2000-char display name, a 5000-char unknown header', () => {
    const vias: string[] = [];
    for (let i = 0; i < 20; i++) vias.push(`Via: SIP/2.0/UDP hop${i}.example.test;branch=z9hG4bK-line-${i}`);
    for (let i = 0; i < 20; i++) {
      vias.push(
        `v: SIP/2.0/TCP a${i}.example.test;branch=z9hG4bK-a${i}, SIP/2.0/UDP b${i}.example.test;branch=z9hG4bK-b${i}`,
      );
    }
    const longName = 'n'.repeat(2000);
    const longTag = 't'.repeat(700);
    const longCallId = `${'c'.repeat(900)}@example.test`;
    const text = sip([
      `INVITE sip:target@example.test;${'p'.repeat(300)}=x SIP/2.0`,
      ...vias,
      `To: "${longName}" <sip:target@example.test>;tag=${longTag}`,
      `From: <sip:caller@example.test>;tag=${longTag}x`,
      `Call-ID: ${longCallId}`,
      'CSeq: 1 INVITE',
      'Max-Forwards: 70',
      `X-Long: ${'long '.repeat(1000).trim()}`,
      'Content-Length: 0',
    ]);
    const m = req(accept(text));
    expect(m.vias).toHaveLength(60);
    expect(m.vias?.[59]?.host).toBe('b19.example.test');
    expect(m.to?.displayName).toBe(longName);
    expect(m.toTag).toBe(longTag);
    expect(m.callId).toBe(longCallId);
    expect(m.get('x-long')?.length).toBe(4999);
    expectRoundTrip(text);
  });

  it('§3.1.1.8 extra octets after Content-Length in a datagram are discarded', () => {
    const second = basic({ method: 'INVITE' });
    const first = basic({ method: 'REGISTER' });
    const m = req(accept(first + second));
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(m.warnings).toContain(`${Buffer.byteLength(second)} bytes after the body discarded`);
    expect(m.toBuffer().toString()).toBe(first);
  });

  it('§3.1.1.9 semicolons and escaped "@" in the user part', () => {
    const m = accept(basic({ start: 'OPTIONS sip:agent;par=u%40example.net@example.test SIP/2.0' }));
    expect(sipUri(m).user).toBe('agent;par=u%40example.net');
    expect(sipUri(m).host).toBe('example.test');
    expect(sipUri(m).params).toEqual([]);
  });

  it('§3.1.1.10 varied and unknown transports in Via', () => {
    const text = sip([
      'OPTIONS sip:target@example.test SIP/2.0',
      'Via: SIP/2.0/UDP t1.example.test;branch=z9hG4bKt1',
      'Via: SIP/2.0/SCTP t2.example.test;branch=z9hG4bKt2',
      'Via: SIP/2.0/TLS t3.example.test;branch=z9hG4bKt3',
      'Via: SIP/2.0/NOSUCHTRANSPORT t4.example.test;branch=z9hG4bKt4',
      'Via: SIP/2.0/tcp t5.example.test;branch=z9hG4bKt5',
      'Via: SIP/2.0/WSS t6.example.test;branch=z9hG4bKt6',
      'From: <sip:a@example.test>;tag=1',
      'To: <sip:target@example.test>',
      'Call-ID: transports.1',
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
      'Content-Length: 0',
    ]);
    expect(accept(text).vias?.map((v) => v.transport)).toEqual([
      'UDP',
      'SCTP',
      'TLS',
      'NOSUCHTRANSPORT',
      'TCP',
      'WSS',
    ]);
  });

  it('§3.1.1.11 multipart body is kept whole, Content-Type parameters read', () => {
    const body = [
      '--bnd42',
      'Content-Type: application/sdp',
      '',
      SDP,
      '--bnd42',
      'Content-Type: application/x-private',
      '',
      'binary\u0000stuff',
      '--bnd42--',
      '',
    ].join(CRLF);
    const m = accept(
      basic({ method: 'INVITE', body, extra: ['Content-Type: multipart/mixed;boundary=bnd42'] }),
    );
    expect(m.contentType?.type).toBe('multipart');
    expect(getParam(m.contentType?.params ?? [], 'boundary')).toBe('bnd42');
    expect(m.bodyText).toBe(body);
  });

  it('§3.1.1.12 unusual reason phrase with UTF-8 and symbols', () => {
    const reason = '= 2**3 * 5**2 — ist das wahr? 九十九';
    const text = sip([
      `SIP/2.0 200 ${reason}`,
      'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKunr',
      'From: <sip:a@example.test>;tag=1',
      'To: <sip:b@example.test>;tag=2',
      'Call-ID: unreason.1',
      'CSeq: 3 INVITE',
      'Content-Length: 0',
    ]);
    const m = res(accept(text));
    expect(m.status).toBe(200);
    expect(m.reason).toBe(reason);
    expectRoundTrip(text);
  });

  it('§3.1.1.13 empty reason phrase (status code followed by a single SP)', () => {
    const text = sip([
      'SIP/2.0 100 ',
      'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKnor',
      'From: <sip:a@example.test>;tag=1',
      'To: <sip:b@example.test>',
      'Call-ID: noreason.1',
      'CSeq: 3 INVITE',
      'Content-Length: 0',
    ]);
    const m = res(accept(text));
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
    expectRoundTrip(text);
  });
});

describe('RFC 4475 §3.2–3.4 syntactically valid, semantically odd messages parse', () => {
  it('§3.2.1 Via branch without the magic cookie', () => {
    expect(accept(basic({ via: 'SIP/2.0/UDP old.example.test;branch=oldstyle-1' })).branch).toBe(
      'oldstyle-1',
    );
  });

  it('§3.3.2 unknown scheme in the Request-URI', () => {
    const m = req(accept(basic({ start: 'OPTIONS nobodyUsesThis:opaque/stuff;x=1 SIP/2.0' })));
    expect(m.uri).toBe('nobodyUsesThis:opaque/stuff;x=1');
    expect(m.parsedUri?.scheme).toBe('nobodyusesthis');
  });

  it('§3.3.3 known but atypical scheme with dots', () => {
    const m = req(accept(basic({ start: 'OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0' })));
    expect(m.parsedUri?.scheme).toBe('soap.beep');
  });

  it('§3.3.4 unknown URI schemes in To and From', () => {
    const text = basic()
      .replace('To: <sip:target@sbc.example.test>', 'To: isbn:2983792873')
      .replace('From: "Caller" <sip:caller@example.test>', 'From: <http://www.example.test>');
    const m = accept(text);
    expect(m.to?.uri.scheme).toBe('isbn');
    expect(m.from?.uri.scheme).toBe('http');
    expect(m.fromTag).toBe('fr-1');
  });

  it('§3.3.5 Require and Proxy-Require with unknown option tags', () => {
    const m = accept(basic({ extra: ['Require: nothingWeKnow, 100rel', 'Proxy-Require: nope'] }));
    expect(m.tokens('require')).toEqual(['nothingWeKnow', '100rel']);
    expect(m.tokens('proxy-require')).toEqual(['nope']);
  });

  it('§3.3.6 unknown Content-Type', () => {
    const m = accept(
      basic({ method: 'INVITE', body: 'abc', extra: ['Content-Type: application/unheard-of'] }),
    );
    expect(m.contentType?.subtype).toBe('unheard-of');
    expect(m.bodyText).toBe('abc');
  });

  it('§3.3.7 REGISTER with an unknown Authorization scheme', () => {
    const m = accept(basic({ method: 'REGISTER', extra: ['Authorization: NoSuchScheme opaque-data=here'] }));
    expect(m.get('authorization')).toBe('NoSuchScheme opaque-data=here');
  });

  it('§3.3.10 200 OK with a broadcast address in Via', () => {
    const text = sip([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bKbc1',
      'Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bKbc2',
      'From: <sip:a@example.test>;tag=1',
      'To: <sip:b@example.test>;tag=2',
      'Call-ID: bcast.1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
    ]);
    expect(accept(text).vias?.map((v) => v.host)).toEqual(['255.255.255.255', '192.0.2.198']);
  });

  it('§3.3.11 Max-Forwards of zero', () => {
    expect(accept(basic().replace('Max-Forwards: 70', 'Max-Forwards: 0')).maxForwards).toBe(0);
  });

  it('§3.3.12 Contact addr-spec: the parameters belong to the header, not the URI', () => {
    const m = accept(
      basic({ method: 'REGISTER', extra: ['Contact: sip:+4930123@gw.example.test;unknownparam;expires=60'] }),
    );
    const c = m.contacts[0];
    expect(c && isSipUri(c.uri) && c.uri.params).toEqual([]);
    expect(c?.params).toEqual([
      ['unknownparam', null],
      ['expires', '60'],
    ]);
  });

  it('§3.3.13 Contact name-addr: parameters inside <> belong to the URI', () => {
    const m = accept(
      basic({ method: 'REGISTER', extra: ['Contact: <sip:+4930123@gw.example.test;unknownparam>'] }),
    );
    const c = m.contacts[0];
    expect(c && isSipUri(c.uri) && c.uri.params).toEqual([['unknownparam', null]]);
    expect(c?.params).toEqual([]);
  });

  it('§3.3.14 Contact with an escaped header inside <>', () => {
    const m = accept(
      basic({
        method: 'REGISTER',
        extra: ['Contact: <sip:user@example.test?Route=%3Csip:edge.example.test%3E>'],
      }),
    );
    const c = m.contacts[0];
    expect(c && isSipUri(c.uri) && c.uri.headers).toEqual([['Route', '%3Csip:edge.example.test%3E']]);
  });

  it('§3.3.15 Accept offering only an unknown type', () => {
    expect(accept(basic({ method: 'INVITE', extra: ['Accept: text/nobodyKnowsThis'] })).get('accept')).toBe(
      'text/nobodyKnowsThis',
    );
  });

  it('§3.4.1 RFC 2543 syntax: no branch, no Max-Forwards, no From tag, no Content-Length', () => {
    const text = sip(
      [
        'INVITE sip:UserB@example.test SIP/2.0',
        'Via: SIP/2.0/UDP gw.example.test',
        'From: <sip:+4930111@client.example.test;user=phone>',
        'Record-Route: <sip:UserB@example.test;maddr=ss1.example.test>',
        'To: sip:+4930222@ss1.example.test;user=phone',
        'Call-ID: old.1717@client.example.test',
        'CSeq: 56 INVITE',
        'Content-Type: application/sdp',
      ],
      SDP,
    );
    const m = accept(text);
    expect(m.branch).toBeUndefined();
    expect(m.fromTag).toBeUndefined();
    expect(getParam(m.to?.params ?? [], 'user')).toBe('phone');
    expect(m.warnings).toContain('request has no Max-Forwards');
    expect(m.bodyText).toBe(SDP);
  });
});

describe('other valid-but-odd messages', () => {
  it('IPv6 references in Request-URI, Via (with received=) and Contact (RFC 5118 style)', () => {
    const text = sip([
      'REGISTER sip:[2001:db8::10]:5070;transport=udp SIP/2.0',
      'Via: SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKv6',
      'Max-Forwards: 70',
      'From: <sip:user@[2001:db8::10]>;tag=v6',
      'To: <sip:user@[2001:db8::10]>',
      'Call-ID: v6.1',
      'CSeq: 1 REGISTER',
      'Contact: "v6" <sip:user@[2001:db8::9:1]:6050>;expires=60',
      'Content-Length: 0',
    ]);
    const m = accept(text);
    expect(sipUri(m).host).toBe('2001:db8::10');
    expect(sipUri(m).port).toBe(5070);
    expect(m.topVia?.host).toBe('2001:db8::9:1');
    expect(m.topVia?.port).toBe(6050);
    expect(getParam(m.topVia?.params ?? [], 'received')).toBe('[2001:db8::9:255]');
    const c = m.contacts[0]?.uri;
    expect(c && isSipUri(c) && `${c.host}|${c.port}`).toBe('2001:db8::9:1|6050');
    expectRoundTrip(text);
  });

  it('Content-Length 0 with no body, and a body of only CRLFs', () => {
    const empty = accept(basic());
    expect(empty.body.length).toBe(0);
    expect(empty.contentLength).toBe(0);
    const crlfs = accept(basic({ method: 'MESSAGE', body: '\r\n\r\n\r\n' }));
    expect(crlfs.body.equals(Buffer.from('\r\n\r\n\r\n'))).toBe(true);
  });

  it('Content-Length with leading zeros is its numeric value and is kept as written', () => {
    const text = basic({ method: 'INVITE', body: 'abcd', cl: '0000000000000000004' });
    const m = accept(text);
    expect(m.contentLength).toBe(4);
    expect(m.bodyText).toBe('abcd');
    expectRoundTrip(text);
  });

  it('SIPS Request-URI with parameters and a tel URI in To', () => {
    const m = accept(
      basic({
        start: 'INVITE sips:bob@secure.example.test:5061;transport=tcp;lr;maddr=192.0.2.5 SIP/2.0',
        method: 'INVITE',
      }).replace('To: <sip:target@sbc.example.test>', 'To: <tel:+1-201-555-0123;phone-context=example.test>'),
    );
    const u = sipUri(m);
    expect(u.scheme).toBe('sips');
    expect(u.port).toBe(5061);
    expect(u.params.map(([n]) => n)).toEqual(['transport', 'lr', 'maddr']);
    const to = m.to?.uri;
    expect(to && isTelUri(to) && to.number).toBe('+1-201-555-0123');
    expect(to && isTelUri(to) && getParam(to.params, 'phone-context')).toBe('example.test');
  });

  it('tel URI as Request-URI', () => {
    const m = req(accept(basic({ start: 'INVITE tel:+4930123456;ext=12 SIP/2.0', method: 'INVITE' })));
    const u = m.parsedUri;
    expect(u && isTelUri(u) && u.number).toBe('+4930123456');
  });

  it('header names are case-insensitive and compact forms are equivalent (RFC 3261 §7.3.3)', () => {
    const text = sip([
      'MESSAGE sip:target@example.test SIP/2.0',
      'V: SIP/2.0/UDP h.example.test;branch=z9hG4bKcase',
      'f: <sip:a@example.test>;tag=1',
      'T: <sip:target@example.test>',
      'I: compact.1',
      'cSeQ: 2 MESSAGE',
      'MAX-FORWARDS: 9',
      'M: <sip:a@h.example.test>',
      'K: timer, 100rel',
      'c: text/plain',
      'L: 2',
    ]);
    const m = accept(`${text}hi`);
    expect(m.branch).toBe('z9hG4bKcase');
    expect(m.fromTag).toBe('1');
    expect(m.callId).toBe('compact.1');
    expect(m.cseq?.seq).toBe(2);
    expect(m.maxForwards).toBe(9);
    expect(m.contacts).toHaveLength(1);
    expect(m.tokens('supported')).toEqual(['timer', '100rel']);
    expect(m.contentType?.type).toBe('text');
    expect(m.bodyText).toBe('hi');
  });

  it('CRLFs before the start line are ignored (RFC 3261 §7.5)', () => {
    expect(req(accept(`\r\n\r\n\r\n${basic()}`)).method).toBe('OPTIONS');
  });

  it('several Contacts on several lines and in comma lists', () => {
    const m = accept(
      basic({
        method: 'REGISTER',
        extra: [
          'Contact: <sip:a@h1.example.test>;q=0.9, "B, with comma" <sip:b@h2.example.test>',
          'm: sip:c@h3.example.test',
        ],
      }),
    );
    expect(m.contacts.map((c) => (isSipUri(c.uri) ? c.uri.user : ''))).toEqual(['a', 'b', 'c']);
    expect(m.contacts[1]?.displayName).toBe('B, with comma');
  });

  it('unknown method with a matching CSeq', () => {
    const m = req(accept(basic({ method: 'FROBNICATE' })));
    expect(m.method).toBe('FROBNICATE');
    expect(m.cseq).toEqual({ seq: 17, method: 'FROBNICATE' });
  });

  it('CSeq 2^31-1 is the largest accepted sequence number', () => {
    expect(accept(basic({ cseq: '2147483647 OPTIONS' })).cseq?.seq).toBe(2147483647);
  });

  it('no empty line, but the datagram ends after a complete header line: accepted with a warning', () => {
    const text = basic().replace(/\r\n\r\n$/, '\r\n');
    const m = accept(text);
    expect(m.warnings).toContain('no empty line after the header section');
    expect(m.callId).toBe('basic-call-1@client.example.test');
  });
});

describe('RFC 4475 §3.1.2 and §3.3 invalid messages are rejected with the right code', () => {
  it('§3.1.2.1 extraneous separators in Via → bad-header, still answerable', () => {
    const e = reject(basic({ via: 'SIP/2.0/UDP 192.0.2.15;;,;,,' }), 'bad-header');
    expectAnswerable(e);
  });

  it('§3.1.2.1 extraneous separators in Contact → bad-header', () => {
    reject(basic({ method: 'INVITE', extra: ['Contact: "Joe" <sip:joe@example.test>;;;;'] }), 'bad-header');
  });

  it('§3.1.2.2 Content-Length larger than the body → truncated-body', () => {
    const e = reject(basic({ method: 'INVITE', body: 'v=0\r\n', cl: '9999' }), 'truncated-body');
    expectAnswerable(e);
  });

  it('§3.1.2.3 negative Content-Length → bad-content-length', () => {
    reject(basic({ method: 'INVITE', body: 'v=0\r\n', cl: '-999' }), 'bad-content-length');
  });

  it('non-numeric and huge Content-Length → bad-content-length', () => {
    reject(basic({ cl: 'twelve' }), 'bad-content-length');
    reject(basic({ cl: '0x10' }), 'bad-content-length');
    reject(basic({ cl: '99999999999999999999999' }), 'bad-content-length');
    reject(basic({ cl: '70000' }), 'bad-content-length');
  });

  it('§3.1.2.4 request with overlarge CSeq, Max-Forwards → bad-header', () => {
    expect(reject(basic({ cseq: '36893488147419103232 OPTIONS' }), 'bad-header').reason).toMatch(/CSeq/);
    expect(reject(basic({ cseq: '2147483648 OPTIONS' }), 'bad-header').reason).toMatch(/2\^31/);
    expect(reject(basic().replace('Max-Forwards: 70', 'Max-Forwards: 300'), 'bad-header').reason).toMatch(
      /Max-Forwards/,
    );
    reject(basic().replace('Max-Forwards: 70', 'Max-Forwards: 256'), 'bad-header');
  });

  it('§3.1.2.5 response with overlarge CSeq → bad-header', () => {
    const text = sip([
      'SIP/2.0 503 Service Unavailable',
      'Via: SIP/2.0/TCP h.example.test;branch=z9hG4bKlg;received=192.0.2.129',
      'To: <sip:user@example.test>',
      'From: <sip:other@example.test>;tag=lg',
      'CSeq: 9292394834772304023312 OPTIONS',
      'Call-ID: scalarlg.1',
      'Retry-After: 949302838503028349304023988',
      'Content-Length: 0',
    ]);
    expect(reject(text, 'bad-header').reason).toMatch(/CSeq/);
  });

  it('§3.1.2.6 unterminated quoted string in a display name → bad-header', () => {
    const text = basic().replace(
      'To: <sip:target@sbc.example.test>',
      'To: "Mr. J. Target <sip:target@sbc.example.test>',
    );
    expect(reject(text, 'bad-header').reason).toMatch(/unterminated/);
  });

  it('§3.1.2.7 <> enclosing the Request-URI → bad-uri', () => {
    const e = reject(basic({ start: 'OPTIONS <sip:target@sbc.example.test> SIP/2.0' }), 'bad-uri');
    expectAnswerable(e);
  });

  it('§3.1.2.8 LWS embedded in the Request-URI → bad-uri', () => {
    const e = reject(basic({ start: 'OPTIONS sip:target@sbc.example.test; lr SIP/2.0' }), 'bad-uri');
    expect(e.partial?.method).toBe('OPTIONS');
    expectAnswerable(e);
  });

  it('§3.1.2.9 multiple SP between Request-Line elements → bad-start-line (decision: strict), answerable', () => {
    const e = reject(basic({ start: 'OPTIONS  sip:target@sbc.example.test  SIP/2.0' }), 'bad-start-line');
    expect(e.partial?.isRequest).toBe(true);
    expect(e.partial?.method).toBe('OPTIONS');
    expectAnswerable(e);
  });

  it('§3.1.2.10 SP after the SIP-Version → bad-start-line (decision: strict)', () => {
    const e = reject(basic({ start: 'OPTIONS sip:target@sbc.example.test SIP/2.0  ' }), 'bad-start-line');
    expectAnswerable(e);
  });

  it('§3.1.2.11 escaped headers in the Request-URI → bad-uri (decision: strict)', () => {
    reject(
      basic({ start: 'OPTIONS sip:target@sbc.example.test?Route=%3Csip:example.test%3E SIP/2.0' }),
      'bad-uri',
    );
  });

  it('§3.1.2.12 invalid time zone in Date → accepted (Date is not interpreted), value kept', () => {
    const m = accept(basic({ extra: ['Date: Fri, 01 Jan 2010 16:00:00 EST'] }));
    expect(m.get('date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
  });

  it('§3.1.2.13 addr-spec with an escaped header not enclosed in <> → bad-header (decision: strict)', () => {
    const e = reject(
      basic({
        method: 'REGISTER',
        extra: ['Contact: sip:user@example.test?Route=%3Csip:edge.example.test%3E'],
      }),
      'bad-header',
    );
    expect(e.reason).toMatch(/<>/);
  });

  it('§3.1.2.14 spaces within the addr-spec inside <> → bad-header', () => {
    const text = basic().replace(
      'To: <sip:target@sbc.example.test>',
      'To: "Watson, T." < sip:t.watson@example.test >',
    );
    reject(text, 'bad-header');
  });

  it('§3.1.2.15 non-token characters in an unquoted display name → bad-header', () => {
    const text = basic().replace(
      'From: "Caller" <sip:caller@example.test>',
      'From: Bell, Alexander <sip:a.bell@example.test>',
    );
    reject(text, 'bad-header');
    reject(
      basic().replace('To: <sip:target@sbc.example.test>', 'To: Dr. "Who" <sip:who@example.test>'),
      'bad-header',
    );
  });

  it('§3.1.2.16 unknown protocol version in the start line → bad-version with the headers for a 505', () => {
    const e = reject(basic({ start: 'OPTIONS sip:target@sbc.example.test SIP/7.0' }), 'bad-version');
    expectAnswerable(e);
    expect(e.partial?.method).toBe('OPTIONS');
  });

  it('§3.1.2.16 unknown protocol version in Via → bad-version', () => {
    reject(basic({ via: 'SIP/7.0/UDP client.example.test;branch=z9hG4bK-v7' }), 'bad-version');
    reject(
      basic({
        via: 'SIP/2.0/UDP a.example.test;branch=z9hG4bK-a, SIP/3.0/TCP b.example.test;branch=z9hG4bK-b',
      }),
      'bad-version',
    );
  });

  it('§3.1.2.16 unknown version in a status line → bad-version', () => {
    const text = sip([
      'SIP/3.0 200 OK',
      'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKx',
      'From: <sip:a@example.test>;tag=1',
      'To: <sip:b@example.test>;tag=2',
      'Call-ID: v3',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
    ]);
    expect(reject(text, 'bad-version').partial?.status).toBe(200);
  });

  it('§3.1.2.17 start line and CSeq method mismatch → cseq-mismatch', () => {
    expectAnswerable(reject(basic({ cseq: '17 INVITE' }), 'cseq-mismatch'));
  });

  it('§3.1.2.18 unknown method with CSeq method mismatch → cseq-mismatch', () => {
    reject(basic({ method: 'NEWTHING', cseq: '17 INVITE' }), 'cseq-mismatch');
  });

  it('§3.1.2.19 overlarge (4- and 10-digit) response codes → bad-status', () => {
    const resp = (code: string) =>
      sip([
        `SIP/2.0 ${code} better not break the receiver`,
        'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKbig',
        'From: <sip:a@example.test>;tag=1',
        'To: <sip:b@example.test>',
        'Call-ID: bigcode.1',
        'CSeq: 1 INVITE',
        'Content-Length: 0',
      ]);
    reject(resp('4294967301'), 'bad-status');
    reject(resp('1000'), 'bad-status');
    reject(resp('099'), 'bad-status');
    reject(resp('700'), 'bad-status');
  });

  it('§3.3.1 missing required headers → missing-header, with what was readable', () => {
    const text = sip([
      'INVITE sip:user@example.test SIP/2.0',
      'CSeq: 193942 INVITE',
      'Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKinsuf',
      'Content-Type: application/sdp',
      'l: 0',
    ]);
    const e = reject(text, 'missing-header');
    expect(e.partial?.headers.map((h) => headerKey(h.name))).toEqual([
      'cseq',
      'via',
      'content-type',
      'content-length',
    ]);
  });

  it.each([
    ['To', 'To: <sip:other@example.test>'],
    ['From', 'From: <sip:else@example.test>;tag=zz'],
    ['Call-ID', 'i: another-call-id'],
    ['CSeq', 'CSeq: 18 OPTIONS'],
    ['Max-Forwards', 'Max-Forwards: 69'],
  ])('§3.3.8 duplicate single-valued %s → bad-header', (name, line) => {
    expect(reject(basic({ extra: [line] }), 'bad-header').reason).toContain(name);
  });

  it('§3.3.8 two addresses in one To line → bad-header', () => {
    reject(
      basic().replace('To: <sip:target@sbc.example.test>', 'To: <sip:a@example.test>, <sip:b@example.test>'),
      'bad-header',
    );
  });

  it('§3.3.9 multiple Content-Length values → bad-content-length', () => {
    reject(basic({ method: 'INVITE', body: 'abc', extra: ['l: 3'] }), 'bad-content-length');
  });

  it('non-token characters in a header name → bad-header; headers after it still reach partial', () => {
    const text = sip([
      'OPTIONS sip:target@example.test SIP/2.0',
      'Bad Name: value',
      'Via: SIP/2.0/UDP h.example.test;branch=z9hG4bKbn',
      'From: <sip:a@example.test>;tag=1',
      'To: <sip:target@example.test>',
      'Call-ID: badname.1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
    ]);
    const e = reject(text, 'bad-header');
    expect(e.reason).toContain('Bad Name');
    expectAnswerable(e);
    reject(basic({ extra: ['X<y>: z'] }), 'bad-header');
    reject(basic({ extra: ['no colon at all'] }), 'bad-header');
    reject(basic({ extra: [': empty name'] }), 'bad-header');
  });

  it('a continuation line right after the start line → bad-header', () => {
    reject(basic().replace('SIP/2.0\r\nVia', 'SIP/2.0\r\n  folded\r\nVia'), 'bad-header');
  });

  it('message cut inside a header line (no CRLF, no empty line) → bad-header', () => {
    const text = basic();
    const cut = text.slice(0, text.indexOf('Call-ID: ') + 12);
    expect(reject(cut, 'bad-header').reason).toMatch(/ends inside a header line/);
  });

  it('empty input, only CRLFs → empty; oversize → too-large; header flood → too-many-headers', () => {
    reject('', 'empty');
    reject('\r\n\r\n\r\n', 'empty');
    reject(basic({ extra: [`X-Big: ${'x'.repeat(70000)}`] }), 'too-large');
    const flood = Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`);
    reject(basic({ extra: flood }), 'too-many-headers');
  });

  it('Call-ID with embedded whitespace or empty → bad-header', () => {
    reject(basic().replace('Call-ID: basic-call-1@client.example.test', 'Call-ID: has space'), 'bad-header');
    reject(basic().replace('Call-ID: basic-call-1@client.example.test', 'Call-ID:'), 'bad-header');
  });

  it('Request-URI with a malformed host or port → bad-uri', () => {
    reject(basic({ start: 'OPTIONS sip:user@2001:db8::10 SIP/2.0' }), 'bad-uri');
    reject(basic({ start: 'OPTIONS sip:user@[2001:db8:::1] SIP/2.0' }), 'bad-uri');
    reject(basic({ start: 'OPTIONS sip:user@host.example.test:99999 SIP/2.0' }), 'bad-uri');
    reject(basic({ start: 'OPTIONS sip:user@300.1.1.1 SIP/2.0' }), 'bad-uri');
  });
});
