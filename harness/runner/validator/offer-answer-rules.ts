/**
 * RFC 3264 checks of one SDP answer against its offer, and of one SDP against the previous SDP
 * the same side sent in the session (§8). Pure functions: they return the rules broken, with a
 * detail sentence each, and know nothing of SIP transactions.
 */
import {
  effectiveDirection,
  type SdpDirection,
  type SdpFormat,
  type SdpMedia,
  type SdpSession,
} from '../../sip/index.ts';
import type { SipRuleId } from './sip-rules.ts';

export interface RuleBreach {
  rule: SipRuleId;
  detail: string;
}

/** The directions RFC 3264 §6.1 allows in an answer, by the offered direction. */
const ALLOWED_ANSWER: Record<SdpDirection, readonly SdpDirection[]> = {
  sendonly: ['recvonly', 'inactive'],
  recvonly: ['sendonly', 'inactive'],
  inactive: ['inactive'],
  sendrecv: ['sendrecv', 'sendonly', 'recvonly', 'inactive'],
};

/** Same media format: same encoding name, clock rate and channels when named; else same payload type. */
function sameFormat(a: SdpFormat, b: SdpFormat): boolean {
  if (a.name && b.name)
    return (
      a.name.toLowerCase() === b.name.toLowerCase() &&
      a.clockRate === b.clockRate &&
      (a.channels || 1) === (b.channels || 1)
    );
  return a.pt === b.pt;
}

function formatLabel(m: SdpMedia): string {
  const f = m.formats.map((x) => (x.name ? `${x.pt} ${x.name}/${x.clockRate}` : String(x.pt)));
  return [...f, ...m.otherFormats].join(', ') || 'none';
}

/** RFC 3264 §6 and §6.1: the answer's m= lines, directions and formats against the offer. */
export function checkAnswer(offer: SdpSession, answer: SdpSession): RuleBreach[] {
  const out: RuleBreach[] = [];
  if (offer.media.length !== answer.media.length) {
    out.push({
      rule: 'answer-m-lines',
      detail: `the offer has ${offer.media.length} m= line(s), the answer ${answer.media.length}`,
    });
    return out;
  }
  offer.media.forEach((om, i) => {
    const am = answer.media[i] as SdpMedia;
    const n = `m= line ${i + 1}`;
    if (om.type.toLowerCase() !== am.type.toLowerCase()) {
      out.push({
        rule: 'answer-m-lines',
        detail: `${n} is ${om.type} in the offer and ${am.type} in the answer`,
      });
      return;
    }
    if (am.port === 0 || om.port === 0) return; // rejected (or offered disabled): nothing negotiated
    const od = effectiveDirection(offer, om);
    const ad = effectiveDirection(answer, am);
    if (!ALLOWED_ANSWER[od].includes(ad))
      out.push({
        rule: 'answer-direction',
        detail: `${n} (${om.type}) is offered ${od} and answered ${ad}; RFC 3264 allows ${ALLOWED_ANSWER[od].join(' or ')}`,
      });
    const common =
      am.formats.some((af) => om.formats.some((of) => sameFormat(af, of))) ||
      am.otherFormats.some((x) => om.otherFormats.some((y) => x.toLowerCase() === y.toLowerCase()));
    if (!common)
      out.push({
        rule: 'answer-format',
        detail: `${n} (${om.type}) offers ${formatLabel(om)}; the answer accepts it (port ${am.port}) with ${formatLabel(am)}`,
      });
  });
  return out;
}

/** SDP text compared line by line, ignoring line-ending style and trailing blanks. */
function normalized(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .join('\n');
}

/** One SDP a side sent, as the session-version rule remembers it. */
export interface SentSdp {
  session: SdpSession;
  text: string;
}

/**
 * RFC 3264 §8: against the previous SDP the same side sent in the session, the o= line keeps all
 * but its version; an unchanged version means an identical SDP; a changed SDP has a higher
 * version. (A version rising by more than one is accepted: an SDP the validator did not see,
 * e.g. an offer rejected on another branch, may have used a number.)
 */
export function checkVersion(prev: SentSdp, next: SentSdp): RuleBreach[] {
  const out: RuleBreach[] = [];
  const a = prev.session.origin;
  const b = next.session.origin;
  const rest = (o: typeof a) => `${o.username} ${o.sessionId} IN ${o.addrType} ${o.address}`;
  if (rest(a) !== rest(b))
    out.push({ rule: 'sdp-origin', detail: `o= was "${rest(a)}" and became "${rest(b)}"` });
  let va: bigint;
  let vb: bigint;
  try {
    va = BigInt(a.sessionVersion);
    vb = BigInt(b.sessionVersion);
  } catch {
    return out;
  }
  const same = normalized(prev.text) === normalized(next.text);
  if (vb === va && !same)
    out.push({
      rule: 'sdp-version',
      detail: `the SDP changed but its o= version stayed ${b.sessionVersion}`,
    });
  else if (vb < va)
    out.push({
      rule: 'sdp-version',
      detail: `the o= version went down from ${a.sessionVersion} to ${b.sessionVersion}`,
    });
  return out;
}
