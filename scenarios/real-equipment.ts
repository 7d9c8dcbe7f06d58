/**
 * The plan with real equipment on one side (profile oxo.kind or provider.kind: real;
 * docs/real-equipment.md). What the simulator of that side would play becomes an instruction to
 * the engineer, in the plan's words; what only a person can see or hear becomes a question,
 * recorded as a check judged by the engineer. The side the harness still simulates is measured
 * and judged as in an all-simulated run: its SIP (the validator), its codec, the digits its IVR
 * received, the audio that reached it, and that its leg was released.
 *
 * Each variant is attached to its case in {@link REAL_STEPS}; a case without one is INCOMPLETE
 * with a real side (the runner says so), never N/A.
 */
import {
  type Call,
  type CallDtmfMode,
  type ExtensionId,
  normaliseNumber,
  toneSource,
} from '../harness/actors/index.ts';
import { analyseActivity } from '../harness/media/analysis/index.ts';
import type { CaseContext, CaseDefinition } from '../harness/runner/index.ts';
import { releasedWithin } from './call-helpers.ts';
import { checkSbcOfferOrder, G723_DESK, G723_PROVIDER, G729_DESK, G729_PROVIDER } from './codecs.ts';
import { RELEASE_WAIT_MS } from './incoming.ts';
import { DTMF_MODE_NAME, IVR_DIGITS, judgeDtmf } from './outgoing.ts';
import { lineRegistration, sbcMediaAddresses } from './trunk.ts';

/** How the plan names the OXO's sets. */
const SET_NAMES: Record<ExtensionId, string> = {
  deskphone1: 'Premium Deskphone 1',
  deskphone2: 'Premium Deskphone 2',
  remote: 'the remote-worker deskphone',
  fxs1: 'the analogue set',
  attendant: 'the attendant set',
};

/** The name the engineer reads for one of the OXO's sets, with its number. */
export function setLabel(ctx: CaseContext, id: ExtensionId): string {
  const e = ctx.profile.oxo.extensions[id];
  const name = e?.name || SET_NAMES[id];
  return e ? `${name} (${e.number})` : name;
}

/** The name the engineer reads for a phone of the provider side. */
export function phoneLabel(ctx: CaseContext, id: string): string {
  const p = ctx.profile.provider.phones.find((ph) => ph.id === id);
  return p ? `your phone ${id}${p.name ? ` "${p.name}"` : ''} (${p.number})` : `your phone ${id}`;
}

/** What a digit string is on a keypad, spaced for reading ("1 5 9 #"). */
const keys = (digits: string) => [...digits].join(' ');

/** Waits (bounded) for a call to be established; true when it is. */
async function establishedWithin(call: Call, ms: number): Promise<boolean> {
  if (call.state === 'established') return true;
  let t: NodeJS.Timeout | undefined;
  const ok = await Promise.race([
    call.established(),
    new Promise<boolean>((r) => {
      t = setTimeout(() => r(false), ms);
    }),
  ]);
  if (t) clearTimeout(t);
  return ok;
}

/** Waits (bounded) for the next incoming call of one of our phones or extensions. */
async function incomingWithin(next: Promise<Call>, ms: number): Promise<Call | undefined> {
  let t: NodeJS.Timeout | undefined;
  const c = await Promise.race([
    next,
    new Promise<undefined>((r) => {
      t = setTimeout(() => r(undefined), ms);
    }),
  ]);
  if (t) clearTimeout(t);
  return c;
}

/** How long a call the engineer is told to make may take to arrive at our side. */
const ARRIVAL_MS = 30_000;

/**
 * Audio both ways between our leg and a set the engineer holds. Toward the real set the harness
 * plays a steady tone and the engineer judges it; from the real set the engineer speaks (or
 * holds the handset to a tone) and the harness measures what reached its leg: at least half a
 * second of sound above −45 dBFS, in RTP it could decode.
 */
