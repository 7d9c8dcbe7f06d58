/**
 * Section 8.5 of the eSBC plan: features during a call (cases 8-4-1 … 8-4-3): hold and resume,
 * switching between an external and an internal call, and the three-party conference started
 * from an OXO set. What crosses the SBC is checked on both sides (the hold re-INVITE's
 * direction at the provider, the music on hold the PSTN party hears, audio both ways after
 * resuming, the SBC's call record); what stays inside the PBX (the internal call, the sets'
 * handsets in the conference) is played through the simulated OXO's handsets.
 */
import {
  type Call,
  type CallAudioSource,
  type DisplayLine,
  detectMoh,
  displayFor,
  type Extension,
  type InternalCall,
  normaliseNumber,
  type SbcCallRecord,
  toneSource,
} from '../harness/actors/index.ts';
import { goertzelAmplitude } from '../harness/media/analysis/index.ts';
import {
  type CaseContext,
  HOLD_RELAY_MS,
  listenWindow,
  MIN_TONE_LEVEL,
  stallText,
  testCase,
  unjudgedIfStalled,
} from '../harness/runner/index.ts';
import { type Connected, callExtension, hangUp, until } from './call-helpers.ts';

/** How long a tone or the music is listened to before it is measured, ms. */
const LISTEN_MS = 1000;
/** The window measured at the end of what was heard, ms. */
const MEASURE_MS = 400;

/** Someone who speaks and hears: the far end of a trunk call, or the handset of an OXO set. */
export interface Party {
  name: string;
  say(source: CallAudioSource): void;
  silence(): void;
  heard(): { sampleRate: number; samples: Int16Array };
  clearHeard(): void;
}

/** The party at the far end of `call`'s media (a PSTN phone, or the OXO side of a trunk call). */
export function callParty(call: Call, name: string): Party {
  return {
    name,
    say: (s) => call.media.play(s),
    silence: () => call.media.stopPlaying(),
    heard: () => call.media.receivedAudio(),
    clearHeard: () => call.media.clearReceived(),
  };
}

/** The handset of an OXO set (audio inside the PBX). */
export function handsetParty(ext: Extension): Party {
  const h = ext.handset;
  return {
    name: ext.name,
    say: (s) => h.say(s),
    silence: () => h.stopSaying(),
    heard: () => h.heard(),
    clearHeard: () => h.clearHeard(),
  };
}

function toneLevel(rec: { sampleRate: number; samples: Int16Array }, hz: number): number {
  const n = Math.min(rec.samples.length, Math.round((MEASURE_MS * rec.sampleRate) / 1000));
  if (n <= 0) return 0;
  return goertzelAmplitude(rec.samples, rec.sampleRate, hz, rec.samples.length - n, rec.samples.length);
}

/**
 * Each speaker says its tone for {@link LISTEN_MS}; each listener must hear the tones of the
 * speakers it should hear, and not the ones it should not (its own, or a party that is out of
 * the call). Records one check per pair; returns true when all passed.
 */
export async function checkTones(
  ctx: CaseContext,
  speakers: Array<{ party: Party; hz: number }>,
  listeners: Array<{ party: Party; hears: Party[]; notHears?: Party[] }>,
  what: string,
): Promise<boolean> {
  const listened = await listenWindow(ctx, what, {
    ms: LISTEN_MS,
    start: () => {
      for (const l of listeners) l.party.clearHeard();
      for (const s of speakers) s.party.say(toneSource(s.hz, 16000));
    },
    read: () => new Map(listeners.map((l) => [l.party, l.party.heard()])),
  });
  for (const s of speakers) s.party.silence();
  const stalled = stallText(listened.judgedStallMs);
  let ok = true;
  for (const l of listeners) {
    const rec = listened.heard.get(l.party)!;
    const floor = toneLevel(rec, 2450);
    for (const p of l.hears) {
      const hz = speakers.find((s) => s.party === p)?.hz;
      if (hz === undefined) continue;
      const level = toneLevel(rec, hz);
      const hears = level >= MIN_TONE_LEVEL && level > 8 * floor;
      const unjudged = unjudgedIfStalled(listened, !hears);
      // A failure not judged does not stop the case: what comes next can still be judged.
      ok =
        (ctx.check.that(`${what}: ${l.party.name} hears ${p.name}`, hears, {
          expected: `${hz} Hz tone of ${p.name} (level ≥ ${MIN_TONE_LEVEL})`,
          observed: `level ${Math.round(level)} (floor ${Math.round(floor)})${stalled}`,
          failure: `${what}: ${l.party.name} did not hear ${p.name} (tone level ${Math.round(level)})`,
          ...unjudged,
        }) ||
          unjudged.incomplete !== undefined) &&
        ok;
    }
    for (const p of l.notHears ?? []) {
      const hz = speakers.find((s) => s.party === p)?.hz;
      if (hz === undefined) continue;
      const level = toneLevel(rec, hz);
      const self = p === l.party;
      ok =
        ctx.check.that(
          `${what}: ${l.party.name} does not hear ${self ? 'itself' : p.name}`,
          level < MIN_TONE_LEVEL,
          {
            ...unjudgedIfStalled(listened, level < MIN_TONE_LEVEL),
            expected: `no ${hz} Hz tone (level < ${MIN_TONE_LEVEL})`,
            observed: `level ${Math.round(level)}${stalled}`,
            failure: self
              ? `${what}: ${l.party.name} hears its own voice back (echo, tone level ${Math.round(level)})`
              : `${what}: ${l.party.name} still hears ${p.name} (tone level ${Math.round(level)})`,
          },
        ) && ok;
    }
  }
  return ok;
}

