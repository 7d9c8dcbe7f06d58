/**
 * Which DTMF modes a receiver may get a digit in, one rule for the plan's DTMF cases (8-2-x) and
 * the load's DTMF shapes. The SBC may carry a digit on in another mode (its DTMF interworking),
 * where the receiving leg calls for it:
 * - as RFC 4733 events to a leg that negotiated telephone-event (inband tones detected into
 *   events, RFC 4733 §1; SIP INFO as events);
 * - as SIP INFO or inband tones to a leg that negotiated none (the plan's own setup: LANCOM's
 *   "Fallback on SIP Info", named in the comments of 8-2-1 and 8-2-3).
 * The mode sent is always accepted. The plan asks that DTMF works: each digit once, in order.
 */
import type { CallDtmfMode } from '../actors/index.ts';

/** The modes a digit sent in `sent` may arrive in at a leg that did (or did not) negotiate telephone-event. */
export function dtmfModesAccepted(sent: CallDtmfMode, receiverHasTelephoneEvent: boolean): CallDtmfMode[] {
  return receiverHasTelephoneEvent
    ? [...new Set<CallDtmfMode>([sent, 'rfc2833'])]
    : [...new Set<CallDtmfMode>([sent, 'info', 'inband'])];
}
