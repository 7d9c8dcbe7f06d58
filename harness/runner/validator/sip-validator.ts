/**
 * Watches every SIP message our actors (the provider, the OXO trunk) send and receive during a
 * case, and records where the SBC breaks a rule of {@link SIP_RULES}. Only what the SBC sent
 * (what our actors received) is judged; what our actors sent is the context it is judged
 * against (the request a response answers, the offer an answer answers). Bounded: at most
 * {@link MAX_MESSAGES} messages and {@link MAX_FINDINGS} findings per case.
 */
import {
  formatUri,
  isSipUri,
  parseMessage,
  parseSdp,
  parseUri,
  redactAuthorization,
  type SdpSession,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type TraceEvent,
  type Uri,
  uriEquals,
  type Via,
} from '../../sip/index.ts';
import { checkAnswer, checkVersion, type SentSdp } from './offer-answer-rules.ts';
import type { SipRuleId } from './sip-rules.ts';

/** One message as seen by one of our actors. */
export interface ObservedMessage {
  /** Our actor that sent or received it, e.g. "provider" or "oxo". */
  actor: string;
  /** 'in': the SBC sent it to our actor (judged); 'out': our actor sent it (context). */
  direction: 'in' | 'out';
  wallMs: number;
  message: SipMessage;
  /** The message as on the wire (digest secrets are redacted before it becomes evidence). */
  text: string;
}

export interface Finding {
  rule: SipRuleId;
  /** Which leg: the actor that received the offending message. */
  actor: string;
  detail: string;
  /** The offending message (redacted), or the one left unanswered. */
  message: string;
  wallMs: number;
}

export interface ValidatorStats {
  /** Messages from the SBC judged (retransmissions included). */
  judged: number;
  /** Messages of our actors taken as context. */
  context: number;
  /** SDP bodies from the SBC checked. */
  sdp: number;
  /** Messages not taken (over the bound, or unparsable). */
  skipped: number;
}

export const MAX_MESSAGES = 20_000;

/**
 * Final answers to a BYE other than 2xx that are accepted (rule bye-2xx): 481, the dialog is
 * gone (RFC 3261 §15.1.2; two BYEs crossed); 408, which §15.1.1 names with 481 as the answers
 * after which the caller takes the dialog as ended (a proxy's when its next hop did not
 * answer), the release checks judging the far leg; 401 and 407, a challenge (§22). A proxy's
 * 500 or 503 after its next hop failed is flagged: that next hop is always our own actor.
 */
const BYE_ANSWERS_ACCEPTED: ReadonlySet<number> = new Set([401, 407, 408, 481]);
export const MAX_FINDINGS = 50;
/**
 * A 2xx the SBC has not ACKed this long before the end of the case is reported: with T1 = 500 ms
 * our actor has retransmitted it three times by then (RFC 3261 §13.3.1.4). A 2xx younger than
 * this at the end of the case is not judged.
 */
export const ACK_GRACE_MS = 4000;

interface OurRequest {
  req: SipRequest;
  offer?: SdpSession | 'unparsable';
  /** An SDP arrived in a reliable provisional response (RFC 3262) or the 2xx. */
  reliableSdp: boolean;
  /** The first SDP answer received was checked against the offer. */
  answerChecked: boolean;
  responsesSeen: Set<string>;
}

interface TwoXx {
  cseq: number;
  toTag: string;
  wallMs: number;
  text: string;
  acked: boolean;
  /** Our 2xx carried an offer (the SBC's INVITE had none): the ACK must answer it. */
  offer?: SdpSession | 'unparsable';
}

/**
 * An SDP offer of the SBC's that our side has not yet accepted or refused, with the SDP the
 * sdp-version rule measured against before it: if the offer fails, that one is the baseline again.
 */
interface OpenOffer {
  /** The SBC's tag in the dialog (the key of {@link Leg.sbcSdp}). */
  tag: string;
  before: SentSdp | undefined;
  offer: SentSdp;
}

/** What the cseq-order rule remembers of the numbers of the SBC's requests in one dialog. */
interface SbcDialogSeq {
  /** The CSeq of the SBC's INVITE that created the dialog, when the SBC created it. */
  start?: number;
  /** The numbers of the SBC's requests in the dialog (ACK and CANCEL aside), with their method. */
  used: Map<number, string>;
  /** The highest CSeq of the SBC's INVITEs in the dialog. */
  lastInvite?: number;
  /** The highest CSeq of the SBC's requests of the INVITE usage in the dialog (ACK, CANCEL, NOTIFY and SUBSCRIBE aside). */
  highest?: number;
}

