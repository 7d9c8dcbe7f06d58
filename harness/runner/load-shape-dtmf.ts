/**
 * The DTMF shapes of the load (`dtmf-rfc4733`, `dtmf-inband`, `dtmf-info`), after the plan's
 * DTMF cases (8-2-1 … 8-2-3): the caller sends {@link LOAD_DTMF_DIGITS} one digit at a time in
 * one mode, and the callee's leg must decode each digit exactly once, in order. The digits are
 * read with the decoders the plan uses: the media leg's RFC 4733 and inband (Goertzel) decoders
 * (`media.dtmfReceived`) and the SIP INFO bodies the call accepted (`infoReceived`). As in the
 * plan, a digit may arrive in another mode where the receiving leg calls for it (an SBC's
 * interworking: {@link dtmfModesAccepted}): as RFC 4733 events to a leg with telephone-event,
 * as SIP INFO or inband tones to one without. Then the audio check of every call runs.
 *
 * RFC 4733 digits need telephone-event on the sending leg only (as in the plan: the SBC's answer
 * to the sender must let it send events). A provider without telephone-events
 * (`provider.telephoneEvent: false`) cannot send them, so those calls run `out`
 * (load-call-shapes.ts).
 *
 * Who sends: the caller, as the plan's cases have the calling set send. The OXO sends SIP INFO
 * only when the profile says it can (`oxo.dtmf.info`); otherwise every `dtmf-info` call runs
 * direction `in` (the provider's phone sends), see load-call-shapes.ts. Inband digits go over
 * G.711 on both sides, as the plan's 8-2-3 runs them: the slot's provider phone and the call's
 * extension offer and answer G.711 only for them.
 */
import { type CallDtmfMode, type CallMediaPrefs, MediaLeg } from '../actors/index.ts';
import { dtmfModesAccepted } from './dtmf-conversion.ts';
import type { LoadShapeName } from './load-mix.ts';
import {
  type LoadParty,
  type LoadShape,
  type LoadShapeContext,
  loadAudioCheck,
  sleep,
  until,
} from './load-shape.ts';

/** The digits every DTMF call sends (the plan's IVR digits). */
export const LOAD_DTMF_DIGITS = '159#';
/** Tone or event length of each digit, ms (as the plan's cases send them). */
const DIGIT_MS = 120;
/** Longest wait for the digits to arrive after the last was sent, ms. */
const ARRIVAL_MS = 4000;
/** Wait after the last expected digit for late copies (a digit twice), ms. */
const SETTLE_MS = 500;

const HOW: Record<CallDtmfMode, string> = { rfc2833: 'RFC 4733', inband: 'inband', info: 'SIP INFO' };

/** One digit a receiver decoded. */
export interface LoadSeenDigit {
  digit: string;
  mode: CallDtmfMode;
}

/**
 * Judges the digits one leg decoded against those sent: undefined when each digit arrived
 * exactly once, in order, in one of the `accepted` modes; else one sentence naming the digits
 * sent and received (and how they came when a mode was not the one sent). Pure.
 */
export function judgeLoadDtmf(
  sent: string,
  seen: readonly LoadSeenDigit[],
  mode: CallDtmfMode,
  accepted: readonly CallDtmfMode[],
  from: string,
  to: string,
): string | undefined {
  const ok =
    seen.length === sent.length && seen.every((d, i) => d.digit === sent[i] && accepted.includes(d.mode));
  if (ok) return undefined;
  const got = seen.length > 0 ? seen.map((d) => d.digit).join('') : 'none';
  const modes = [...new Set(seen.map((d) => d.mode))];
  const how =
    seen.length > 0 && (modes.length > 1 || modes.some((m) => !accepted.includes(m)))
      ? ` (received ${modes.map((m) => `${seen.filter((d) => d.mode === m).length} as ${HOW[m]}`).join(', ')})`
      : '';
  return `DTMF ${HOW[mode]} from ${from} to ${to}: digits ${sent} sent, ${got} received${how}`;
}

/** RTP packets a leg received with a payload type it did not negotiate (a media leg's count; 0 otherwise). */
function unknownPts(p: LoadParty): number {
  return p.call.media instanceof MediaLeg ? p.call.media.details().unknownPayloadType : 0;
}

/**
 * The digits a leg decoded from index `from` of its media and INFO records. Each list stays in
 * the order its decoder reported the digits (an inband digit's start time is an estimate that a
 * stalled host can put out of order); the two are merged by time.
 */
