/**
 * The SIP validator: each rule of SIP_RULES with a message exchange that breaks it and one that
 * is legal but unusual (which must pass), and docs/sip-rules.md kept equal to the rule table.
 * The messages are hand-written wire text parsed by our real parser.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Checks } from '../../harness/runner/checks.ts';
import { recordSipRuleChecks, SIP_RULES, SipValidator } from '../../harness/runner/validator/index.ts';
import { parseMessage, type SipMessage } from '../../harness/sip/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const CRLF = '\r\n';

function parse(lines: string[], body = ''): { message: SipMessage; text: string } {
  const head = [...lines];
  if (body) head.push('Content-Type: application/sdp');
  head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const text = `${head.join(CRLF)}${CRLF}${CRLF}${body}`;
  const r = parseMessage(text);
  if (!r.ok) throw new Error(`test message does not parse: ${r.reason}\n${text}`);
  return { message: r.message, text };
}

interface Req {
  method: string;
  cseq: number;
  branch: string;
  /** Our side's tag (From when we send, To when the SBC sends). */
  fromTag?: string;
  toTag?: string;
  sdp?: string;
  headers?: string[];
  /** Who sends it: our actor (default) or the SBC. */
  by?: 'us' | 'sbc';
}

const US = '<sip:provider@127.0.0.2:5060>';
const SBC = '<sip:sbc@127.0.0.1:5060>';

function request(r: Req): { message: SipMessage; text: string } {
  const fromUs = (r.by ?? 'us') === 'us';
  const lines = [
    `${r.method} ${fromUs ? 'sip:sbc@127.0.0.1:5060' : 'sip:provider@127.0.0.2:5060'} SIP/2.0`,
    `Via: SIP/2.0/UDP ${fromUs ? '127.0.0.2:5060' : '127.0.0.1:5060'};branch=${r.branch}`,
    `From: ${fromUs ? US : SBC};tag=${r.fromTag ?? (fromUs ? 'us1' : 'sbc1')}`,
    `To: ${fromUs ? SBC : US}${r.toTag ? `;tag=${r.toTag}` : ''}`,
    'Call-ID: call-1',
    `CSeq: ${r.cseq} ${r.method}`,
    'Max-Forwards: 70',
    ...(r.method === 'INVITE' ? [`Contact: ${fromUs ? US : SBC}`] : []),
    ...(r.headers ?? []),
  ];
  return parse(lines, r.sdp);
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
};

/** A response to `req` (built with the same fields), as its answerer would write it. */
function response(
  req: Req,
  status: number,
  o: { toTag?: string | null; sdp?: string; headers?: string[]; via?: string; contact?: string | null } = {},
): { message: SipMessage; text: string } {
  const fromUs = (req.by ?? 'us') === 'us';
  const toTag = o.toTag === null ? undefined : (o.toTag ?? req.toTag ?? (fromUs ? 'sbc1' : 'us1'));
  const reason = REASONS[status] ?? 'OK';
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    o.via ?? `Via: SIP/2.0/UDP ${fromUs ? '127.0.0.2:5060' : '127.0.0.1:5060'};branch=${req.branch}`,
    `From: ${fromUs ? US : SBC};tag=${req.fromTag ?? (fromUs ? 'us1' : 'sbc1')}`,
    `To: ${fromUs ? SBC : US}${toTag ? `;tag=${toTag}` : ''}`,
    'Call-ID: call-1',
    `CSeq: ${req.cseq} ${req.method}`,
    ...(o.contact === null || status < 200 ? [] : [`Contact: ${o.contact ?? (fromUs ? SBC : US)}`]),
    ...(o.headers ?? []),
  ];
  return parse(lines, o.sdp);
}

function sdp(
  o: { version?: number; sessId?: string; media?: string[][]; sessionDir?: string; addr?: string } = {},
): string {
  const media = o.media ?? [
    ['m=audio 4000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000'],
  ];
  return [
    'v=0',
    `o=- ${o.sessId ?? '1000'} ${o.version ?? 1} IN IP4 ${o.addr ?? '127.0.0.1'}`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    ...(o.sessionDir ? [`a=${o.sessionDir}`] : []),
    ...media.flat(),
    '',
  ].join(CRLF);
}