interface Leg {
  ours: Map<string, OurRequest>;
  /** Retransmission filter for the SBC's requests. */
  sbcRequests: Set<string>;
  /** Highest CSeq of the SBC's requests outside a dialog, by From tag. */
  sbcCseq: Map<string, number>;
  /** The CSeq numbers of the SBC's requests inside each dialog, by `<SBC tag>\n<our tag>`. */
  sbcDialogs: Map<string, SbcDialogSeq>;
  /** The SBC's INVITEs outside a dialog (`<From tag>\n<CSeq>`): our tag in a response makes a dialog. */
  sbcNewInvites: Set<string>;
  /** CSeq numbers of the SBC's INVITEs, by From tag, and whether each carried SDP. */
  sbcInvites: Map<string, Map<number, boolean>>;
  twoXx: TwoXx[];
  /** Record-Route URIs seen on this leg (either direction). */
  recordRoutes: string[];
  /** The SBC's INVITEs by branch: their Route URIs, and whether our side refused them (≥ 300). */
  sbcInviteTx: Map<string, { cseq: number; routes: string[]; refused: boolean }>;
  /** Last SDP the SBC sent, by its tag in the dialog: the baseline of the sdp-version rule. */
  sbcSdp: Map<string, SentSdp>;
  /**
   * The SBC's offers our side has not answered yet: in its INVITE or UPDATE
   * (`req\n<SBC tag>\n<method>\n<CSeq>`), or in its 2xx to our INVITE without SDP
   * (`2xx\n<SBC tag>\n<CSeq>`).
   */
  openOffers: Map<string, OpenOffer>;
}

function hasSdp(m: SipMessage): boolean {
  if (m.body.length === 0) return false;
  const ct = m.contentType;
  return ct === undefined || (ct.type === 'application' && ct.subtype === 'sdp');
}

function sdpOf(m: SipMessage): SdpSession | 'unparsable' {
  const r = parseSdp(m.bodyText);
  return r.ok ? r.value : 'unparsable';
}

function isReliable1xx(res: SipResponse): boolean {
  return (
    res.status > 100 &&
    res.status < 200 &&
    res.tokens('require').includes('100rel') &&
    res.get('rseq') !== undefined
  );
}

/**
 * Whether the SDP of a response of the SBC's takes part in offer/answer, and so in the
 * sdp-version rule: a final response's, or a reliable provisional's (RFC 3262). An unreliable
 * provisional may carry "that same exact answer" ahead of the 2xx (RFC 3261 §13.2.1, a MAY) or
 * a preview of it, e.g. a=sendonly for ringback before the 2xx's a=sendrecv with the same version;
 * the 2xx's SDP is the answer, and the provisional's is neither judged nor the baseline.
 */
function offerAnswerSdp(res: SipResponse): boolean {
  return res.status >= 200 || isReliable1xx(res);
}

function viaKey(v: Via): string {
  const params = v.params
    .filter(([k]) => !['received', 'rport'].includes(k.toLowerCase()))
    .map(([k, val]) => `${k.toLowerCase()}=${val ?? ''}`)
    .sort()
    .join(';');
  return `${v.transport.toUpperCase()} ${v.host.toLowerCase()}:${v.port ?? ''};${params}`;
}

function isSipContact(c: { uri: Uri }[]): boolean {
  return c.length === 1 && c[0] !== undefined && isSipUri(c[0].uri);
}

function sameUriText(a: string, b: string): boolean {
  const ua = parseUri(a);
  const ub = parseUri(b);
  return ua.ok && ub.ok ? uriEquals(ua.value, ub.value) : a.trim() === b.trim();
}

function routeList(uris: string[]): string {
  return uris.length > 0 ? `Route ${uris.map((u) => `<${u}>`).join(', ')}` : 'no Route';
}

function bareUri(nameAddrValue: string): string {
  const m = /<([^>]*)>/.exec(nameAddrValue);
  return ((m ? m[1] : nameAddrValue.split(';')[0]) ?? '').trim();
}