export async function audioWithReal(
  ctx: CaseContext,
  ours: { call: Call; name: string },
  real: { side: 'oxo' | 'provider'; name: string },
  toneHz = 1000,
): Promise<boolean> {
  ours.call.media.play(toneSource(toneHz, 16000));
  const heard = await ctx.observe(
    real.side,
    `audio ${ours.name} → ${real.name}`,
    `Do you hear a steady tone on ${real.name}?`,
    `a steady ${toneHz} Hz tone from ${ours.name}, without gaps or distortion`,
  );
  ours.call.media.stopPlaying();
  ours.call.media.clearReceived();
  const before = ours.call.media.stats().received;
  const heardBefore = ours.call.media.audioReceivedMs?.();
  await ctx.instruct(
    real.side,
    `Speak into the handset of ${real.name} for about 3 seconds (or hold it to a tone), then confirm`,
  );
  if (ours.call.media.negotiated?.codec === 'G723') {
    // G.723.1 cannot be decoded here: its arrival is judged, its sound by the engineer's ear.
    // Judged as audio time (frames in the payloads), not packets: an SBC may put more than
    // one 30 ms frame in a packet (RFC 3551 §4.2, §4.5.3). 750 ms is 25 packets of one frame.
    const packets = ours.call.media.stats().received - before;
    const heardMs = ours.call.media.audioReceivedMs?.();
    const audioMs =
      heardMs !== undefined && heardBefore !== undefined ? Math.round(heardMs - heardBefore) : packets * 30;
    const arrived = ctx.check.that(`audio ${real.name} → ${ours.name}`, audioMs >= 750, {
      expected: `G.723.1 audio from ${real.name} at ${ours.name} while the engineer spoke (≥ 750 ms of frames)`,
      observed: `${audioMs} ms of frames in ${packets} packets (G.723.1 is not decoded by the harness: their sound is not measured)`,
      failure: `No G.723.1 audio from ${real.name} reached ${ours.name} while the engineer spoke`,
    });
    return heard && arrived;
  }
  const rec = ours.call.media.receivedAudio();
  const act = analyseActivity(rec.samples, rec.sampleRate, { silenceThresholdDbfs: -45 });
  const activeMs = act.activeFrames * act.frameMs;
  const st = ours.call.media.stats();
  const got = ctx.check.that(`audio ${real.name} → ${ours.name}`, activeMs >= 500, {
    expected: `sound from ${real.name} at ${ours.name} (≥ 0.5 s above −45 dBFS)`,
    observed: `${(activeMs / 1000).toFixed(1)} s of sound, ${st.received} packets received, ${st.lost} lost`,
    failure: `No audio from ${real.name} reached ${ours.name} while the engineer spoke`,
  });
  return heard && got;
}

/** The engineer hangs up the real set; our leg must be released (the SBC relays the BYE). */
async function realHangsUp(
  ctx: CaseContext,
  side: 'oxo' | 'provider',
  realName: string,
  ours: { call: Call; name: string },
): Promise<void> {
  await ctx.instruct(side, `Hang up on ${realName}`);
  const released = await releasedWithin(ours.call, RELEASE_WAIT_MS + 3000);
  ctx.check.that(`${ours.name} released when ${realName} hangs up`, released, {
    expected: `${ours.name}'s call ends (BYE relayed) within ${(RELEASE_WAIT_MS + 3000) / 1000} s of the engineer's confirmation`,
    observed: released ? 'released' : `still ${ours.call.state}`,
    failure: `When ${realName} hung up, ${ours.name} was not released: no BYE reached it`,
  });
  await ours.call.hangup().catch(() => undefined);
}

/** We hang up our leg; the engineer confirms the real set was released. */
async function oursHangsUp(
  ctx: CaseContext,
  side: 'oxo' | 'provider',
  realName: string,
  ours: { call: Call; name: string },
): Promise<void> {
  await ours.call.hangup().catch(() => undefined);
  await ctx.observe(
    side,
    `${realName} released when ${ours.name} hangs up`,
    `${ours.name} has hung up: is the call on ${realName} ended?`,
    `the call on ${realName} ends at once`,
  );
}

// ------------------------------------------------------------------ a real OXO