/** A validator fed one exchange on the provider leg; returns the rules it found broken. */
class Exchange {
  readonly v = new SipValidator();
  private t = 1_000_000;
  /** Our actor sends. */
  out(m: { message: SipMessage; text: string }): this {
    this.t += 10;
    this.v.observe({ actor: 'provider', direction: 'out', wallMs: this.t, ...m });
    return this;
  }
  /** The SBC sends (our actor receives). */
  in(m: { message: SipMessage; text: string }): this {
    this.t += 10;
    this.v.observe({ actor: 'provider', direction: 'in', wallMs: this.t, ...m });
    return this;
  }
  wait(ms: number): this {
    this.t += ms;
    return this;
  }
  rules(): string[] {
    return this.v.finish(this.t).map((f) => f.rule);
  }
}

const invite: Req = { method: 'INVITE', cseq: 1, branch: 'z9hG4bKa1', sdp: sdp() };
const sbcInvite: Req = {
  method: 'INVITE',
  cseq: 10,
  branch: 'z9hG4bKs1',
  by: 'sbc',
  sdp: sdp({ sessId: '77' }),
};

/** The audio m= line of {@link sdp}'s default media. */
const audio101 = ['m=audio 4000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000'];

describe('SIP validator rules', () => {
  it('docs/sip-rules.md mirrors SIP_RULES row by row', () => {
    const doc = readFileSync(new URL('../../docs/sip-rules.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| `[a-z0-9-]+` \|/.test(l));
    expect(rows).toEqual(SIP_RULES.map((r) => `| \`${r.id}\` | ${r.rfc} | ${r.rule} | ${r.failure} |`));
    expect(new Set(SIP_RULES.map((r) => r.id)).size).toBe(SIP_RULES.length);
  });

  it('a clean call (offer in INVITE, answer in 200, ACK, BYE both ways) breaks no rule', () => {
    const e = new Exchange()
      .out(request(invite))
      .in(response(invite, 100, { toTag: null }))
      .in(response(invite, 180))
      .in(response(invite, 200, { sdp: sdp({ sessId: '55' }) }))
      .out(request({ method: 'ACK', cseq: 1, branch: 'z9hG4bKa2', toTag: 'sbc1' }));
    const bye: Req = { method: 'BYE', cseq: 2, branch: 'z9hG4bKa3', toTag: 'sbc1' };
    e.out(request(bye)).in(response(bye, 200, { contact: null }));
    expect(e.rules()).toEqual([]);
    expect(e.v.stats.judged).toBe(4);
    expect(e.v.stats.sdp).toBe(1);
  });

  describe('to-tag (RFC 3261 §8.2.6.2)', () => {
    it('breaks: a 180 without a To tag', () => {
      expect(
        new Exchange()
          .out(request(invite))
          .in(response(invite, 180, { toTag: null }))
          .rules(),
      ).toContain('to-tag');
    });
    it('legal: 100 Trying without a To tag', () => {
      expect(
        new Exchange()
          .out(request(invite))
          .in(response(invite, 100, { toTag: null }))
          .rules(),
      ).toEqual([]);
    });
  });

  describe('response-matches-request (RFC 3261 §8.2.6.2)', () => {
    it('breaks: the From tag of the response differs from the request', () => {
      const bad = response(invite, 486, { headers: [] });
      const text = bad.text.replace('tag=us1', 'tag=other');
      const m = parseMessage(text);
      if (!m.ok) throw new Error('parse');
      expect(new Exchange().out(request(invite)).in({ message: m.message, text }).rules()).toContain(
        'response-matches-request',
      );
    });
    it('breaks: an in-dialog response with another To tag than the dialog', () => {
      const info: Req = { method: 'INFO', cseq: 3, branch: 'z9hG4bKi', toTag: 'sbc1' };
      expect(
        new Exchange()
          .out(request(info))
          .in(response(info, 200, { toTag: 'changed' }))
          .rules(),
      ).toContain('response-matches-request');
    });
    it('legal: the response drops the display name of From (only URI and tag must match)', () => {
      const req = request({ ...invite, sdp: undefined, headers: [] });
      const text = req.text.replace(`From: ${US}`, `From: "Provider" ${US}`);
      const m = parseMessage(text);
      if (!m.ok) throw new Error('parse');
      const e = new Exchange()
        .out({ message: m.message, text })
        .in(response({ ...invite, sdp: undefined }, 486));
      expect(e.rules()).toEqual([]);
    });
  });

  describe('response-via (RFC 3261 §8.2.6.2)', () => {
    it('breaks: the response carries another Via than the request', () => {
      const r = response(invite, 486, { via: 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa1' });
      expect(new Exchange().out(request(invite)).in(r).rules()).toContain('response-via');
    });
    it('legal: received and rport added to the Via on the way', () => {
      const r = response(invite, 486, {
        via: 'Via: SIP/2.0/UDP 127.0.0.2:5060;rport=5060;branch=z9hG4bKa1;received=127.0.0.2',
      });
      expect(new Exchange().out(request(invite)).in(r).rules()).toEqual([]);
    });
  });

  describe('cseq-order (RFC 3261 §12.2.1.1)', () => {
    it('breaks: an in-dialog request with a lower CSeq than the INVITE', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 10, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }))
        .in(request({ method: 'BYE', cseq: 9, branch: 'z9hG4bKs3', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toEqual(['cseq-order']);
    });
    it('breaks: an ACK whose CSeq matches no INVITE', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 11, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toContain('cseq-order');
    });
    it('legal: a jump of five, ACK and CANCEL repeating the INVITE number', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .in(request({ method: 'CANCEL', cseq: 10, branch: 'z9hG4bKs1', by: 'sbc' }))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 10, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }))
        .in(request({ method: 'BYE', cseq: 15, branch: 'z9hG4bKs3', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toEqual([]);
    });
  });

  describe('cseq-order: the order of arrival is not the order of sending (RFC 3261 §12.2.2)', () => {
    /** Our call, the SBC's 200 and our REFER accepted 202: the SBC's NOTIFYs follow. */
    const referred = () => {
      const refer: Req = { method: 'REFER', cseq: 2, branch: 'z9hG4bKr1', toTag: 'sbc1' };
      return new Exchange()
        .out(request(invite))
        .in(response(invite, 200, { sdp: sdp() }))
        .out(request({ method: 'ACK', cseq: 1, branch: 'z9hG4bKa2', toTag: 'sbc1' }))
        .out(request(refer))
        .in(response(refer, 202, { contact: null }));
    };
    const notify = (cseq: number, branch: string): Req => ({
      method: 'NOTIFY',
      cseq,
      branch,
      by: 'sbc',
      toTag: 'us1',
    });
    it('legal: NOTIFY 5 (100 Trying) lost, NOTIFY 6 (200 OK) answered, then NOTIFY 5 retransmitted', () => {
      const n5 = notify(5, 'z9hG4bKn5');
      const n6 = notify(6, 'z9hG4bKn6');
      const e = referred()
        .in(request(n6))
        .out(response(n6, 200, { contact: null }))
        .in(request(n5))
        .out(response(n5, 200, { contact: null }))
        .in(request(n6)); // a retransmission of one already seen, later still
      expect(e.rules()).toEqual([]);
    });
    it('legal: a burst of INFO from the SBC’s INVITE dialog arriving 13, 12, 14', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 10, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }));
      for (const n of [13, 12, 14]) {
        const info: Req = { method: 'INFO', cseq: n, branch: `z9hG4bKi${n}`, by: 'sbc', toTag: 'us1' };
        e.in(request(info)).out(response(info, 200, { contact: null }));
      }
      expect(e.rules()).toEqual([]);
    });
    it('breaks: a BYE with the number of the SBC’s earlier re-INVITE (bye-cseq-backwards after a hold)', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 10, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }));
      for (const n of [11, 12]) {
        const re: Req = { ...sbcInvite, cseq: n, branch: `z9hG4bKh${n}`, toTag: 'us1' };
        e.in(request(re))
          .out(response(re, 200, { sdp: sdp({ version: n }) }))
          .in(request({ method: 'ACK', cseq: n, branch: `z9hG4bKk${n}`, by: 'sbc', toTag: 'us1' }));
      }
      e.in(request({ method: 'BYE', cseq: 11, branch: 'z9hG4bKb', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toEqual(['cseq-order']);
    });
    it('breaks: in a dialog our INVITE made, a BYE below the SBC’s one earlier request (bye-cseq-backwards after one re-INVITE)', () => {
      // The BYE's number was never used, and the dialog is not the SBC's: only the BYE rule sees it.
      const re: Req = {
        method: 'INVITE',
        cseq: 500,
        branch: 'z9hG4bKv5',
        by: 'sbc',
        toTag: 'us1',
        sdp: sdp({ version: 3 }),
      };
      const e = referred()
        .in(request(re))
        .out(response(re, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 500, branch: 'z9hG4bKv6', by: 'sbc', toTag: 'us1' }))
        .in(request({ method: 'BYE', cseq: 499, branch: 'z9hG4bKv7', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toEqual(['cseq-order']);
    });
    it('breaks: in a dialog our INVITE made, a NOTIFY reusing a number, and an INVITE below an earlier INVITE', () => {
      const n5 = notify(5, 'z9hG4bKn5');
      expect(
        referred()
          .in(request(n5))
          .in(request({ ...n5, method: 'INFO', branch: 'z9hG4bKi5' }))
          .rules(),
      ).toEqual(['cseq-order']);
      const re = (cseq: number, branch: string): Req => ({
        method: 'INVITE',
        cseq,
        branch,
        by: 'sbc',
        toTag: 'us1',
        sdp: sdp({ version: 3 }),
      });
      const e = referred();
      e.in(request(re(30, 'z9hG4bKv1')))
        .out(response(re(30, 'z9hG4bKv1'), 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 30, branch: 'z9hG4bKv2', by: 'sbc', toTag: 'us1' }))
        .in(request(re(29, 'z9hG4bKv3')));
      expect(e.rules()).toEqual(['cseq-order']);
    });
  });

  describe('route-set (RFC 3261 §12.2.1.1)', () => {
    const rr = ['Record-Route: <sip:10.0.0.1;lr>', 'Record-Route: <sip:10.0.0.2;lr>'];
    it('breaks: an in-dialog request routed through a hop that never record-routed', () => {
      const e = new Exchange()
        .out(request(invite))
        .in(response(invite, 200, { sdp: sdp() }))
        .in(
          request({
            method: 'BYE',
            cseq: 5,
            branch: 'z9hG4bKb',
            by: 'sbc',
            fromTag: 'sbc1',
            toTag: 'us1',
            headers: ['Route: <sip:192.0.2.9;lr>'],
          }),
        );
      expect(e.rules()).toEqual(['route-set']);
    });
    it('legal: two Record-Routes in the 2xx, a later request routed through them, another with no Route', () => {
      const e = new Exchange()
        .out(request(invite))
        .in(response(invite, 200, { sdp: sdp(), headers: rr }))
        .in(
          request({
            method: 'INFO',
            cseq: 5,
            branch: 'z9hG4bKb',
            by: 'sbc',
            toTag: 'us1',
            headers: ['Route: <sip:10.0.0.2;lr>'],
          }),
        )
        .in(request({ method: 'BYE', cseq: 6, branch: 'z9hG4bKc', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toEqual([]);
    });
  });

  describe('route-set: the ACK to a final response of 300 or above (RFC 3261 §17.1.1.3)', () => {
    const outbound = 'Route: <sip:192.0.2.50;lr>';
    /** The SBC's INVITE through its outbound proxy, our `status`, and its ACK with `ackRoute`. */
    const refused = (status: number, ackRoute: string[], branch = 'z9hG4bKs1') => {
      const inv: Req = { ...sbcInvite, headers: [outbound] };
      return new Exchange()
        .in(request(inv))
        .out(response(inv, 180))
        .out(response(inv, status))
        .in(request({ method: 'ACK', cseq: 10, branch, by: 'sbc', toTag: 'us1', headers: ackRoute }))
        .rules();
    };
    it('legal: the ACK to our 486, 480 or 487 repeats the pre-loaded Route of the INVITE (no Record-Route)', () => {
      for (const status of [486, 480, 487]) expect(refused(status, [outbound]), String(status)).toEqual([]);
    });
    it('breaks: that ACK carries another Route than the INVITE, or drops it', () => {
      expect(refused(486, ['Route: <sip:192.0.2.9;lr>'])).toEqual(['route-set']);
      expect(refused(486, [])).toEqual(['route-set']);
    });
    it('legal: that ACK carries the INVITE’s Route and one entry more', () => {
      expect(refused(486, [outbound, 'Route: <sip:192.0.2.9;lr>'])).toEqual([]);
    });
    it('breaks: an ACK with a new branch (not the INVITE’s transaction) is judged by the dialog’s route set', () => {
      expect(refused(486, [outbound], 'z9hG4bKs9')).toEqual(['route-set']);
    });
  });

  describe('contact-dialog (RFC 3261 §12.1.1, §8.1.1.8)', () => {
    it('breaks: a 200 to an INVITE without Contact', () => {
      expect(
        new Exchange()
          .out(request(invite))
          .in(response(invite, 200, { sdp: sdp(), contact: null }))
          .rules(),
      ).toContain('contact-dialog');
    });
    it('breaks: an INVITE from the SBC whose Contact is not a SIP URI', () => {
      const r = request(sbcInvite);
      const text = r.text.replace(`Contact: ${SBC}`, 'Contact: <tel:+4930123>');
      const m = parseMessage(text);
      if (!m.ok) throw new Error('parse');
      expect(new Exchange().in({ message: m.message, text }).rules()).toContain('contact-dialog');
    });
    it('legal: a 180 without Contact; a 200 whose Contact has a display name and parameters', () => {
      const e = new Exchange()
        .out(request(invite))
        .in(response(invite, 180))
        .in(
          response(invite, 200, {
            sdp: sdp(),
            contact: '"SBC" <sip:sbc@127.0.0.1:5060;transport=udp>;expires=60',
          }),
        );
      expect(e.rules()).toEqual([]);
    });
  });

  describe('bye-2xx (RFC 3261 §15.1.2)', () => {
    /** Our call set up, then our BYE answered `status` by the SBC. */
    const byeAnswered = (status: number) => {
      const bye: Req = { method: 'BYE', cseq: 2, branch: 'z9hG4bKa3', toTag: 'sbc1' };
      return new Exchange()
        .out(request(invite))
        .in(response(invite, 200, { sdp: sdp({ sessId: '55' }) }))
        .out(request({ method: 'ACK', cseq: 1, branch: 'z9hG4bKa2', toTag: 'sbc1' }))
        .out(request(bye))
        .in(response(bye, status, { contact: null }));
    };
    it('breaks: our BYE answered 500, or 503', () => {
      expect(byeAnswered(500).rules()).toEqual(['bye-2xx']);
      expect(byeAnswered(503).rules()).toEqual(['bye-2xx']);
    });
    it('legal: 481 (BYEs crossed), 408 (a proxy whose next hop did not answer), 401 and 407 (a challenge)', () => {
      for (const status of [481, 408, 401, 407])
        expect(byeAnswered(status).rules(), String(status)).toEqual([]);
    });
  });

  describe('ack-2xx (RFC 3261 §13.2.2.4)', () => {
    it('breaks: our 200 to the SBC’s INVITE is never ACKed', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .wait(5000);
      expect(e.rules()).toEqual(['ack-2xx']);
    });
    it('legal: the 200 retransmitted, then ACKed; a 200 younger than the grace at the end is not judged', () => {
      const ok = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .wait(500)
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 10, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }))
        .wait(10_000);
      expect(ok.rules()).toEqual([]);
      const young = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .wait(100);
      expect(young.rules()).toEqual([]);
    });
    it('waived by a case whose own caller never ACKs: recorded, not judged', () => {
      const e = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .wait(5000);
      e.v.waive('ack-2xx', 'provider', 'our caller never ACKs');
      const checks = new Checks(systemClock);
      expect(recordSipRuleChecks(checks, e.v, 1_000_000 + 10_000)).toBe(true);
      const rec = checks.records.find((r) => r.name.startsWith('SIP rule ack-2xx'));
      expect(rec?.judged).toBe(false);
      expect(rec?.notJudged).toContain('our caller never ACKs');
      expect(checks.failed).toEqual([]);
      // Not waived on the other leg, or for another rule: judged as ever.
      const other = new Exchange()
        .in(request(sbcInvite))
        .out(response(sbcInvite, 200, { sdp: sdp() }))
        .wait(5000);
      other.v.waive('ack-2xx', 'oxo', 'our caller never ACKs');
      const c2 = new Checks(systemClock);
      expect(recordSipRuleChecks(c2, other.v, 1_000_000 + 10_000)).toBe(false);
      expect(c2.failed.map((r) => r.name)).toEqual(['SIP rule ack-2xx on the provider leg (SBC WAN side)']);
    });
  });

  describe('answer-to-offer (RFC 3264 §4, RFC 3261 §13.2.1)', () => {
    const reinvite: Req = {
      method: 'INVITE',
      cseq: 2,
      branch: 'z9hG4bKr',
      toTag: 'sbc1',
      sdp: sdp({ version: 2 }),
    };
    it('breaks: a re-INVITE offer answered by a 200 without SDP', () => {
      const e = new Exchange().out(request(reinvite)).in(response(reinvite, 200));
      expect(e.rules()).toEqual(['answer-to-offer']);
    });
    it('breaks: the SDP came only in an unreliable 183, the 200 has none', () => {
      const e = new Exchange()
        .out(request(invite))
        .in(response(invite, 183, { sdp: sdp() }))
        .in(response(invite, 200));
      expect(e.rules()).toEqual(['answer-to-offer']);
    });
    it('breaks: an UPDATE offer answered by a 200 without SDP', () => {
      const update: Req = {
        method: 'UPDATE',
        cseq: 3,
        branch: 'z9hG4bKu',
        toTag: 'sbc1',
        sdp: sdp({ version: 2 }),
      };
      expect(new Exchange().out(request(update)).in(response(update, 200)).rules()).toEqual([
        'answer-to-offer',
      ]);
    });
    it('legal: the answer in a reliable 183 (100rel), then a 200 without SDP', () => {
      const e = new Exchange()
        .out(request(invite))
        .in(response(invite, 183, { sdp: sdp(), headers: ['Require: 100rel', 'RSeq: 1'] }))
        .in(response(invite, 200));
      expect(e.rules()).toEqual([]);
    });
  });

  describe('offer-in-2xx (RFC 3261 §13.2.1)', () => {
    const empty: Req = { method: 'INVITE', cseq: 1, branch: 'z9hG4bKe' };
    it('breaks: an INVITE without SDP answered by a 200 without SDP', () => {
      expect(new Exchange().out(request(empty)).in(response(empty, 200)).rules()).toEqual(['offer-in-2xx']);
    });
    it('legal: the offer in a reliable 180, the 200 without SDP', () => {
      const e = new Exchange()
        .out(request(empty))
        .in(response(empty, 180, { sdp: sdp(), headers: ['Require: 100rel', 'RSeq: 7'] }))
        .in(response(empty, 200));
      expect(e.rules()).toEqual([]);
    });
  });

  describe('answer-in-ack (RFC 3261 §13.2.2.4)', () => {
    const empty: Req = { method: 'INVITE', cseq: 10, branch: 'z9hG4bKs1', by: 'sbc' };
    it('breaks: our 200 carried the offer, the SBC’s ACK has no SDP', () => {
      const e = new Exchange()
        .in(request(empty))
        .out(response(empty, 200, { sdp: sdp() }))
        .in(request({ method: 'ACK', cseq: 10, branch: 'z9hG4bKs2', by: 'sbc', toTag: 'us1' }));
      expect(e.rules()).toEqual(['answer-in-ack']);
    });
    it('legal: the ACK answers, with inactive to our sendrecv offer', () => {
      const e = new Exchange()
        .in(request(empty))
        .out(response(empty, 200, { sdp: sdp() }))
        .in(
          request({
            method: 'ACK',
            cseq: 10,
            branch: 'z9hG4bKs2',
            by: 'sbc',
            toTag: 'us1',
            sdp: sdp({ sessionDir: 'inactive', sessId: '77' }),
          }),
        );
      expect(e.rules()).toEqual([]);
    });
  });

  const audio = ['m=audio 4000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'];
  const video = ['m=video 5000 RTP/AVP 96', 'a=rtpmap:96 H264/90000'];
  const answered = (offer: string, answer: string) =>
    new Exchange()
      .out(request({ ...invite, sdp: offer }))
      .in(response(invite, 200, { sdp: answer }))
      .rules();

  describe('answer-m-lines (RFC 3264 §6)', () => {
    it('breaks: two m= lines offered, one answered', () => {
      expect(answered(sdp({ media: [audio, video] }), sdp({ media: [audio] }))).toEqual(['answer-m-lines']);
    });
    it('breaks: the m= lines answered in another order', () => {
      expect(answered(sdp({ media: [audio, video] }), sdp({ media: [video, audio] }))).toContain(
        'answer-m-lines',
      );
    });
    it('legal: the video stream rejected with port 0, its m= line kept', () => {
      expect(
        answered(sdp({ media: [audio, video] }), sdp({ media: [audio, ['m=video 0 RTP/AVP 96']] })),
      ).toEqual([]);
    });
  });

  describe('answer-direction (RFC 3264 §6.1)', () => {
    it('breaks: sendonly answered sendrecv', () => {
      expect(
        answered(sdp({ media: [[...audio, 'a=sendonly']] }), sdp({ media: [[...audio, 'a=sendrecv']] })),
      ).toEqual(['answer-direction']);
    });
    it('breaks: inactive (at session level) answered recvonly', () => {
      expect(
        answered(sdp({ sessionDir: 'inactive', media: [audio] }), sdp({ media: [[...audio, 'a=recvonly']] })),
      ).toEqual(['answer-direction']);
    });
    it('legal: sendonly answered inactive; recvonly answered sendonly', () => {
      expect(
        answered(sdp({ media: [[...audio, 'a=sendonly']] }), sdp({ media: [[...audio, 'a=inactive']] })),
      ).toEqual([]);
      expect(
        answered(sdp({ media: [[...audio, 'a=recvonly']] }), sdp({ media: [[...audio, 'a=sendonly']] })),
      ).toEqual([]);
    });
  });

  describe('answer-format (RFC 3264 §6.1)', () => {
    it('breaks: PCMA offered, the stream accepted with PCMU only', () => {
      expect(answered(sdp({ media: [audio] }), sdp({ media: [['m=audio 4000 RTP/AVP 0']] }))).toEqual([
        'answer-format',
      ]);
    });
    it('legal: the same codecs under other payload type numbers (PCMA as dynamic 97, telephone-event 100)', () => {
      const offer = sdp();
      const answer = sdp({
        media: [
          ['m=audio 4002 RTP/AVP 97 100', 'a=rtpmap:97 PCMA/8000', 'a=rtpmap:100 telephone-event/8000'],
        ],
      });
      expect(answered(offer, answer)).toEqual([]);
    });
  });

  describe('sdp-version and sdp-origin (RFC 3264 §8)', () => {
    /** The SBC's SDP in its 200, then in its re-INVITE on the same dialog. */
    const twoSdps = (first: string, second: string) =>
      new Exchange()
        .out(request(invite))
        .in(response(invite, 200, { sdp: first }))
        .out(request({ method: 'ACK', cseq: 1, branch: 'z9hG4bKa2', toTag: 'sbc1' }))
        .in(
          request({
            method: 'INVITE',
            cseq: 20,
            branch: 'z9hG4bKr',
            by: 'sbc',
            fromTag: 'sbc1',
            toTag: 'us1',
            sdp: second,
          }),
        )
        .rules();
    it('breaks: the SDP changes (hold) but the version stays', () => {
      expect(twoSdps(sdp({ version: 3 }), sdp({ version: 3, sessionDir: 'sendonly' }))).toEqual([
        'sdp-version',
      ]);
    });
    it('breaks: the version goes down', () => {
      expect(twoSdps(sdp({ version: 3 }), sdp({ version: 2, sessionDir: 'sendonly' }))).toEqual([
        'sdp-version',
      ]);
    });
    it('breaks: the session id of o= changes', () => {
      expect(twoSdps(sdp({ version: 3 }), sdp({ version: 4, sessId: '999' }))).toEqual(['sdp-origin']);
    });
    it('legal: the same SDP again with the same version; a change with a version jump of two; no change with a new version', () => {
      expect(twoSdps(sdp({ version: 3 }), sdp({ version: 3 }))).toEqual([]);
      expect(twoSdps(sdp({ version: 3 }), sdp({ version: 5, sessionDir: 'sendonly' }))).toEqual([]);
      // RFC 3264 §8 requires a new version for a change, but does not forbid one without a change.
      expect(twoSdps(sdp({ version: 3 }), sdp({ version: 4 }))).toEqual([]);
    });

    describe('the SDP of an unreliable provisional response is not the baseline (RFC 3261 §13.2.1)', () => {
      const ringback = sdp({ media: [[...audio101, 'a=sendonly']] });
      it('legal: a 183 without 100rel with a=sendonly ringback, then the 200 with a=sendrecv and the same version', () => {
        const e = new Exchange()
          .out(request(invite))
          .in(response(invite, 183, { sdp: ringback }))
          .in(response(invite, 200, { sdp: sdp() }));
        expect(e.rules()).toEqual([]);
      });
      it('breaks: the same in a reliable 183 (100rel), whose SDP is the answer the 200 must keep', () => {
        const e = new Exchange()
          .out(request(invite))
          .in(response(invite, 183, { sdp: ringback, headers: ['Require: 100rel', 'RSeq: 1'] }))
          .in(response(invite, 200, { sdp: sdp() }));
        expect(e.rules()).toEqual(['sdp-version']);
      });
    });

    describe('an offer of the SBC’s that our side refused is not the baseline (RFC 3261 §14.1)', () => {
      /** Our call: the SBC's 200 carries its v1 SDP. */
      const established = () =>
        new Exchange()
          .out(request(invite))
          .in(response(invite, 200, { sdp: sdp() }))
          .out(request({ method: 'ACK', cseq: 1, branch: 'z9hG4bKa2', toTag: 'sbc1' }));
      const sbcReq = (method: string, cseq: number, branch: string, body?: string): Req => ({
        method,
        cseq,
        branch,
        by: 'sbc',
        toTag: 'us1',
        sdp: body,
      });
      const hopAck = (r: Req) => request({ ...r, method: 'ACK', sdp: undefined });
      const moved = (version: number) =>
        sdp({ version, media: [['m=audio 4010 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000']] });

      /** Glare: the SBC's v2 re-INVITE and ours cross, each side answers 491, we try again. */
      const glare = (answer: string) => {
        const theirs = sbcReq('INVITE', 20, 'z9hG4bKg2', sdp({ version: 2, sessionDir: 'sendonly' }));
        const ours: Req = { method: 'INVITE', cseq: 2, branch: 'z9hG4bKg1', toTag: 'sbc1', sdp: sdp() };
        const retry: Req = { ...ours, cseq: 3, branch: 'z9hG4bKg3' };
        return established()
          .out(request(ours))
          .in(request(theirs))
          .out(response(theirs, 491))
          .in(response(ours, 491))
          .in(hopAck(theirs))
          .out(request({ method: 'ACK', cseq: 2, branch: 'z9hG4bKg1', toTag: 'sbc1' }))
          .out(request(retry))
          .in(response(retry, 200, { sdp: answer }))
          .rules();
      };
      it('legal: after our 491 to its v2 offer, its answer to our re-INVITE is another v2, or a v3', () => {
        expect(glare(moved(2))).toEqual([]);
        expect(glare(moved(3))).toEqual([]);
      });
      it('breaks: after our 491, an answer that changed the v1 SDP keeps version 1', () => {
        expect(glare(moved(1))).toEqual(['sdp-version']);
      });

      /** The SBC's v2 T.38 re-INVITE refused 488, then its next re-INVITE with `next`. */
      const t38Refused = (next: string) => {
        const t38 = sbcReq(
          'INVITE',
          20,
          'z9hG4bKt1',
          sdp({ version: 2, media: [['m=image 4000 udptl t38']] }),
        );
        return established()
          .in(request(t38))
          .out(response(t38, 488))
          .in(hopAck(t38))
          .in(request(sbcReq('INVITE', 21, 'z9hG4bKt2', next)))
          .rules();
      };
      it('legal: after our 488 to its v2 T.38 offer, the SBC re-sends its active v1 SDP unchanged', () => {
        expect(t38Refused(sdp())).toEqual([]);
      });
      it('breaks: after our 488, a changed SDP that keeps version 1', () => {
        expect(t38Refused(sdp({ sessionDir: 'sendonly' }))).toEqual(['sdp-version']);
      });

      it('legal: the same after our 491 to an UPDATE offer (RFC 3311 §5.2)', () => {
        const update = sbcReq('UPDATE', 20, 'z9hG4bKu1', sdp({ version: 2, sessionDir: 'sendonly' }));
        const e = established()
          .in(request(update))
          .out(response(update, 491))
          .in(request(sbcReq('INVITE', 21, 'z9hG4bKu2', sdp())));
        expect(e.rules()).toEqual([]);
      });

      /** Our re-INVITE without SDP; the SBC's 200 offers v2; our ACK with `answer` or without SDP. */
      const offerIn2xx = (answer: string | undefined) => {
        const empty: Req = { method: 'INVITE', cseq: 2, branch: 'z9hG4bKe1', toTag: 'sbc1' };
        return established()
          .out(request(empty))
          .in(response(empty, 200, { sdp: sdp({ version: 2, sessionDir: 'sendonly' }) }))
          .out(request({ method: 'ACK', cseq: 2, branch: 'z9hG4bKe2', toTag: 'sbc1', sdp: answer }))
          .in(request(sbcReq('INVITE', 20, 'z9hG4bKe3', sdp())))
          .rules();
      };
      it('legal: its offer in a 2xx that our ACK left unanswered is not the baseline either', () => {
        expect(offerIn2xx(undefined)).toEqual([]);
      });
      it('breaks: once our ACK answered that offer, its v1 SDP again is a version going down', () => {
        expect(offerIn2xx(sdp({ sessId: '55', sessionDir: 'recvonly' }))).toEqual(['sdp-version']);
      });
    });
  });

  it('judges only what the SBC sent: our own broken messages are context, never findings', () => {
    // Our actor sends a 200 without To tag and without Contact to the SBC's INVITE: not judged.
    const e = new Exchange()
      .in(request(sbcInvite))
      .out(response(sbcInvite, 200, { toTag: null, contact: null, sdp: sdp() }));
    expect(e.rules()).toEqual([]);
    expect(e.v.stats.context).toBe(1);
  });
});