function decoded(p: LoadParty, mediaFrom: number, infoFrom: number): LoadSeenDigit[] {
  const media = p.call.media.dtmfReceived
    .slice(mediaFrom)
    .map((d) => ({ digit: d.digit, mode: d.mode as CallDtmfMode, atMs: d.atMs }));
  const info = p.call.infoReceived
    .slice(infoFrom)
    .filter((d) => d.status < 300)
    .map((d) => ({ digit: d.digit, mode: 'info' as const, atMs: d.atMs }));
  const out: LoadSeenDigit[] = [];
  let i = 0;
  let j = 0;
  while (i < media.length || j < info.length) {
    const m = media[i];
    const n = info[j];
    const takeMedia = m !== undefined && (n === undefined || m.atMs <= n.atMs);
    const d = takeMedia ? m : n;
    if (takeMedia) i++;
    else j++;
    if (d) out.push({ digit: d.digit, mode: d.mode });
  }
  return out;
}

/** Sends the digits from the caller; returns the first problem, if any. */
async function sendDigits(ctx: LoadShapeContext, mode: CallDtmfMode): Promise<string | undefined> {
  const from = ctx.caller;
  const fromDesk = from === ctx.desk;
  let problem: string | undefined;
  for (const digit of LOAD_DTMF_DIGITS) {
    try {
      // The plan's cases: media modes through the extension (which refuses INFO, the OXO has
      // none), INFO on the call itself when the profile says the OXO sends it.
      const status =
        fromDesk && mode !== 'info'
          ? await ctx.ext.sendDtmf(from.call, digit, mode, DIGIT_MS)
          : await from.call.sendDtmf(digit, mode, DIGIT_MS);
      if (status >= 300 || status === 0)
        problem ??= `the INFO with digit ${digit} from ${from.name} was answered ${status}`;
    } catch (e) {
      problem ??= `${from.name} could not send digit ${digit}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return problem;
}

/** The G.711 codecs of `codecs`, in its order; both when it has none. */
function g711Of(codecs: CallMediaPrefs['codecs']): CallMediaPrefs['codecs'] {
  const g711 = codecs.filter((c) => c === 'PCMA' || c === 'PCMU');
  return g711.length > 0 ? g711 : ['PCMA', 'PCMU'];
}

function dtmfShape(name: LoadShapeName, mode: CallDtmfMode): LoadShape {
  return {
    name,
    ...(mode === 'inband'
      ? {
          before(phone) {
            const prefs = phone.prefs;
            phone.prefs = { ...prefs, codecs: g711Of(prefs.codecs) };
            return () => {
              phone.prefs = prefs;
            };
          },
          // As the plan's 8-2-3 has its set prefer G.711 (a tone through G.729 is not a tone):
          // for this call alone, the extension's other calls keep its own order.
          extensionPrefs(ext) {
            return { ...ext.prefs, codecs: g711Of(ext.prefs.codecs) };
          },
        }
      : {}),
    async run(ctx) {
      const { caller, callee, rec } = ctx;
      const label = `DTMF ${HOW[mode]} from ${caller.name} to ${callee.name}`;
      let canSend = true;
      if (mode === 'rfc2833' && caller.call.media.negotiated?.telephoneEventPt === undefined) {
        rec.failures.push(
          `${label}: no telephone-event negotiated on ${caller.name}'s leg: it cannot send DTMF as RFC 4733`,
        );
        canSend = false;
      }
      if (canSend) {
        const mediaFrom = callee.call.media.dtmfReceived.length;
        const infoFrom = callee.call.infoReceived.length;
        const unknownPtBefore = unknownPts(callee);
        const problem = await sendDigits(ctx, mode);
        if (problem) rec.failures.push(`${label}: ${problem}`);
        const n = LOAD_DTMF_DIGITS.length;
        await until(() => decoded(callee, mediaFrom, infoFrom).length >= n, ARRIVAL_MS);
        await sleep(SETTLE_MS);
        const accepted = dtmfModesAccepted(
          mode,
          callee.call.media.negotiated?.telephoneEventPt !== undefined,
        );
        const wrong = judgeLoadDtmf(
          LOAD_DTMF_DIGITS,
          decoded(callee, mediaFrom, infoFrom),
          mode,
          accepted,
          caller.name,
          callee.name,
        );
        // Why digits went missing, when RTP came that this leg never negotiated (telephone
        // events under another payload type: RFC 3264 §6.1, RFC 4733 §2.1).
        const unknownPt = unknownPts(callee) - unknownPtBefore;
        if (wrong)
          rec.failures.push(
            unknownPt > 0
              ? `${wrong}; ${unknownPt} RTP packet(s) arrived meanwhile with a payload type ${callee.name}'s leg did not negotiate (RFC 3264 §6.1)`
              : wrong,
          );
      }
      rec.audio = await loadAudioCheck(caller, callee, ctx.audioMs, ctx, rec.failures);
      return undefined;
    },
  };
}

export const dtmfRfc4733Shape = dtmfShape('dtmf-rfc4733', 'rfc2833');
export const dtmfInbandShape = dtmfShape('dtmf-inband', 'inband');
export const dtmfInfoShape = dtmfShape('dtmf-info', 'info');