/** A PSTN phone of ours calls a set of the real OXO; the engineer answers it. */
async function pstnCallsRealSet(
  ctx: CaseContext,
  phoneId: string,
  ext: ExtensionId,
  beforeAnswer?: () => Promise<void>,
): Promise<Call | undefined> {
  const e = ctx.profile.oxo.extensions[ext];
  if (!e) return undefined;
  ctx.step(`calling ${setLabel(ctx, ext)} from ${phoneId}`);
  const pstn = await ctx.provider.phone(phoneId).call(e.did);
  await beforeAnswer?.();
  await ctx.instruct('oxo', `Answer the call ringing on ${setLabel(ctx, ext)}`);
  const up = await establishedWithin(pstn, 5000);
  if (
    !ctx.check.that(`${phoneId} to ${setLabel(ctx, ext)}: call established`, up, {
      expected: '200 OK, call established',
      observed: up ? 'established' : `ended with ${pstn.status ?? 'no final response'}`,
      failure: `The call from ${phoneId} to ${setLabel(ctx, ext)} was not established (final response ${pstn.status ?? 'none'})`,
    })
  )
    return undefined;
  return pstn;
}

/**
 * A codec row of 8.2 with real equipment on one side: the call in the row's direction, the
 * SBC's offer order toward our side where the SBC offers to us (the row's "SBC first codec"),
 * the codec of our leg among what both its ends offered, audio both ways, the release.
 */
async function codecRowReal(
  ctx: CaseContext,
  side: 'oxo' | 'provider',
  row: { ours: string[]; direction: 'incoming' | 'outgoing'; sbcFirst: string },
): Promise<void> {
  const desk = setLabel(ctx, 'deskphone1');
  const phone = phoneLabel(ctx, 'pstn1');
  let ours: { call: Call; name: string; leg: string } | undefined;
  if (side === 'oxo' && row.direction === 'incoming') {
    const pstn = await pstnCallsRealSet(ctx, 'pstn1', 'deskphone1');
    if (pstn) ours = { call: pstn, name: 'the PSTN phone', leg: 'the provider leg' };
  } else if (side === 'oxo') {
    const pstn = await realSetCallsPhone(ctx, 'deskphone1', 'pstn1');
    if (pstn) {
      checkSbcOfferOrder(ctx, pstn.invite?.bodyText, row.sbcFirst, 'the provider');
      ours = { call: pstn, name: 'the PSTN phone', leg: 'the provider leg' };
    }
  } else if (row.direction === 'incoming') {
    const call = await realPhoneCallsSet(ctx, 'pstn1', 'deskphone1');
    if (call) {
      checkSbcOfferOrder(ctx, call.invite?.bodyText, row.sbcFirst, 'the OXO');
      ours = { call, name: desk, leg: 'the deskphone leg' };
    }
  } else {
    const call = await setCallsRealPhone(ctx, 'deskphone1', 'pstn1');
    if (call) ours = { call, name: desk, leg: 'the deskphone leg' };
  }
  if (!ours) return;
  const realName = side === 'oxo' ? desk : phone;
  await audioWithReal(ctx, ours, { side, name: realName });
  // After the audio: the codec of our leg is judged with what the SBC sent on it as well.
  ctx.check.codec(ours.call, row.ours, ours.leg);
  ctx.note(
    `${ours.leg[4]?.toUpperCase()}${ours.leg.slice(5)} ${ours.call.media.negotiated?.codec ?? 'none'}; the other leg's codec is the real ${side === 'oxo' ? 'OXO' : 'provider'}'s (judged by the engineer's ear).`,
  );
  await realHangsUp(ctx, side, realName, ours);
}

/** A set of the real OXO calls one of our PSTN phones (which answers by itself). */
async function realSetCallsPhone(
  ctx: CaseContext,
  ext: ExtensionId,
  phoneId: string,
): Promise<Call | undefined> {
  const phone = ctx.provider.phone(phoneId);
  const arriving = phone.nextIncoming();
  const dial = `${ctx.profile.oxo.outgoingPrefix}${phone.number}`;
  await ctx.instruct('oxo', `On ${setLabel(ctx, ext)}, dial ${dial} (an external phone)`);
  const call = await incomingWithin(arriving, ARRIVAL_MS);
  if (
    !ctx.check.that(`${setLabel(ctx, ext)} to ${phoneId}: call arrives at the provider`, call !== undefined, {
      expected: `an INVITE for ${phone.number} at the provider within ${ARRIVAL_MS / 1000} s`,
      observed: call ? 'arrived' : 'nothing arrived',
      failure: `The call from ${setLabel(ctx, ext)} to ${phone.number} never reached the provider`,
    }) ||
    !call
  )
    return undefined;
  if (!(await ctx.check.established(call, `${phoneId} answering`))) return undefined;
  return call;
}

