/**
 * Section 8.3 of the eSBC plan: outgoing calls (cases 8-2-1 … 8-2-7). A deskphone (Premium
 * Deskphone 1, or the remote-worker deskphone behind the SBC router's VPN) calls the provider's
 * IVR with DTMF return through the trunk, sends digits in one mode, and checks that the IVR got
 * each digit exactly once in that mode and that the returned digits reached the deskphone the
 * same way; 8-2-4 calls an external number from the remote-worker deskphone and checks audio.
 */
import type { Call, CallDtmfMode, Extension, ExtensionId } from '../harness/actors/index.ts';
import { IVR_PROMPT_MS, Ivr, sameNumber } from '../harness/actors/index.ts';
import {
  type CaseContext,
  type CaseDefinition,
  dtmfModesAccepted,
  HarnessError,
  type Need,
  testCase,
} from '../harness/runner/index.ts';
import { callExternal, hangUp, until } from './call-helpers.ts';
import { hangUpChecked } from './incoming.ts';

/** The digits every DTMF case sends: the "menu" navigation of the IWR, one digit at a time. */
export const IVR_DIGITS = '159#';

/** How the IWR names each DTMF mode. */
export const DTMF_MODE_NAME: Record<CallDtmfMode, string> = {
  rfc2833: 'RFC 2833',
  inband: 'inband',
  info: 'SIP INFO',
};

/** One digit as a receiver saw it. */
export interface SeenDigit {
  digit: string;
  mode: CallDtmfMode;
}