export class SipValidator {
  readonly findings: Finding[] = [];
  /**
   * Rules a case waived on one of our legs, with why (`rule\nactor` → reason): what the SBC does
   * there depends on what the case's own actor deliberately failed to do, and both ways are legal.
   */
  readonly waived = new Map<string, string>();

  /** Waives `rule` on `actor`'s leg for this case; its findings are recorded, not judged. */
  waive(rule: string, actor: string, reason: string): void {
    this.waived.set(`${rule}\n${actor}`, reason);
  }
  readonly stats: ValidatorStats = { judged: 0, context: 0, sdp: 0, skipped: 0 };
  private readonly legs = new Map<string, Leg>();
  private seen = 0;

  /** Takes one trace event of one of our actors (events of other actors are ignored). */
  observeTrace(t: TraceEvent, actor: string): void {
    let message = t.message;
    if (!message) {
      if (t.error) {
        this.stats.skipped++;
        return;
      }
      const r = parseMessage(t.data);
      if (!r.ok) {
        this.stats.skipped++;
        return;
      }
      message = r.message;
    }
    this.observe({
      actor,
      direction: t.direction,
      wallMs: t.wallTime,
      message,
      text: t.data.toString('utf8'),
    });
  }

  observe(o: ObservedMessage): void {
    if (++this.seen > MAX_MESSAGES) {
      this.stats.skipped++;
      return;
    }
    const callId = o.message.callId;
    if (!callId) {
      this.stats.skipped++;
      return;
    }
    const leg = this.leg(`${o.actor}\n${callId}`);
    for (const rr of o.message.getAll('record-route')) {
      const u = bareUri(rr);
      if (!leg.recordRoutes.some((x) => sameUriText(x, u))) leg.recordRoutes.push(u);
    }
    if (o.direction === 'out') {
      this.stats.context++;
      if (o.message.isRequest) this.ourRequest(leg, o.message);
      else this.ourResponse(leg, o.message, o);
      return;
    }
    this.stats.judged++;
    if (o.message.isRequest) this.sbcRequest(leg, o.message, o);
    else this.sbcResponse(leg, o.message, o);
  }

  /**
   * Ends the case at `nowMs`: reports 2xx the SBC left unacknowledged for `graceMs`
   * ({@link ACK_GRACE_MS} by default).
   */
  finish(nowMs: number, graceMs = ACK_GRACE_MS): Finding[] {
    for (const [key, leg] of this.legs) {
      const actor = key.split('\n')[0] ?? '';
      for (const t of leg.twoXx) {
        if (t.acked || nowMs - t.wallMs < graceMs) continue;
        t.acked = true; // report once
        this.find(
          'ack-2xx',
          { actor, wallMs: t.wallMs, text: t.text },
          `no ACK arrived for the 2xx to INVITE CSeq ${t.cseq} within ${(nowMs - t.wallMs) / 1000} s`,
        );
      }
    }
    return this.findings;
  }

  private leg(key: string): Leg {
    let l = this.legs.get(key);
    if (!l) {
      l = {
        ours: new Map(),
        sbcRequests: new Set(),
        sbcCseq: new Map(),
        sbcDialogs: new Map(),
        sbcNewInvites: new Set(),
        sbcInvites: new Map(),
        twoXx: [],
        recordRoutes: [],
        sbcInviteTx: new Map(),
        sbcSdp: new Map(),
        openOffers: new Map(),
      };
      this.legs.set(key, l);
    }
    return l;
  }

  private find(rule: SipRuleId, o: { actor: string; wallMs: number; text: string }, detail: string): void {
    if (this.findings.length >= MAX_FINDINGS) return;
    this.findings.push({
      rule,
      actor: o.actor,
      detail,
      message: redactAuthorization(o.text),
      wallMs: o.wallMs,
    });
  }

  // --- our side (context) ---

  private ourRequest(leg: Leg, req: SipRequest): void {
    const key = `${req.branch ?? ''}\n${req.method}`;
    if (leg.ours.has(key)) return; // retransmission
    if (req.method === 'ACK' && req.cseq) {
      // Our ACK to a 2xx of the SBC's that carried an offer: with SDP it answers the offer; an
      // ACK without one leaves it unanswered (RFC 3261 §13.2.2.4), and the session as it was.
      const offer = `2xx\n${req.toTag ?? ''}\n${req.cseq.seq}`;
      if (hasSdp(req)) leg.openOffers.delete(offer);
      else this.withdrawOffer(leg, offer);
    }
    const r: OurRequest = { req, reliableSdp: false, answerChecked: false, responsesSeen: new Set() };
    if ((req.method === 'INVITE' || req.method === 'UPDATE') && hasSdp(req)) r.offer = sdpOf(req);
    leg.ours.set(key, r);
  }