/** `party` hears the OXO's music on hold (or, with `present: false`, no longer hears it). */
export async function checkMusicOnHold(
  ctx: CaseContext,
  party: Party,
  what: string,
  present = true,
): Promise<boolean> {
  const listened = await listenWindow(ctx, `music on hold (${what})`, {
    ms: LISTEN_MS + 200,
    start: () => party.clearHeard(),
    read: () => party.heard(),
  });
  const rec = listened.heard;
  const stalled = stallText(listened.judgedStallMs);
  const moh = detectMoh(rec.samples, rec.sampleRate);
  const shares = moh.noteShares.map((s) => `${Math.round(100 * s)} %`).join(' / ');
  const unjudged = unjudgedIfStalled(listened, !moh.present);
  // A failure not judged does not stop the case: what comes next can still be judged.
  const judged = ctx.check.that(
    `${what}: ${party.name} ${present ? 'hears' : 'no longer hears'} music on hold`,
    moh.present === present,
    {
      expected: present ? 'the OXO music on hold (three-note melody)' : 'no music on hold',
      observed: `${
        moh.present
          ? `music on hold (notes ${shares} of ${moh.windows} windows)`
          : moh.windows === 0
            ? 'silence'
            : `other audio (melody notes ${shares} of ${moh.windows} windows)`
      }${stalled}`,
      failure: present
        ? `${what}: ${party.name} heard no music on hold (${moh.windows === 0 ? 'silence' : 'other audio'})`
        : `${what}: ${party.name} still hears the music on hold`,
      ...unjudged,
    },
  );
  return judged || unjudged.incomplete !== undefined;
}

/** A number as an OXO set or a PSTN phone of this profile shows it. */
export function shownNumber(ctx: CaseContext, raw: string): string {
  return normaliseNumber(raw, { countryCode: ctx.profile.oxo.countryCode });
}

/** What the PSTN phone shows for the party it is connected to (PAI or To of the 2xx; PAI or From of an INVITE it received). */
export function pstnDisplay(ctx: CaseContext, call: Call): DisplayLine {
  const opts = { countryCode: ctx.profile.oxo.countryCode };
  if (call.direction === 'incoming') {
    const inv = call.invite;
    return displayFor(
      {
        ...(inv?.get('from') ? { from: inv.get('from') } : {}),
        ...(inv?.get('p-asserted-identity') ? { pAssertedIdentity: inv.get('p-asserted-identity') } : {}),
      },
      opts,
    );
  }
  const r = call.answerResponse;
  return displayFor(
    {
      ...(r?.get('to') ? { from: r.get('to') } : {}),
      ...(r?.get('p-asserted-identity') ? { pAssertedIdentity: r.get('p-asserted-identity') } : {}),
    },
    opts,
  );
}

/**
 * Holds `call` from `desk` and checks the SBC took the hold: 2xx to the OXO's re-INVITE, and the
 * provider's leg told a=sendonly or a=inactive, or not told at all. Both are legal: an SBC may
 * keep the provider's leg as it is and carry the OXO's music on hold in it (the OXO's offer
 * binds its own leg, RFC 3264 §8.4; the plan asks that the held party hears the music). Every
 * caller judges the music on hold next, which fails an a=inactive hold and a leg left silent.
 */
