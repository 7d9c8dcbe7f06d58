/**
 * Replaces (RFC 3891) across the reference SBC. An attended transfer's REFER carries, in its
 * Refer-To, a Replaces naming the consultation dialog as the transferor sees it: its dialog
 * with the SBC on its own side. The SBC is a back-to-back user agent with a dialog (and a
 * Call-ID) of its own on each side, so the target, on the other side, never saw that dialog:
 * an INVITE with it would get 481 (RFC 3891 §3). Whether the SBC carries the REFER out itself
 * or passes it on, it must name its own dialog with the target instead: the other leg of the
 * same call. Pure: no I/O.
 */
import { type Dialog, formatReplaces, parseReplaces } from '../sip/index.ts';
import type { SbcSide } from './sbc-media-relay.ts';

/** One leg of an SBC call, as far as Replaces needs it. */
export interface ReplacesLeg {
  side: SbcSide;
  dialog: Dialog | undefined;
}

/** The call and its two legs that a Replaces value names on side `from` (see {@link replacesNamed}). */
export interface ReplacesMatch<C, L> {
  call: C;
  /** The leg on side `from` whose dialog the Replaces names. */
  named: L;
  /** The call's leg on the other side, if it has one. */
  other: L | undefined;
  /** The Replaces asked only for an early dialog (RFC 3891 §3, early-only). */
  earlyOnly: boolean;
}

/**
 * The SBC call with a leg on side `from` whose dialog has the Call-ID and tags that the
 * Replaces `value` (unescaped) names, in either order (RFC 3891 names them as the recipient
 * sees them), with that leg and the call's leg on the other side. Undefined when the value does
 * not parse or no call has that dialog.
 */
export function replacesNamed<L extends ReplacesLeg, C extends { legs: readonly L[] }>(
  value: string,
  from: SbcSide,
  calls: Iterable<C>,
): ReplacesMatch<C, L> | undefined {
  const r = parseReplaces(value);
  if (!r.ok) return undefined;
  const tags = [r.value.toTag, r.value.fromTag].sort().join('|');
  for (const call of calls) {
    const named = call.legs.find((l) => {
      const id = l.dialog?.id;
      return (
        l.side === from &&
        id !== undefined &&
        id.callId === r.value.callId &&
        [id.localTag, id.remoteTag].sort().join('|') === tags
      );
    });
    if (!named) continue;
    const other = call.legs.find((l) => l !== named && l.side !== from);
    return { call, named, other, earlyOnly: r.value.earlyOnly };
  }
  return undefined;
}

/**
 * The Replaces value (unescaped) that names, toward the UA on the other side, the dialog that
 * `value` names on side `from`: the other leg of the SBC call that has a leg on `from` with the
 * named Call-ID and tags (either order: RFC 3891 names them as the recipient sees them). The
 * tags are turned for the other side's UA, the recipient: to-tag is its own tag, from-tag the
 * SBC's (RFC 3891 §3). Undefined when no call of the SBC has that dialog, or when it is not
 * up on the other side.
 */
export function replacesAcross(
  value: string,
  from: SbcSide,
  calls: Iterable<{ legs: readonly ReplacesLeg[] }>,
): string | undefined {
  const m = replacesNamed(value, from, calls);
  const other = m?.other?.dialog?.id;
  if (!m || !other) return undefined;
  return formatReplaces({
    callId: other.callId,
    toTag: other.remoteTag,
    fromTag: other.localTag,
    earlyOnly: m.earlyOnly,
  });
}