  private ourResponse(leg: Leg, res: SipResponse, o: ObservedMessage): void {
    const cseq = res.cseq;
    if (!cseq) return;
    const fromTag = res.fromTag ?? '';
    // Our tag in a response to the SBC's INVITE outside a dialog makes the dialog (early with a
    // 1xx), and the SBC's numbers in it start from that INVITE's (RFC 3261 §12.1.2).
    if (cseq.method === 'INVITE' && res.status > 100 && res.toTag !== undefined) {
      if (leg.sbcNewInvites.has(`${fromTag}\n${cseq.seq}`)) {
        const d = this.sbcDialog(leg, fromTag, res.toTag);
        d.start ??= cseq.seq;
      }
    }
    if (res.status < 200) return;
    if (cseq.method === 'INVITE' || cseq.method === 'UPDATE') {
      // Our final answer to an offer of the SBC's: a 2xx accepts it; a refusal (491 glare, 488,
      // 487 after a CANCEL …) leaves the session "as if no re-INVITE had been issued" (RFC 3261
      // §14.1), and an UPDATE's refused offer (RFC 3311 §5.2) likewise.
      const offer = `req\n${fromTag}\n${cseq.method}\n${cseq.seq}`;
      if (res.status >= 300) this.withdrawOffer(leg, offer);
      else leg.openOffers.delete(offer);
    }
    if (cseq.method === 'INVITE' && res.status >= 300) {
      const tx = leg.sbcInviteTx.get(res.branch ?? '');
      if (tx && tx.cseq === cseq.seq) tx.refused = true;
    }
    if (cseq.method !== 'INVITE' || res.status >= 300) return;
    const toTag = res.toTag ?? '';
    if (leg.twoXx.some((t) => t.cseq === cseq.seq && t.toTag === toTag)) return; // retransmission
    const inviteHadSdp = leg.sbcInvites.get(fromTag)?.get(cseq.seq);
    const t: TwoXx = { cseq: cseq.seq, toTag, wallMs: o.wallMs, text: o.text, acked: false };
    if (inviteHadSdp === false && hasSdp(res)) t.offer = sdpOf(res);
    leg.twoXx.push(t);
  }

  // --- the SBC's messages (judged) ---