export async function holdExternal(
  ctx: CaseContext,
  desk: Extension,
  call: Call,
  pstn: Call,
): Promise<boolean> {
  const status = await desk.hold(call);
  const answered = ctx.check.that(`${desk.name} holds the external call`, status >= 200 && status < 300, {
    expected: '2xx to the hold re-INVITE (a=sendonly)',
    observed: `${status}`,
    failure: `The hold re-INVITE (a=sendonly) from ${desk.name} was answered ${status}; the PSTN party was not put on hold`,
  });
  if (!answered) return false;
  const held = () => pstn.remoteDirection === 'sendonly' || pstn.remoteDirection === 'inactive';
  const told = await until(held, HOLD_RELAY_MS);
  return ctx.check.that('hold direction at the provider', told || pstn.remoteDirection === 'sendrecv', {
    expected: `a=sendonly (or a=inactive) within ${HOLD_RELAY_MS / 1000} s, or the leg left as it was (the music on hold is judged next)`,
    observed: told
      ? `a=${pstn.remoteDirection}`
      : `a=${pstn.remoteDirection}: not told of the hold within ${HOLD_RELAY_MS / 1000} s`,
    failure: `The PSTN phone saw a=${pstn.remoteDirection} after the hold`,
  });
}

/** Resumes `call` from `desk` and checks a=sendrecv reached the provider. */
export async function resumeExternal(
  ctx: CaseContext,
  desk: Extension,
  call: Call,
  pstn: Call,
): Promise<boolean> {
  const status = await desk.resume(call);
  const answered = ctx.check.that(`${desk.name} resumes the external call`, status >= 200 && status < 300, {
    expected: '2xx to the resume re-INVITE (a=sendrecv)',
    observed: `${status}`,
    failure: `The resume re-INVITE (a=sendrecv) from ${desk.name} was answered ${status}`,
  });
  await until(() => pstn.remoteDirection === 'sendrecv', HOLD_RELAY_MS);
  const seen = ctx.check.equal(
    'resume direction at the provider',
    pstn.remoteDirection,
    'sendrecv',
    `${HOLD_RELAY_MS / 1000} s after the resume the PSTN phone still sees a=${pstn.remoteDirection}`,
  );
  return answered && seen;
}

/** The SBC's record of the only call on the trunk (embedded SBC), or undefined. */
export function sbcRecord(ctx: CaseContext): SbcCallRecord | undefined {
  const calls = ctx.sbc?.calls() ?? [];
  return calls[calls.length - 1];
}

/** The SBC relayed the OXO's hold and resume re-INVITEs with these directions (embedded SBC only). */
export function checkSbcReinvites(ctx: CaseContext, directions: string[]): void {
  const rec = sbcRecord(ctx);
  if (!rec) return;
  const seen = rec.reinvites
    .filter((r) => r.from === 'lan' && r.method === 'INVITE')
    .map((r) => `${r.direction ?? '?'} ${r.status}`);
  const want = directions.map((d) => `${d} 200`);
  ctx.check.that(
    'SBC call record: re-INVITEs from the OXO relayed',
    JSON.stringify(seen) === JSON.stringify(want),
    {
      expected: want.join(', '),
      observed: seen.join(', ') || '(none)',
      failure: `The SBC's call record shows the OXO's re-INVITEs as "${seen.join(', ') || 'none'}" instead of "${want.join(', ')}"`,
    },
  );
}

/** An internal call between two sets: no SIP on the trunk, connected, the handsets mixed. */
export async function internalCall(
  ctx: CaseContext,
  from: Extension,
  to: Extension,
): Promise<{ ic: InternalCall; stop(): void } | undefined> {
  const before = ctx.oxo.sipCallsSent;
  const r = await from.call(to.internalNumber);
  if ('media' in r) {
    ctx.check.that(`${from.name} calls ${to.name} internally`, false, {
      expected: 'an internal call (no SIP on the trunk)',
      observed: 'a SIP call on the trunk',
      failure: `${from.name} dialled ${to.internalNumber} and the OXO sent it to the trunk`,
    });
    await r.hangup();
    return undefined;
  }
  const ok =
    ctx.check.that(`${from.name} calls ${to.name} internally`, r.connected, {
      expected: `${to.name} answers`,
      observed: r.connected ? 'connected' : 'not connected',
      failure: `The internal call from ${from.name} to ${to.name} was not connected`,
    }) &&
    ctx.check.equal(
      'internal call stays inside the PBX',
      ctx.oxo.sipCallsSent - before,
      0,
      `The internal call from ${from.name} to ${to.name} put an INVITE on the SIP trunk`,
    );
  if (!ok) return undefined;
  const m = await ctx.oxo.conference([from.handset, to.handset]);
  return { ic: r, stop: () => m.stop() };
}