/** A set of our OXO calls a phone of the real provider's network; the engineer answers it. */
async function setCallsRealPhone(
  ctx: CaseContext,
  ext: ExtensionId,
  phoneId: string,
): Promise<Call | undefined> {
  const p = ctx.profile.provider.phones.find((ph) => ph.id === phoneId);
  if (!p) return undefined;
  const out = await ctx.oxo.extension(ext).call(`${ctx.profile.oxo.outgoingPrefix}${p.number}`);
  if (!('media' in out)) return undefined;
  await ctx.instruct('provider', `Answer the call ringing on ${phoneLabel(ctx, phoneId)}`);
  const up = await establishedWithin(out, 5000);
  if (
    !ctx.check.that(`${setLabel(ctx, ext)} to ${phoneId}: call established`, up, {
      expected: '200 OK, call established',
      observed: up ? 'established' : `ended with ${out.status ?? 'no final response'}`,
      failure: `The call from ${setLabel(ctx, ext)} to ${p.number} was not established (final response ${out.status ?? 'none'})`,
    })
  )
    return undefined;
  return out;
}

/** 8-3-2 with a real OXO: the display judged by the engineer, audio both ways. */
async function displayRealOxo(ctx: CaseContext): Promise<void> {
  const phone = ctx.provider.phone('pstn1');
  const number = normaliseNumber(phone.number, {
    countryCode: ctx.profile.oxo.countryCode,
    nationalPrefix: '0',
    internationalPrefix: '00',
  });
  const shown = phone.displayName ? `"${phone.displayName}" and ${number}` : number;
  const pstn = await pstnCallsRealSet(ctx, 'pstn1', 'deskphone1', async () => {
    await ctx.observe(
      'oxo',
      `display on ${setLabel(ctx, 'deskphone1')}`,
      `While it rings, does the display of ${setLabel(ctx, 'deskphone1')} show ${shown}?`,
      shown,
    );
  });
  if (!pstn) return;
  await audioWithReal(
    ctx,
    { call: pstn, name: 'the PSTN phone' },
    { side: 'oxo', name: setLabel(ctx, 'deskphone1') },
  );
  await oursHangsUp(ctx, 'oxo', setLabel(ctx, 'deskphone1'), { call: pstn, name: 'the PSTN phone' });
}

/** 8-2-x with a real OXO: the engineer calls our IVR and presses the digits; the IVR judges them. */
async function dtmfRealOxo(ctx: CaseContext, mode: CallDtmfMode): Promise<void> {
  const ivr = ctx.provider.phone('ivr');
  const desk = setLabel(ctx, 'deskphone1');
  const how = DTMF_MODE_NAME[mode];
  const arriving = ivr.nextIncoming();
  await ctx.instruct(
    'oxo',
    `Make sure the OXO sends DTMF ${how === 'inband' ? 'inband (as tones in the audio)' : `as ${how}`} on the trunk, then on ${desk} dial ${ctx.profile.oxo.outgoingPrefix}${ctx.profile.provider.ivrNumber} (the test IVR)`,
  );
  const call = await incomingWithin(arriving, ARRIVAL_MS);
  if (
    !ctx.check.that(`${desk} to the IVR: call arrives at the provider`, call !== undefined, {
      expected: `an INVITE for ${ctx.profile.provider.ivrNumber} at the provider within ${ARRIVAL_MS / 1000} s`,
      observed: call ? 'arrived' : 'nothing arrived',
      failure: `The call from ${desk} to the IVR never reached the provider`,
    }) ||
    !call
  )
    return;
  if (!(await ctx.check.established(call, `${desk} to the IVR`))) return;
  await ctx.instruct(
    'oxo',
    `After the IVR's prompt tone, press ${keys(IVR_DIGITS)} on ${desk}, one key at a time`,
  );
  // Digits still in flight when the engineer confirms: a short, bounded settle.
  for (let i = 0; i < 40 && ivrDigits(ivr, call).length < IVR_DIGITS.length; i++)
    await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  const seen = ivrDigits(ivr, call);
  const j = judgeDtmf(IVR_DIGITS, seen, mode, desk, 'the IVR');
  ctx.check.that(`DTMF ${how} from ${desk} at the IVR`, j.ok, {
    expected: `${IVR_DIGITS} (${how}), each digit once`,
    observed: j.observed,
    failure: j.failure,
  });
  // After the digits: the codec is judged with what the SBC sent on the leg as well.
  if (mode === 'inband') ctx.check.codec(call, ['PCMA', 'PCMU'], 'the IVR leg (inband DTMF needs G.711)');
  await ctx.observe(
    'oxo',
    `DTMF returned by the IVR at ${desk}`,
    `Did ${desk} hear the IVR send the ${IVR_DIGITS.length} digits back (${IVR_DIGITS.length} short DTMF tones)?`,
    `${IVR_DIGITS.length} DTMF tones, each once`,
  );
  await realHangsUp(ctx, 'oxo', desk, { call, name: 'the IVR' });
}