  private sbcRequest(leg: Leg, req: SipRequest, o: ObservedMessage): void {
    const cseq = req.cseq;
    const rtx = `${req.method}\n${cseq?.seq}\n${req.branch ?? ''}`;
    if (leg.sbcRequests.has(rtx)) return; // retransmission: judged once
    leg.sbcRequests.add(rtx);
    const fromTag = req.fromTag ?? '';
    const inDialog = req.toTag !== undefined;

    if (cseq) {
      const invites = leg.sbcInvites.get(fromTag) ?? new Map<number, boolean>();
      leg.sbcInvites.set(fromTag, invites);
      if (req.method === 'ACK' || req.method === 'CANCEL') {
        if (!invites.has(cseq.seq))
          this.find(
            'cseq-order',
            o,
            `${req.method} with CSeq ${cseq.seq} matches no INVITE the SBC sent in this call (RFC 3261 §13.2.2.4, §9.1: it repeats the INVITE's number)`,
          );
      } else {
        if (req.toTag === undefined) {
          const prev = leg.sbcCseq.get(fromTag);
          if (prev !== undefined && cseq.seq < prev)
            this.find(
              'cseq-order',
              o,
              `${req.method} has CSeq ${cseq.seq} after a request with CSeq ${prev}`,
            );
          leg.sbcCseq.set(fromTag, Math.max(prev ?? 0, cseq.seq));
          if (req.method === 'INVITE') leg.sbcNewInvites.add(`${fromTag}\n${cseq.seq}`);
        } else this.inDialogCseq(leg, req, req.toTag, cseq.seq, o);
        if (req.method === 'INVITE') invites.set(cseq.seq, hasSdp(req));
      }
    }

    if (req.method === 'INVITE' && !inDialog) {
      const c = req.contacts;
      if (!isSipContact(c))
        this.find(
          'contact-dialog',
          o,
          `the INVITE carries ${c.length === 0 ? 'no Contact' : `Contact "${req.getAll('contact').join(', ')}"`}`,
        );
    }

    const routes = req.getAll('route').map(bareUri);
    if (req.method === 'INVITE' && cseq && req.branch)
      leg.sbcInviteTx.set(req.branch, { cseq: cseq.seq, routes, refused: false });

    // The ACK to our final response of 300 or above belongs to the INVITE's transaction (its
    // branch) and carries the INVITE's Route header fields (RFC 3261 §17.1.1.3), not the route
    // set of the dialog the response's To tag names: an SBC that pre-loads a Route (an outbound
    // proxy) sends it there again.
    const inviteTx = req.method === 'ACK' ? leg.sbcInviteTx.get(req.branch ?? '') : undefined;
    if (inviteTx?.refused && inviteTx.cseq === cseq?.seq) {
      // Each of the INVITE's Route entries, in its order; an entry more (a hop of the dialog the
      // response's To tag names) is not the rule's to flag.
      let at = 0;
      for (const u of routes) if (at < inviteTx.routes.length && sameUriText(u, inviteTx.routes[at]!)) at++;
      if (at < inviteTx.routes.length)
        this.find(
          'route-set',
          o,
          `the ACK to our final response of 300 or above to the INVITE with CSeq ${inviteTx.cseq} carries ${routeList(routes)}; the INVITE carried ${routeList(inviteTx.routes)} (RFC 3261 §17.1.1.3: the same Route header fields)`,
        );
    } else if (inDialog && req.method !== 'CANCEL') {
      for (const u of routes) {
        if (!leg.recordRoutes.some((x) => sameUriText(x, u)))
          this.find(
            'route-set',
            o,
            `${req.method} carries Route <${u}>, which no Record-Route of this dialog named (Record-Route seen: ${leg.recordRoutes.length > 0 ? leg.recordRoutes.join(', ') : 'none'})`,
          );
      }
    }

    if (req.method === 'ACK' && cseq) {
      const toTag = req.toTag ?? '';
      for (const t of leg.twoXx) {
        if (t.cseq !== cseq.seq || t.toTag !== toTag || t.acked) continue;
        t.acked = true;
        if (t.offer !== undefined) {
          if (!hasSdp(req))
            this.find(
              'answer-in-ack',
              o,
              `our 2xx to INVITE CSeq ${cseq.seq} carried an SDP offer; the ACK has no SDP`,
            );
          else this.answerCheck(leg, t.offer, req, o);
        }
      }
    }

    if (hasSdp(req)) {
      const sent = this.sdpSent(leg, fromTag, req, o);
      if (sent && cseq && (req.method === 'INVITE' || req.method === 'UPDATE'))
        leg.openOffers.set(`req\n${fromTag}\n${req.method}\n${cseq.seq}`, sent);
    }
  }

  private sbcDialog(leg: Leg, sbcTag: string, ourTag: string): SbcDialogSeq {
    const key = `${sbcTag}\n${ourTag}`;
    let d = leg.sbcDialogs.get(key);
    if (!d) {
      d = { used: new Map() };
      leg.sbcDialogs.set(key, d);
    }
    return d;
  }