/** The deskphone shows the PSTN caller, the PSTN phone shows the deskphone (check display on both parts). */
function checkDisplays(
  ctx: CaseContext,
  desk: Extension,
  phoneNumber: string,
  pstn: Call,
  when: string,
): void {
  ctx.check.display(
    desk.displays[desk.displays.length - 1],
    { number: shownNumber(ctx, phoneNumber) },
    `${desk.name} ${when}`,
  );
  ctx.check.display(pstnDisplay(ctx, pstn), { number: shownNumber(ctx, desk.did) }, `the PSTN phone ${when}`);
}

/**
 * The opening the rows of this section share: the PSTN phone pstn1 calls `desk`, which
 * answers; audio is checked both ways and both displays show the other party (`when`).
 * Undefined when the call was not established (a failed check says why).
 */
async function externalCallTo(
  ctx: CaseContext,
  desk: Extension,
  when: string,
): Promise<Connected | undefined> {
  const phone = ctx.provider.phone('pstn1');
  const c = await callExtension(ctx, 'pstn1', desk);
  if (!c) return undefined;
  await ctx.check.audio({ call: c.pstn, name: 'the PSTN phone' }, { call: c.desk, name: desk.name });
  checkDisplays(ctx, desk, phone.number, c.pstn, when);
  return c;
}

/**
 * `desk` holds the external call `c` and `from` calls `to` inside the PBX. Undefined, with
 * the external call hung up, when either step failed.
 */
async function holdForInternalCall(
  ctx: CaseContext,
  desk: Extension,
  c: Connected,
  from: Extension,
  to: Extension,
): Promise<{ ic: InternalCall; stop(): void } | undefined> {
  if (!(await holdExternal(ctx, desk, c.desk, c.pstn))) {
    await hangUp(c);
    return undefined;
  }
  const inner = await internalCall(ctx, from, to);
  if (!inner) await hangUp(c);
  return inner;
}

export const holdAndResume = testCase({
  id: '8-4-1',
  section: '8.5',
  title: 'Hold and resume a current call',
  steps: [
    'An external PSTN phone calls Premium Deskphone 1; the deskphone answers; audio is checked both ways',
    'Premium Deskphone 1 presses hold: a re-INVITE with a=sendonly crosses the SBC to the provider',
    'Expected: the PSTN party hears the OXO music on hold; both displays still show the other party',
    'Premium Deskphone 1 resumes: a=sendrecv again, the music stops, audio good both ways; then hang up',
  ],
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const phone = ctx.provider.phone('pstn1');
    const c = await externalCallTo(ctx, desk, 'before hold');
    if (!c) return;
    const pstn = { call: c.pstn, name: 'the PSTN phone' };
    const set = { call: c.desk, name: desk.name };

    if (await holdExternal(ctx, desk, c.desk, c.pstn)) {
      await checkMusicOnHold(ctx, callParty(c.pstn, 'the PSTN phone'), 'on hold');
      checkDisplays(ctx, desk, phone.number, c.pstn, 'on hold');
      if (await resumeExternal(ctx, desk, c.desk, c.pstn)) {
        await ctx.check.audio(pstn, set, { tones: [900, 1500] });
        await checkMusicOnHold(ctx, callParty(c.pstn, 'the PSTN phone'), 'after resume', false);
        checkSbcReinvites(ctx, ['sendonly', 'sendrecv']);
      }
    }
    await hangUp(c);
  },
});