/** Digits the IVR received on one call. */
function ivrDigits(ivr: unknown, call: Call): Array<{ digit: string; mode: CallDtmfMode }> {
  const received =
    (ivr as { received?: Array<{ callId: string; digit: string; mode: CallDtmfMode }> }).received ?? [];
  return received.filter((d) => d.callId === call.id).map(({ digit, mode }) => ({ digit, mode }));
}

/**
 * 8-4-1 with a real OXO: the engineer holds and resumes. On hold, the PSTN phone must hear the
 * OXO's music on hold (any sound: the real OXO's music is not ours to know) or be told of the
 * hold by a re-INVITE (a=sendonly/inactive): both are legal ways of an SBC (RFC 3264 §8.4,
 * docs/tolerances.md). After resume, audio both ways.
 */
async function holdRealOxo(ctx: CaseContext): Promise<void> {
  const desk = setLabel(ctx, 'deskphone1');
  const pstn = await pstnCallsRealSet(ctx, 'pstn1', 'deskphone1');
  if (!pstn) return;
  const ours = { call: pstn, name: 'the PSTN phone' };
  await audioWithReal(ctx, ours, { side: 'oxo', name: desk });
  await ctx.instruct('oxo', `Put the call on hold on ${desk}`);
  const unmute = ctx.expectSilence(pstn, 'held by the engineer');
  pstn.media.clearReceived();
  await new Promise((r) => setTimeout(r, 3000));
  const rec = pstn.media.receivedAudio();
  const act = analyseActivity(rec.samples, rec.sampleRate, { silenceThresholdDbfs: -45 });
  const heldBySdp = pstn.remoteDirection === 'sendonly' || pstn.remoteDirection === 'inactive';
  ctx.check.that('the PSTN phone is told of the hold or hears music on hold', heldBySdp || act.audioPresent, {
    expected: 'music on hold (sound) at the PSTN phone, or a re-INVITE with a=sendonly / inactive',
    observed: `${heldBySdp ? `re-INVITE ${pstn.remoteDirection}` : 'no hold re-INVITE'}, ${Math.round(100 * act.activeFraction)} % of 20 ms frames with sound`,
    failure: `While ${desk} held the call, the PSTN phone heard silence and was not told of the hold`,
  });
  await ctx.instruct('oxo', `Resume the call on ${desk}`);
  unmute();
  await audioWithReal(ctx, ours, { side: 'oxo', name: desk }, 1500);
  await realHangsUp(ctx, 'oxo', desk, ours);
}

/** T-2 with a real OXO: the registration as the SBC and the engineer see it, and a call through it. */
async function trunkRegistrationRealOxo(ctx: CaseContext): Promise<void> {
  const user = ctx.profile.oxo.trunk.user;
  await ctx.observe(
    'oxo',
    'the OXO shows its trunk to the SBC registered',
    `Does the OXO's SIP trunk toward the SBC (user ${user}) show as registered?`,
    'registered',
  );
  if (ctx.sbc) {
    const live = ctx.sbc.registrar.current();
    ctx.check.that('the SBC holds the OXO trunk’s binding', live.length >= 1, {
      expected: `a binding for ${user}`,
      observed: live.length > 0 ? live.map((b) => `${b.aor} → ${b.contact}`).join('; ') : 'no binding',
      failure: 'The SBC holds no binding for the OXO trunk',
    });
  }
  const pstn = await pstnCallsRealSet(ctx, 'pstn1', 'deskphone1');
  if (pstn)
    await oursHangsUp(ctx, 'oxo', setLabel(ctx, 'deskphone1'), { call: pstn, name: 'the PSTN phone' });
}