/** The verdict on the digits one side received, with the sentence for a NOK. */
export interface DtmfJudgement {
  ok: boolean;
  observed: string;
  failure: string;
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

/**
 * Compares the digits `seen` by a receiver with the digits `sent` in `mode`: OK when each sent
 * digit arrived exactly once, in order, in the mode sent (or in one of `accepted`, the modes an
 * SBC may legitimately convert it to). The failure sentence names the first
 * symptom the way an engineer would (a digit arrived twice and how, a digit arrived in another
 * mode, digits missing). Pure; never throws.
 */
export function judgeDtmf(
  sent: string,
  seen: readonly SeenDigit[],
  mode: CallDtmfMode,
  from: string,
  to: string,
  accepted: readonly CallDtmfMode[] = [mode],
): DtmfJudgement {
  const how = DTMF_MODE_NAME[mode];
  const asSent = mode === 'inband' ? 'inband' : `as ${how}`;
  const observed =
    seen.length === 0 ? '(nothing)' : seen.map((d) => `${d.digit} (${DTMF_MODE_NAME[d.mode]})`).join(', ');
  const ok =
    seen.length === sent.length && seen.every((d, i) => d.digit === sent[i] && accepted.includes(d.mode));
  if (ok) return { ok, observed, failure: '' };
  if (seen.length === 0)
    return { ok, observed, failure: `DTMF ${sent} sent ${asSent} from ${from} never arrived at ${to}` };
  // A digit that arrived more often than it was sent: name how each copy came.
  for (const digit of new Set(sent)) {
    const want = [...sent].filter((d) => d === digit).length;
    const copies = seen.filter((d) => d.digit === digit);
    if (copies.length > want) {
      const modes = [...new Set(copies.map((d) => d.mode))];
      const countIn = (m: CallDtmfMode) => times(copies.filter((d) => d.mode === m).length);
      const detail =
        modes.length > 1
          ? `: ${modes.map((m) => (m === 'inband' ? `${countIn(m)} inband` : `${countIn(m)} as ${DTMF_MODE_NAME[m]}`)).join(', ')}`
          : ` as ${DTMF_MODE_NAME[modes[0]!]}`;
      return {
        ok,
        observed,
        failure: `DTMF ${digit} sent ${asSent} from ${from} arrived ${times(copies.length)} at ${to}${detail}`,
      };
    }
  }
  const other = seen.find((d) => !accepted.includes(d.mode));
  if (other)
    return {
      ok,
      observed,
      failure: `DTMF ${other.digit} sent ${asSent} from ${from} arrived at ${to} ${other.mode === 'inband' ? 'as inband tones' : `as ${DTMF_MODE_NAME[other.mode]}`}`,
    };
  const got = seen.map((d) => d.digit).join('');
  return { ok, observed, failure: `DTMF ${sent} sent ${asSent} from ${from} arrived at ${to} as "${got}"` };
}

/** Digits an extension's call received: media digits, and INFO digits it accepted. */
function digitsAt(call: Call): SeenDigit[] {
  const media = call.media.dtmfReceived.map((d) => ({ digit: d.digit, mode: d.mode, atMs: d.atMs }));
  const info = call.infoReceived
    .filter((d) => d.status < 300)
    .map((d) => ({ digit: d.digit, mode: 'info' as const, atMs: d.atMs }));
  return [...media, ...info].sort((a, b) => a.atMs - b.atMs).map(({ digit, mode }) => ({ digit, mode }));
}

/**
 * The DTMF-return IVR case: `extId` calls the IVR through the trunk, waits for the prompt,
 * sends {@link IVR_DIGITS} in `mode`, and checks the digits at the IVR and the returned ones
 * at the deskphone. Inband runs over G.711 end to end.
 */
async function dtmfToIvr(ctx: CaseContext, extId: ExtensionId, mode: CallDtmfMode): Promise<void> {
  const ivr = ctx.provider.phone('ivr');
  if (!(ivr instanceof Ivr)) throw new HarnessError('the provider has no DTMF-return IVR ("ivr")');
  const ext: Extension = ctx.oxo.extension(extId);
  if (mode === 'inband') ext.prefer(['PCMA', 'PCMU']);
  const c = await callExternal(ctx, ext, 'ivr');
  if (!c) return;
  const who = ext.name || ext.id;
  const how = DTMF_MODE_NAME[mode];
  if (mode === 'rfc2833') {
    const pt = c.desk.media.negotiated?.telephoneEventPt;
    const te = ctx.check.that(`telephone-event negotiated on the ${who} leg`, pt !== undefined, {
      expected: 'telephone-event in the SBC’s SDP answer to the OXO',
      observed: pt === undefined ? 'no telephone-event' : `telephone-event, payload type ${pt}`,
      failure: `The SBC’s SDP answer to the OXO has no telephone-event: ${who} cannot send DTMF as RFC 2833`,
    });
    if (!te) {
      await hangUp(c);
      return;
    }
  }
  // Listen to the menu prompt first, as a caller would (and so no tone overlaps the prompt).
  await new Promise((r) => setTimeout(r, IVR_PROMPT_MS + 200));
  let sendError: string | undefined;
  for (const digit of IVR_DIGITS) {
    try {
      // The extension refuses INFO (the OXO has none); a profile that declares INFO sends it on the call.
      const status =
        mode === 'info'
          ? await c.desk.sendDtmf(digit, 'info', 120)
          : await ext.sendDtmf(c.desk, digit, mode, 120);
      if (status >= 300 || status === 0) sendError ??= `the INFO with digit ${digit} was answered ${status}`;
    } catch (e) {
      sendError ??= (e as Error).message;
    }
  }
  ctx.check.that(`${who} sends DTMF ${IVR_DIGITS} ${how}`, sendError === undefined, {
    expected: `${IVR_DIGITS.length} digits sent ${how}`,
    observed: sendError ?? 'sent',
    failure: `${who} could not send DTMF ${how} to the IVR: ${sendError}`,
  });
  const n = IVR_DIGITS.length;
  // Returned digits come one by one after the IVR's echo delay; then a settle time for late extras.
  await until(() => ivr.received.filter((d) => d.callId === c.pstn.id).length >= n, 4000);
  // Nothing reached the IVR: nothing can come back, no need to wait for it.
  if (ivr.received.some((d) => d.callId === c.pstn.id)) await until(() => digitsAt(c.desk).length >= n, 5000);
  await new Promise((r) => setTimeout(r, 500));
  const atIvr = ivr.received
    .filter((d) => d.callId === c.pstn.id)
    .map(({ digit, mode: m }) => ({ digit, mode: m }));
  // The row's mode is how the OXO's set sends. The SBC may carry the digits on in another mode
  // where the receiving leg calls for it (dtmfModesAccepted, harness/runner/dtmf-conversion.ts);
  // a conversion is noted.
  const accepted = (leg: Call): CallDtmfMode[] =>
    dtmfModesAccepted(mode, leg.media.negotiated?.telephoneEventPt !== undefined);
  const toIvr = judgeDtmf(IVR_DIGITS, atIvr, mode, who, 'the IVR', accepted(c.pstn));
  if (toIvr.ok && atIvr.some((d) => d.mode !== mode))
    ctx.note(
      `The SBC converted the ${how} digits to ${DTMF_MODE_NAME[atIvr.find((d) => d.mode !== mode)!.mode]} toward the provider.`,
    );
  ctx.check.that(`DTMF ${how} from ${who} at the IVR`, toIvr.ok, {
    expected: `${IVR_DIGITS}, each digit once, in order (sent ${how}; any DTMF mode on arrival)`,
    observed: toIvr.observed,
    failure: toIvr.failure,
  });
  // The IVR returns each digit in the mode it arrived in.
  const returned = ivr.sent.find((d) => d.callId === c.pstn.id)?.mode ?? mode;
  const back = judgeDtmf(IVR_DIGITS, digitsAt(c.desk), returned, 'the IVR', who, [
    ...new Set([returned, ...accepted(c.desk)]),
  ]);
  const seenBack = digitsAt(c.desk);
  if (back.ok && seenBack.some((d) => d.mode !== returned))
    ctx.note(
      `The SBC converted the digits the IVR returned ${DTMF_MODE_NAME[returned]} to ${DTMF_MODE_NAME[seenBack.find((d) => d.mode !== returned)!.mode]} toward the OXO.`,
    );
  ctx.check.that(`DTMF ${how} returned by the IVR at ${who}`, back.ok, {
    expected: `${IVR_DIGITS}, each digit once, in order (any DTMF mode)`,
    observed: back.observed,
    failure: back.failure,
  });
  // After the digits: the codec of each leg is judged with what the SBC sent on it too.
  if (mode === 'inband') {
    ctx.check.codec(c.desk, ['PCMA', 'PCMU'], `the ${who} leg (inband DTMF needs G.711)`);
    ctx.check.codec(c.pstn, ['PCMA', 'PCMU'], 'the IVR leg (inband DTMF needs G.711)');
  }
  ctx.note(
    `Digits ${IVR_DIGITS} sent ${how}; codecs: deskphone leg ${c.desk.media.negotiated?.codec ?? 'none'}, IVR leg ${c.pstn.media.negotiated?.codec ?? 'none'}.`,
  );
  await hangUpChecked(ctx, { call: c.desk, name: who }, { call: c.pstn, name: 'the IVR' });
  await hangUp(c);
}

const dtmfSteps = (who: string, how: string, extra: string[] = []): string[] => [
  `${who} calls the provider's IVR with DTMF return (outside-line prefix + IVR number) through the trunk`,
  ...extra,
  `After the menu prompt, ${who} sends the digits ${IVR_DIGITS} ${how}`,
  `Expected: the IVR receives each digit once, in order (sent ${how}; the SBC may carry them on in another DTMF mode); the digits it returns reach ${who} once each`,
  'Hang up',
];

/** How the steps name each DTMF mode of the IWR's rows. */
const HOW_SENT: Record<CallDtmfMode, string> = {
  rfc2833: 'as RFC 2833 telephone-events',
  info: 'as SIP INFO (application/dtmf-relay)',
  inband: 'as inband tones',
};

/** The sets that call the IVR in this section, as the steps name them. */
const DTMF_CALLER = { deskphone1: 'Premium Deskphone 1', remote: 'the remote-worker deskphone' } as const;

/**
 * A DTMF row of the IWR: `ext` calls the IVR and sends {@link IVR_DIGITS} in `mode`. What the
 * row needs follows from it: SIP INFO needs a profile that declares it, the remote-worker
 * deskphone needs the VPN, and inband tones run over G.711 (the IVR's codecs too).
 */
function dtmfCase(row: {
  id: string;
  title: string;
  ext: keyof typeof DTMF_CALLER;
  mode: CallDtmfMode;
  /** A step of this row only, before the digits are sent. */
  step?: string;
}): CaseDefinition {
  const who = DTMF_CALLER[row.ext];
  const extra =
    row.mode === 'inband'
      ? [
          `${who[0]!.toUpperCase()}${who.slice(1)} and the IVR use G.711 only (inband tones need a waveform codec)`,
        ]
      : row.step
        ? [row.step]
        : [];
  const needs: Need[] = [
    ...(row.mode === 'info' ? (['dtmf:info'] as const) : []),
    ...(row.ext === 'remote' ? (['oxo:remote-worker'] as const) : []),
  ];
  return testCase({
    id: row.id,
    section: '8.3',
    title: row.title,
    steps: dtmfSteps(who, HOW_SENT[row.mode], extra),
    ...(needs.length > 0 ? { needs } : {}),
    ...(row.mode === 'inband' ? { lab: { providerCodecs: ['PCMA', 'PCMU'] } } : {}),
    run: (ctx) => dtmfToIvr(ctx, row.ext, row.mode),
  });
}

export const outgoingDtmfRfc2833 = dtmfCase({
  id: '8-2-1',
  title: 'Outgoing call with DTMF RFC 2833',
  ext: 'deskphone1',
  mode: 'rfc2833',
  step: 'Premium Deskphone 1 keeps its codec order (G.722 first)',
});

export const outgoingDtmfInfo = dtmfCase({
  id: '8-2-2',
  title: 'Outgoing call with DTMF Sip Info',
  ext: 'deskphone1',
  mode: 'info',
});

export const outgoingDtmfInband = dtmfCase({
  id: '8-2-3',
  title: 'Outgoing call with DTMF Inband',
  ext: 'deskphone1',
  mode: 'inband',
});

export const remoteCallsExternal = testCase({
  id: '8-2-4',
  section: '8.3',
  title: 'Call to External number from VPN connected Premium Deskphone',
  steps: [
    'The remote-worker deskphone (connected through the SBC router’s VPN) calls an external number (outside-line prefix + ExtNum)',
    'The external phone answers',
    'Expected: the call is established through the trunk and audio is good in both directions',
    'Hang up',
  ],
  needs: ['oxo:remote-worker'],
  async run(ctx) {
    const remote = ctx.oxo.extension('remote');
    const c = await callExternal(ctx, remote, 'extnum');
    if (!c) return;
    const ext = ctx.provider.phone('extnum');
    // The number may reach the provider in another form (national, 00…, E.164 with or without
    // "+": an SBC's number rewriting), compared as the provider routes. A carrier routes by the
    // Request-URI (RFC 3261 §8.1.1.1): a number there must be the dialled one; To counts only
    // when the Request-URI names no number (§8.1.1.2: To is the logical recipient).
    const ruri = c.pstn.requestUser ?? '';
    const to = c.pstn.invite?.to?.uri;
    const toUser = to && 'user' in to ? (to.user ?? '') : to && 'number' in to ? to.number : '';
    const plan = ctx.provider.numbering;
    const ruriIsNumber = /^\+?[0-9][0-9\-.()]*$/.test(ruri);
    const reached = ruriIsNumber ? sameNumber(ruri, ext.number, plan) : sameNumber(toUser, ext.number, plan);
    ctx.check.that('the call reaches the dialled external number', reached, {
      expected: `${ext.number} (in any number form, in the Request-URI, or in To when the Request-URI names no number)`,
      observed: `Request-URI ${ruri || '(no user)'}, To ${toUser || '(no user)'}`,
      failure: `The call from ${remote.name} arrived at the provider for ${ruri || 'no number'} (To ${toUser || 'no number'}) instead of ${ext.number}`,
    });
    const set = { call: c.desk, name: remote.name || 'the remote deskphone' };
    const far = { call: c.pstn, name: 'the external phone' };
    await ctx.check.audio(set, far);
    await hangUpChecked(ctx, set, far);
    await hangUp(c);
  },
});

export const remoteDtmfRfc2833 = dtmfCase({
  id: '8-2-5',
  title: 'Outgoing call with DTMF RFC 2833 with VPN Premium Deskphone',
  ext: 'remote',
  mode: 'rfc2833',
});

export const remoteDtmfInfo = dtmfCase({
  id: '8-2-6',
  title: 'Outgoing call with DTMF Sip Info with VPN Premium Deskphone',
  ext: 'remote',
  mode: 'info',
});

export const remoteDtmfInband = dtmfCase({
  id: '8-2-7',
  title: 'Outgoing call with DTMF Inband with VPN Premium Deskphone',
  ext: 'remote',
  mode: 'inband',
});

export const OUTGOING_CASES = [
  outgoingDtmfRfc2833,
  outgoingDtmfInfo,
  outgoingDtmfInband,
  remoteCallsExternal,
  remoteDtmfRfc2833,
  remoteDtmfInfo,
  remoteDtmfInband,
];
