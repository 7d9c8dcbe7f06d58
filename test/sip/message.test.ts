import { describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '../../harness/sip/message.ts';
import { createRequest, createResponse } from '../../harness/sip/message-factory.ts';
import { parseMessage } from '../../harness/sip/parser.ts';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'v: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKabc, SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKdef;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: "Alice \\"A\\"" <sip:alice@atlanta.example.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Subject: folded',
  '  across lines',
  'Content-Type: application/sdp',
  'l: 4',
  '',
  'v=0\r\n',
].join('\r\n');

describe('parseMessage', () => {
  it('parses a request with compact forms, folding and multi-value Via', () => {
    const r = parseMessage(INVITE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.message as SipRequest;
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:bob@biloxi.example.com');
    expect(m.vias?.map((v) => `${v.transport} ${v.host}:${v.port ?? ''}`)).toEqual([
      'UDP pc33.atlanta.example.com:',
      'TCP 10.0.0.1:5060',
      'UDP 2001:db8::1:5070',
    ]);
    expect(m.branch).toBe('z9hG4bK776asdhds');
    expect(m.from?.displayName).toBe('Alice "A"');
    expect(m.fromTag).toBe('1928301774');
    expect(m.toTag).toBeUndefined();
    expect(m.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.get('subject')).toBe('folded across lines');
    expect(m.contentLength).toBe(4);
    expect(m.bodyText).toBe('v=0\r');
    expect(m.warnings).toContain('1 bytes after the body discarded');
  });

  it('re-serializes an untouched parsed message byte for byte (but for discarded trailing bytes)', () => {
    const text = INVITE.slice(0, -1);
    const r = parseMessage(text);
    expect(r.ok && r.message.toBuffer().toString()).toBe(text);
  });

  it('rejects a CSeq method that differs from the request method, with the readable headers', () => {
    const bad = INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 OPTIONS');
    const r = parseMessage(bad);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('cseq-mismatch');
    expect(r.partial?.headers.length).toBeGreaterThan(5);
  });

  it('rejects a Content-Length larger than the body', () => {
    const r = parseMessage(INVITE.replace('l: 4', 'l: 400'));
    expect(!r.ok && r.code).toBe('truncated-body');
  });

  it('rejects SIP/7.0 as a version error', () => {
    const r = parseMessage(INVITE.replace('SIP/2.0\r\nVia', 'SIP/7.0\r\nVia'));
    expect(!r.ok && r.code).toBe('bad-version');
  });

  it('parses a response', () => {
    const r = parseMessage(
      'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
    );
    expect(r.ok).toBe(true);
    const m = r.ok ? (r.message as SipResponse) : undefined;
    expect(m?.status).toBe(180);
    expect(m?.reason).toBe('Ringing');
    expect(m?.toTag).toBe('2');
  });
});

describe('message factory', () => {
  it('builds a response that mirrors the request and adds a To tag', () => {
    const r = parseMessage(INVITE);
    if (!r.ok) throw new Error(r.reason);
    const res = createResponse(r.message as SipRequest, 180, { toTag: 'xyz' });
    const text = res.toString();
    expect(text.startsWith('SIP/2.0 180 Ringing\r\n')).toBe(true);
    const back = parseMessage(text);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.message.vias?.length).toBe(3);
    expect(back.message.toTag).toBe('xyz');
    expect(back.message.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(back.message.contentLength).toBe(0);
  });

  it('sets Content-Length automatically, or writes it as-is for malformed messages', () => {
    const req = createRequest({
      method: 'OPTIONS',
      uri: 'sip:x@127.0.0.1',
      headers: [
        ['Via', 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1'],
        ['From', '<sip:a@h>;tag=1'],
        ['To', '<sip:x@h>'],
        ['Call-ID', 'c'],
        ['CSeq', '1 OPTIONS'],
        ['Content-Length', '99'],
      ],
      body: 'hello',
    });
    expect(req.toString()).toContain('Content-Length: 5\r\n');
    expect(req.toBuffer({ contentLength: 'as-is' }).toString()).toContain('Content-Length: 99\r\n');
  });
});