export const switchBetweenCalls = testCase({
  id: '8-4-2',
  section: '8.5',
  title: 'Switch between calls',
  steps: [
    'An external PSTN phone calls Premium Deskphone 1, which answers (audio checked)',
    'FXS-1 calls Premium Deskphone 1 internally; the deskphone switches to FXS-1: the external party is held (a=sendonly through the SBC) and hears the music on hold while the deskphone and FXS-1 talk',
    'The deskphone switches back: FXS-1 is held inside the PBX (music on hold), the external party is resumed (a=sendrecv) and audio is good both ways',
    'Expected: tones and display correct on each switch; then hang up both calls',
  ],
  note: 'FXS-1 is an analog port of the OXO: its call with the deskphone stays inside the PBX (no SIP on the trunk).',
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const fxs = ctx.oxo.extension('fxs1');
    const phone = ctx.provider.phone('pstn1');
    const c = await externalCallTo(ctx, desk, 'on the external call');
    if (!c) return;
    const pstnParty = callParty(c.pstn, 'the PSTN phone');

    // Switch to FXS-1: the external call goes on hold.
    const inner = await holdForInternalCall(ctx, desk, c, fxs, desk);
    if (!inner) return;
    try {
      const deskSet = handsetParty(desk);
      const fxsSet = handsetParty(fxs);
      await checkTones(
        ctx,
        [
          { party: deskSet, hz: 800 },
          { party: fxsSet, hz: 1400 },
        ],
        [
          { party: deskSet, hears: [fxsSet] },
          { party: fxsSet, hears: [deskSet] },
        ],
        'talking to FXS-1',
      );
      await checkMusicOnHold(ctx, pstnParty, 'while the deskphone talks to FXS-1');

      // Back to the external party: FXS-1 is held inside the PBX.
      inner.stop();
      fxs.hearMusicOnHold();
      if (await resumeExternal(ctx, desk, c.desk, c.pstn)) {
        await ctx.check.audio(
          { call: c.pstn, name: 'the PSTN phone' },
          { call: c.desk, name: desk.name },
          { tones: [900, 1500] },
        );
        await checkMusicOnHold(ctx, fxsSet, 'back on the external call');
        checkDisplays(ctx, desk, phone.number, c.pstn, 'back on the external call');
        checkSbcReinvites(ctx, ['sendonly', 'sendrecv']);
      }
    } finally {
      inner.stop();
      fxs.handset.stopPlaying();
      await hangUp(c);
    }
  },
});

export const threePartyConference = testCase({
  id: '8-4-3',
  section: '8.5',
  title: 'Three party conference initiated from OXO set',
  steps: [
    'An external PSTN phone calls Premium Deskphone 1, which answers and keeps the call (it is held)',
    'Premium Deskphone 1 calls Premium Deskphone 2 internally, which answers',
    'Premium Deskphone 1 starts the conference: the external call is resumed (a=sendrecv) into the OXO conference',
    'Expected: each of the three hears the other two (a distinct tone each) and not itself; displays correct; then hang up',
  ],
  note: 'As in the report, the calls of 8-4-2 are not kept: the conference starts from a fresh external call.',
  async run(ctx) {
    const d1 = ctx.oxo.extension('deskphone1');
    const d2 = ctx.oxo.extension('deskphone2');
    const phone = ctx.provider.phone('pstn1');
    const c = await externalCallTo(ctx, d1, 'on the external call');
    if (!c) return;
    const inner = await holdForInternalCall(ctx, d1, c, d1, d2);
    if (!inner) return;
    try {
      const pstn = callParty(c.pstn, 'the PSTN phone');
      const s1 = handsetParty(d1);
      const s2 = handsetParty(d2);
      await checkMusicOnHold(ctx, pstn, 'while Premium Deskphone 1 calls Premium Deskphone 2');
      inner.stop();
      const conf = await ctx.oxo.conference([c.desk, d1.handset, d2.handset]);
      // The conference waits only for the SBC's answer to the OXO's resume: a B2BUA may answer
      // that leg first and re-INVITE the provider's after, as for any resume (resumeExternal).
      await until(() => c.pstn.remoteDirection === 'sendrecv', HOLD_RELAY_MS);
      ctx.check.equal(
        'conference: the external call resumed at the provider',
        c.pstn.remoteDirection,
        'sendrecv',
        `${HOLD_RELAY_MS / 1000} s after the conference started the PSTN phone still saw a=${c.pstn.remoteDirection}: the resume did not cross the SBC`,
      );
      const all = [pstn, s1, s2];
      await checkTones(
        ctx,
        [
          { party: pstn, hz: 600 },
          { party: s1, hz: 1100 },
          { party: s2, hz: 1700 },
        ],
        all.map((p) => ({ party: p, hears: all.filter((q) => q !== p), notHears: [p] })),
        'conference',
      );
      checkDisplays(ctx, d1, phone.number, c.pstn, 'in the conference');
      conf.stop();
    } finally {
      inner.stop();
      await hangUp(c);
    }
  },
});

export const FEATURES_CASES = [holdAndResume, switchBetweenCalls, threePartyConference];