  /**
   * RFC 3261 §12.2.1.1 numbers the SBC's requests in a dialog one by one as it sends them, but
   * datagrams may arrive in another order (§12.2.2 leaves that to the receiver): a request whose
   * first datagram was lost arrives, retransmitted, after the next one, e.g. NOTIFY 100 Trying
   * after NOTIFY 200 OK (RFC 3515), or within a burst of INFO. So a lower number is flagged only
   * where it cannot be such a late arrival: not above the INVITE that created the dialog (sent
   * before the dialog existed), a number an earlier request of the dialog already had, or an
   * INVITE below an earlier INVITE (§14.1: no INVITE starts while another is in progress), or a
   * BYE below any earlier request (the SBC sends nothing in the dialog after its BYE, so nothing
   * numbered above the BYE can have been sent before it).
   */
  private inDialogCseq(leg: Leg, req: SipRequest, ourTag: string, seq: number, o: ObservedMessage): void {
    const d = this.sbcDialog(leg, req.fromTag ?? '', ourTag);
    const earlier = d.used.get(seq);
    if (d.start !== undefined && seq <= d.start)
      this.find(
        'cseq-order',
        o,
        `${req.method} has CSeq ${seq}, not above the CSeq ${d.start} of the SBC's INVITE that created this dialog (RFC 3261 §12.1.2, §12.2.1.1)`,
      );
    else if (earlier !== undefined)
      this.find(
        'cseq-order',
        o,
        `${req.method} has CSeq ${seq}, the number of an earlier ${earlier} of the SBC's in this dialog (RFC 3261 §12.2.1.1: each new request takes the next number)`,
      );
    else if (req.method === 'INVITE' && d.lastInvite !== undefined && seq < d.lastInvite)
      this.find(
        'cseq-order',
        o,
        `INVITE has CSeq ${seq} after an INVITE with CSeq ${d.lastInvite} in this dialog (RFC 3261 §12.2.1.1; §14.1: no INVITE starts while another is in progress, so it cannot be an earlier one arriving late)`,
      );
    else if (req.method === 'BYE' && d.highest !== undefined && seq < d.highest)
      this.find(
        'cseq-order',
        o,
        `BYE has CSeq ${seq} after a request with CSeq ${d.highest} in this dialog (RFC 3261 §12.2.1.1; the SBC sends nothing in the dialog after its BYE, so it cannot be an earlier BYE arriving late)`,
      );
    d.used.set(seq, req.method);
    // The BYE ends the INVITE usage only: a subscription's NOTIFY may follow it (RFC 5057).
    if (req.method !== 'NOTIFY' && req.method !== 'SUBSCRIBE') d.highest = Math.max(d.highest ?? seq, seq);
    if (req.method === 'INVITE') d.lastInvite = Math.max(d.lastInvite ?? seq, seq);
  }

  private sbcResponse(leg: Leg, res: SipResponse, o: ObservedMessage): void {
    const cseq = res.cseq;
    const ours = leg.ours.get(`${res.branch ?? ''}\n${cseq?.method ?? ''}`);
    const rtx = `${res.status}\n${res.toTag ?? ''}\n${res.body.length}`;
    if (ours?.responsesSeen.has(rtx)) return; // retransmission: judged once
    ours?.responsesSeen.add(rtx);

    if (res.status !== 100 && res.toTag === undefined)
      this.find('to-tag', o, `${res.status} ${res.reason} to ${cseq?.method ?? 'a request'} has no To tag`);
    if (!ours) {
      if (hasSdp(res) && offerAnswerSdp(res)) this.sdpSent(leg, res.toTag ?? '', res, o);
      return;
    }
    const req = ours.req;
    this.mirrors(req, res, o);

    // RFC 3261 §15.1.2: a UAS answers a BYE in its dialog with a 2xx.
    if (req.method === 'BYE' && res.status >= 300 && !BYE_ANSWERS_ACCEPTED.has(res.status))
      this.find('bye-2xx', o, `${res.status} ${res.reason} to the BYE with CSeq ${cseq?.seq ?? '?'}`);

    const dialogCreating = req.method === 'INVITE' && req.toTag === undefined;
    if (dialogCreating && res.status >= 200 && res.status < 300) {
      const c = res.contacts;
      if (!isSipContact(c))
        this.find(
          'contact-dialog',
          o,
          `the ${res.status} to the INVITE carries ${c.length === 0 ? 'no Contact' : `Contact "${res.getAll('contact').join(', ')}"`}`,
        );
    }

    // The SBC's SDP in a 2xx to our INVITE without SDP (and no reliable provisional before it
    // carried one) is its offer; our ACK answers it.
    const offerIn2xx =
      req.method === 'INVITE' &&
      ours.offer === undefined &&
      !ours.reliableSdp &&
      res.status >= 200 &&
      res.status < 300 &&
      hasSdp(res);
    if ((req.method === 'INVITE' || req.method === 'UPDATE') && res.status > 100 && res.status < 300) {
      const sdp = hasSdp(res);
      const reliable = res.status >= 200 || (req.method === 'INVITE' && isReliable1xx(res));
      if (sdp && ours.offer !== undefined && !ours.answerChecked) {
        ours.answerChecked = true;
        this.answerCheck(leg, ours.offer, res, o);
      }
      if (sdp && reliable) ours.reliableSdp = true;
      if (res.status >= 200 && !ours.reliableSdp) {
        if (ours.offer !== undefined)
          this.find(
            'answer-to-offer',
            o,
            `the ${req.method}${req.toTag ? ' (in dialog)' : ''} with CSeq ${cseq?.seq} carried an SDP offer; its ${res.status} has no SDP answer and no reliable provisional response carried one`,
          );
        else if (req.method === 'INVITE')
          this.find(
            'offer-in-2xx',
            o,
            `the INVITE with CSeq ${cseq?.seq} carried no SDP; its ${res.status} has no SDP offer and no reliable provisional response carried one`,
          );
      }
    }

    if (hasSdp(res) && offerAnswerSdp(res)) {
      const sent = this.sdpSent(leg, res.toTag ?? '', res, o);
      if (sent && offerIn2xx) leg.openOffers.set(`2xx\n${res.toTag ?? ''}\n${cseq?.seq}`, sent);
    }
  }