/**
 * T-5 with a real OXO: the provider leg's media is anchored by the SBC (its SDP and its RTP
 * point at the SBC's WAN address), audio both ways. The OXO side of the anchoring is the
 * engineer's to see in the OXO's trace; the harness judges the side it holds.
 */
async function anchoringRealOxo(ctx: CaseContext): Promise<void> {
  const pstn = await pstnCallsRealSet(ctx, 'pstn1', 'deskphone1');
  if (!pstn) return;
  const wan = sbcMediaAddresses(ctx, 'wan');
  const r = pstn.media.negotiated?.remote;
  ctx.check.that('the provider’s RTP goes to the SBC', r !== undefined && wan.includes(r.address), {
    expected: wan.join(' or '),
    observed: r ? `${r.address}:${r.port}` : 'not negotiated',
    failure: `The provider sends its RTP to ${r?.address ?? 'nowhere'}, not to the SBC’s WAN address (media not anchored)`,
  });
  await audioWithReal(
    ctx,
    { call: pstn, name: 'the PSTN phone' },
    { side: 'oxo', name: setLabel(ctx, 'deskphone1') },
  );
  const st = pstn.media.stats();
  ctx.check.that('no packet lost toward the PSTN phone', st.lost === 0, {
    expected: '0 lost',
    observed: `${st.received} received, ${st.lost} lost`,
    failure: `${st.lost} of ${st.received + st.lost} RTP packets toward the PSTN phone were lost`,
  });
  await realHangsUp(ctx, 'oxo', setLabel(ctx, 'deskphone1'), { call: pstn, name: 'the PSTN phone' });
}

/**
 * 8-3-1 with a real OXO: the long call. The PSTN phone talks the whole time; RTP from the OXO
 * side must keep arriving (the call invariants also judge that no gap appears), and the call is
 * still up at the end, with audio both ways.
 */
async function longCallRealOxo(ctx: CaseContext): Promise<void> {
  const desk = setLabel(ctx, 'deskphone1');
  const pstn = await pstnCallsRealSet(ctx, 'pstn1', 'deskphone1');
  if (!pstn) return;
  const ours = { call: pstn, name: 'the PSTN phone' };
  await audioWithReal(ctx, ours, { side: 'oxo', name: desk });
  pstn.media.play(toneSource(500, 16000));
  const before = pstn.media.stats().received;
  await ctx.wait(300_000, 35_000, 'the 5-minute call');
  pstn.media.stopPlaying();
  const packets = pstn.media.stats().received - before;
  const up = pstn.state === 'established';
  ctx.check.that('the call is still up at the end', up, {
    expected: 'the PSTN leg established',
    observed: `PSTN leg ${pstn.state}, ${packets} RTP packets from the OXO side meanwhile`,
    failure: `The call was cut before the end (PSTN leg ${pstn.state})`,
  });
  if (!up) return;
  await audioWithReal(ctx, ours, { side: 'oxo', name: `${desk} at the end of the call` }, 1500);
  await realHangsUp(ctx, 'oxo', desk, ours);
}

// ------------------------------------------------------------- a real provider

/** The engineer calls a set of our OXO from a phone of the real provider's network. */
async function realPhoneCallsSet(
  ctx: CaseContext,
  phoneId: string,
  ext: ExtensionId,
): Promise<Call | undefined> {
  const e = ctx.profile.oxo.extensions[ext];
  if (!e) return undefined;
  const set = ctx.oxo.extension(ext);
  const arriving = set.nextIncoming();
  await ctx.instruct(
    'provider',
    `From ${phoneLabel(ctx, phoneId)}, call ${e.did} (the DID of ${setLabel(ctx, ext)})`,
  );
  const desk = await incomingWithin(arriving, ARRIVAL_MS);
  if (
    !ctx.check.that(`call from ${phoneId} arrives at ${setLabel(ctx, ext)}`, desk !== undefined, {
      expected: `an INVITE for ${e.did} at the OXO within ${ARRIVAL_MS / 1000} s`,
      observed: desk ? 'arrived' : 'nothing arrived',
      failure: `The call from ${phoneId} to ${e.did} never reached the OXO`,
    }) ||
    !desk
  )
    return undefined;
  if (!(await ctx.check.established(desk, `${setLabel(ctx, ext)} answering`))) return undefined;
  return desk;
}

/**
 * 8-2-x with a real provider: our deskphone calls the provider's IVR number (a real IVR or
 * voicemail chosen by the engineer) and sends the digits; the engineer judges the IVR's reaction;
 * digits the IVR sends back, if it does, are judged at the deskphone.
 */
async function dtmfRealProvider(ctx: CaseContext, mode: CallDtmfMode): Promise<void> {
  const ext = ctx.oxo.extension('deskphone1');
  const name = setLabel(ctx, 'deskphone1');
  const how = DTMF_MODE_NAME[mode];
  if (mode === 'inband') ext.prefer(['PCMA', 'PCMU']);
  const out = await ext.call(`${ctx.profile.oxo.outgoingPrefix}${ctx.profile.provider.ivrNumber}`);
  if (!('media' in out)) return;
  if (!(await ctx.check.established(out, `${name} to the IVR ${ctx.profile.provider.ivrNumber}`))) return;
  await new Promise((r) => setTimeout(r, 1500));
  for (const digit of IVR_DIGITS) await ext.sendDtmf(out, digit, mode, 120);
  await ctx.observe(
    'provider',
    `DTMF ${how} from ${name} at the IVR`,
    `Did the IVR at ${ctx.profile.provider.ivrNumber} react to the digits ${keys(IVR_DIGITS)} (each once)?`,
    `${IVR_DIGITS} recognised, each digit once`,
  );
  // After the digits: the codec is judged with what the SBC sent on the leg as well.
  if (mode === 'inband')
    ctx.check.codec(out, ['PCMA', 'PCMU'], 'the deskphone leg (inband DTMF needs G.711)');
  await out.hangup().catch(() => undefined);
}

/** The engineer's steps of each case that has them, per real side. */
export const REAL_STEPS: Record<string, NonNullable<CaseDefinition['real']>> = {
  '8-1-1': codecRow(['PCMA', 'PCMU', 'G722', 'G729'], ['G722', 'PCMA', 'PCMU', 'G729'], 'incoming', 'PCMA'),
  '8-1-2': codecRow(G729_PROVIDER, G729_DESK, 'incoming', 'G729'),
  '8-1-3': codecRow(G723_PROVIDER, G723_DESK, 'incoming', 'G723'),
  '8-1-4': codecRow(G723_PROVIDER, G723_DESK, 'outgoing', 'G723'),
  '8-2-1': { oxo: (ctx) => dtmfRealOxo(ctx, 'rfc2833'), provider: (ctx) => dtmfRealProvider(ctx, 'rfc2833') },
  '8-2-3': { oxo: (ctx) => dtmfRealOxo(ctx, 'inband'), provider: (ctx) => dtmfRealProvider(ctx, 'inband') },
  '8-3-2': { oxo: displayRealOxo },
  '8-3-1': { oxo: longCallRealOxo },
  '8-4-1': { oxo: holdRealOxo },
  'T-2': { oxo: trunkRegistrationRealOxo },
  // The SBC's line at the provider: nothing of the OXO in it, so the case runs as it is.
  'T-3': { oxo: (ctx) => lineRegistration.run(ctx) },
  'T-5': { oxo: anchoringRealOxo },
};

/** A codec row's engineer steps for either real side: our leg's allowed codecs are our side's list. */
function codecRow(
  provider: string[],
  desk: string[],
  direction: 'incoming' | 'outgoing',
  sbcFirst: string,
): NonNullable<CaseDefinition['real']> {
  return {
    oxo: (ctx) => codecRowReal(ctx, 'oxo', { ours: provider, direction, sbcFirst }),
    provider: (ctx) => codecRowReal(ctx, 'provider', { ours: desk, direction, sbcFirst }),
  };
}

/** A case with its engineer's steps attached, when it has them. */
export function withRealSteps(c: CaseDefinition): CaseDefinition {
  const real = REAL_STEPS[c.id];
  return real ? { ...c, real: { ...c.real, ...real } } : c;
}