  /** RFC 3261 §8.2.6.2: From, Call-ID, CSeq, To tag and Via as in the request. */
  private mirrors(req: SipRequest, res: SipResponse, o: ObservedMessage): void {
    const diffs: string[] = [];
    if (res.callId !== req.callId) diffs.push(`Call-ID "${res.callId}" instead of "${req.callId}"`);
    if (res.fromTag !== req.fromTag)
      diffs.push(`From tag "${res.fromTag ?? ''}" instead of "${req.fromTag ?? ''}"`);
    const rf = res.from?.uri;
    const qf = req.from?.uri;
    if (rf && qf && !uriEquals(rf, qf)) diffs.push(`From URI ${formatUri(rf)} instead of ${formatUri(qf)}`);
    if (res.cseq?.seq !== req.cseq?.seq || res.cseq?.method !== req.cseq?.method)
      diffs.push(
        `CSeq "${res.cseq?.seq} ${res.cseq?.method}" instead of "${req.cseq?.seq} ${req.cseq?.method}"`,
      );
    if (req.toTag !== undefined && res.toTag !== req.toTag)
      diffs.push(`To tag "${res.toTag ?? ''}" instead of the dialog's "${req.toTag}"`);
    if (diffs.length > 0)
      this.find('response-matches-request', o, `${res.status} to ${req.method}: ${diffs.join('; ')}`);

    const a = (req.vias ?? []).map(viaKey);
    const b = (res.vias ?? []).map(viaKey);
    if (a.join('\n') !== b.join('\n'))
      this.find(
        'response-via',
        o,
        `${res.status} to ${req.method} carries Via ${res.getAll('via').join(', ') || '(none)'}; the request had ${req.getAll('via').join(', ')}`,
      );
  }

  private answerCheck(
    leg: Leg,
    offer: SdpSession | 'unparsable',
    answerMsg: SipMessage,
    o: ObservedMessage,
  ): void {
    void leg;
    const answer = sdpOf(answerMsg);
    if (offer === 'unparsable' || answer === 'unparsable') return;
    for (const b of checkAnswer(offer, answer)) this.find(b.rule, o, b.detail);
  }

  /**
   * RFC 3264 §8 against the previous SDP the SBC sent under the same tag of this call, which
   * this one replaces as the baseline; returns it with the baseline it replaced.
   */
  private sdpSent(leg: Leg, tag: string, m: SipMessage, o: ObservedMessage): OpenOffer | undefined {
    const session = sdpOf(m);
    if (session === 'unparsable') return undefined;
    this.stats.sdp++;
    const next = { session, text: m.bodyText };
    const prev = leg.sbcSdp.get(tag);
    if (prev) for (const b of checkVersion(prev, next)) this.find(b.rule, o, b.detail);
    leg.sbcSdp.set(tag, next);
    return { tag, before: prev, offer: next };
  }

  /**
   * An offer of the SBC's that our side refused or left unanswered never became the session:
   * the SDP before it is the baseline again (unless a later SDP of the SBC's already replaced it).
   */
  private withdrawOffer(leg: Leg, key: string): void {
    const open = leg.openOffers.get(key);
    if (!open) return;
    leg.openOffers.delete(key);
    if (leg.sbcSdp.get(open.tag) !== open.offer) return;
    if (open.before) leg.sbcSdp.set(open.tag, open.before);
    else leg.sbcSdp.delete(open.tag);
  }
}
