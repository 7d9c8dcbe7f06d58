/**
 * Section 8.4 of the eSBC plan: incoming calls (cases 8-3-1 … 8-3-7). External (PSTN) calls to
 * Premium Deskphone 1 — a long call, the display, two calls on a multi-line set with music on
 * hold — and to the remote-worker deskphone (connected through the SBC router's VPN): answered,
 * unplugged or in DND (the OXO then sends the call to the attendant), and an internal call
 * from the remote-worker deskphone that must put no SIP on the trunk.
 */
import type { Call, DisplayLine, Extension, ExtensionState, PstnPhone } from '../harness/actors/index.ts';
import { detectMoh, normaliseNumber, toneSource } from '../harness/actors/index.ts';
import { goertzelAmplitude } from '../harness/media/analysis/index.ts';
import {
  CALL_RELEASE_BOUND_MS,
  type CaseContext,
  listenWindow,
  MIN_TONE_LEVEL,
  stallText,
  testCase,
  unjudgedIfStalled,
} from '../harness/runner/index.ts';
import { type Connected, callExtension, hangUp } from './call-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Longest time without a new RTP packet that still counts as audio flowing, ms. */
export const MAX_RTP_STALL_MS = 2000;
/** How long a party listens for the music on hold, ms (three loops of the 0.9 s melody). */
export const MOH_LISTEN_MS = 2700;
/** How long the attendant lets a diverted call ring before answering, ms (the ringback to check). */
export const ATTENDANT_RING_MS = 1500;

/**
 * What Premium Deskphone 1 (or any OXO set) should display for a call from `phone`: the name
 * the provider sends and the number as the OXO normalises it (country code of the
 * installation → national prefix, other countries → international prefix), from the profile.
 */
export function expectedDisplay(ctx: CaseContext, phone: PstnPhone): { number: string; name?: string } {
  const number = normaliseNumber(phone.number, {
    countryCode: ctx.profile.oxo.countryCode,
    nationalPrefix: '0',
    internationalPrefix: '00',
  });
  return phone.displayName ? { number, name: phone.displayName } : { number };
}

/**
 * The display check of a set called from the PSTN, and, when it passes without the caller's
 * name (a legal B2BUA behaviour, docs/tolerances.md), a note in the cell's comment saying so:
 * the IWR's reader sees that the name did not reach the set.
 */
function checkCallerDisplay(
  ctx: CaseContext,
  line: DisplayLine | undefined,
  expected: { number: string; name?: string },
  where: string,
): boolean {
  const ok = ctx.check.display(line, expected, where);
  const shown = line?.name?.trim() ?? '';
  if (ok && expected.name !== undefined && shown !== expected.name)
    ctx.note(
      shown === ''
        ? `${where} shows the caller's number only: the name "${expected.name}" that the provider sent did not reach the OXO (no display-name in the SBC's INVITE).`
        : `${where} shows the caller's number as the name: the name "${expected.name}" that the provider sent did not reach the OXO.`,
    );
  return ok;
}

/** Checks that `who` hears the OXO's music on hold on `call` (listens {@link MOH_LISTEN_MS}). */
async function checkMoh(ctx: CaseContext, call: Call, who: string, holder: string): Promise<boolean> {
  const listened = await listenWindow(ctx, `music on hold heard by ${who}`, {
    ms: MOH_LISTEN_MS,
    start: () => call.media.clearReceived(),
    read: () => call.media.receivedAudio(),
  });
  const rec = listened.heard;
  const moh = detectMoh(rec.samples, rec.sampleRate);
  const shares = moh.noteShares.map((s) => `${Math.round(100 * s)} %`).join(' / ');
  return ctx.check.that(`music on hold heard by ${who}`, moh.present, {
    expected: 'the OXO’s music on hold (three-note melody)',
    observed: `${
      moh.windows === 0 ? 'silence' : `${moh.windows} windows analysed, melody notes dominate ${shares}`
    }${stallText(listened.judgedStallMs)}`,
    failure:
      moh.windows === 0
        ? `${who} hears silence instead of music on hold while ${holder} holds the call`
        : `${who} does not hear the OXO’s music on hold while ${holder} holds the call`,
    ...unjudgedIfStalled(listened, !moh.present),
  });
}

/** Holds `call` at `ext` and checks the re-INVITE was accepted. */
async function holdAt(ctx: CaseContext, ext: Extension, call: Call, other: string): Promise<boolean> {
  const status = await ext.hold(call);
  return ctx.check.that(`${ext.name} puts ${other} on hold`, status >= 200 && status < 300, {
    expected: 'the hold re-INVITE (a=sendonly) answered 200',
    observed: `answered ${status}`,
    failure: `Holding ${other} from ${ext.name} failed: the re-INVITE was answered ${status}`,
  });
}

/** Per leg, the longest stretch without a new RTP packet while it is watched. */
interface RtpWatch {
  stop(): Array<{ name: string; longestStallMs: number; stallFromMs: number; packets: number }>;
}

/** Polls the received-packet counters of `legs` every 250 ms (bounded by `maxMs`). */
function watchRtp(legs: Array<{ call: Call; name: string }>, maxMs: number): RtpWatch {
  const t0 = performance.now();
  const st = legs.map((l) => ({
    name: l.name,
    call: l.call,
    first: l.call.media.stats().received,
    last: l.call.media.stats().received,
    lastChange: t0,
    longestStallMs: 0,
    stallFromMs: 0,
  }));
  const tick = () => {
    const now = performance.now();
    for (const s of st) {
      const n = s.call.media.stats().received;
      if (n !== s.last) {
        s.last = n;
        s.lastChange = now;
      } else if (now - s.lastChange > s.longestStallMs) {
        s.longestStallMs = now - s.lastChange;
        s.stallFromMs = s.lastChange - t0;
      }
    }
  };
  let ticks = 0;
  const maxTicks = Math.ceil(maxMs / 250) + 40;
  const timer = setInterval(() => {
    if (++ticks > maxTicks) clearInterval(timer);
    else tick();
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return st.map((s) => ({
        name: s.name,
        longestStallMs: s.longestStallMs,
        stallFromMs: s.stallFromMs,
        packets: s.last - s.first,
      }));
    },
  };
}

/**
 * How long the far end may take to be released after a hang-up, ms: the call invariant's bound
 * (a relayed BYE whose first datagrams were lost is retransmitted at T1, 2·T1, 4·T1: 3.5 s).
 */
export const RELEASE_WAIT_MS = CALL_RELEASE_BOUND_MS;

/**
 * `hanger` ends the call (BYE) and the far end must be released within
 * {@link RELEASE_WAIT_MS} (the SBC relays the BYE); then both legs are cleaned up.
 */
export async function hangUpChecked(
  ctx: CaseContext,
  hanger: { call: Call; name: string },
  far: { call: Call; name: string },
): Promise<boolean> {
  await hanger.call.hangup().catch(() => undefined);
  const released = await Promise.race([
    far.call.ended().then(() => true),
    sleep(RELEASE_WAIT_MS).then(() => false),
  ]);
  const ok = ctx.check.that(`${far.name} released when ${hanger.name} hangs up`, released, {
    expected: `${far.name}'s call ends (BYE relayed) within ${seconds(RELEASE_WAIT_MS)}`,
    observed: released ? 'released' : `still ${far.call.state}`,
    failure: `When ${hanger.name} hung up, ${far.name} was not released: no BYE reached it and its call stayed up`,
  });
  await far.call.hangup().catch(() => undefined);
  return ok;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The long call with --quick: past a 30 s RTP/media timeout of the SBC (a common default), so a
 * media timer that cuts a call whose RTP flows, or a media cut a few seconds into a call, shows
 * in a quick run too (README states the figure).
 */
export const LONG_CALL_QUICK_MS = 35_000;

export const extCallLong = testCase({
  id: '8-3-1',
  section: '8.4',
  title: 'ExtCall to Premium Deskphone Timeout',
  steps: [
    'An external phone (PSTN) calls the DID of Premium Deskphone 1',
    'Premium Deskphone 1 answers; check audio in both directions',
    'Stay in the call for 5 minutes, both parties talking',
    'Expected: RTP keeps flowing both ways the whole time, the call is not cut (no session timer or media timeout), audio is still good at the end',
    'Hang up',
  ],
  waits: { fullMs: 300_000, quickMs: LONG_CALL_QUICK_MS },
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const c = await callExtension(ctx, 'pstn1', desk);
    if (!c) return;
    const pstnName = 'the PSTN phone';
    await ctx.check.audio({ call: c.pstn, name: pstnName }, { call: c.desk, name: desk.name });
    // Both talk for the whole call; the packet counters show whether RTP ever stops.
    c.pstn.media.play(toneSource(500, 16000));
    c.desk.media.play(toneSource(900, 16000));
    const watch = watchRtp(
      [
        { call: c.desk, name: `RTP from ${pstnName} to ${desk.name}` },
        { call: c.pstn, name: `RTP from ${desk.name} to ${pstnName}` },
      ],
      300_000,
    );
    const t0 = performance.now();
    await ctx.wait(300_000, LONG_CALL_QUICK_MS, 'the 5-minute call');
    const held = performance.now() - t0;
    const legs = watch.stop();
    c.pstn.media.stopPlaying();
    c.desk.media.stopPlaying();
    for (const l of legs) {
      ctx.check.that(`${l.name} flows for the whole call`, l.longestStallMs <= MAX_RTP_STALL_MS, {
        expected: `no gap longer than ${seconds(MAX_RTP_STALL_MS)} over ${seconds(held)}`,
        observed: `${l.packets} packets, longest gap ${seconds(l.longestStallMs)}`,
        failure: `${l.name} stopped ${seconds(l.stallFromMs)} into the long call (no packet for ${seconds(l.longestStallMs)})`,
      });
    }
    const up = c.pstn.state === 'established' && c.desk.state === 'established';
    ctx.check.that('the call is still up at the end', up, {
      expected: 'both legs established',
      observed: `PSTN leg ${c.pstn.state}, deskphone leg ${c.desk.state}`,
      failure: `The call was cut before the end of the ${seconds(held)} (PSTN leg ${c.pstn.state}, deskphone leg ${c.desk.state})`,
    });
    if (up)
      await ctx.check.audio(
        { call: c.pstn, name: pstnName },
        { call: c.desk, name: `${desk.name} at the end of the call` },
      );
    if (up) await hangUpChecked(ctx, { call: c.desk, name: desk.name }, { call: c.pstn, name: pstnName });
    await hangUp(c);
  },
});

export const extCallDisplay = testCase({
  id: '8-3-2',
  section: '8.4',
  title: 'ExtCall to Premium Deskphone Display',
  steps: [
    'An external phone (PSTN) calls the DID of Premium Deskphone 1',
    'Check the display: the caller’s name and number, the number as the OXO normalises it (national form for the installation’s country)',
    'Premium Deskphone 1 answers; check audio in both directions',
    'Hang up',
  ],
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const phone = ctx.provider.phone('pstn1');
    const c = await callExtension(ctx, 'pstn1', desk);
    if (!c) return;
    checkCallerDisplay(ctx, desk.displays.at(-1), expectedDisplay(ctx, phone), desk.name);
    await ctx.check.audio({ call: c.pstn, name: 'the PSTN phone' }, { call: c.desk, name: desk.name });
    await hangUpChecked(ctx, { call: c.desk, name: desk.name }, { call: c.pstn, name: 'the PSTN phone' });
    await hangUp(c);
  },
});

export const extCallMultiline = testCase({
  id: '8-3-3',
  section: '8.4',
  title: 'ExtCall to Premium Deskphone Display multiline',
  steps: [
    'The OXO is configured for multi-line sets',
    'PSTN 1 calls the DID of Premium Deskphone 1; check the display; answer; check audio',
    'Keep the call: Premium Deskphone 1 puts PSTN 1 on hold; PSTN 1 hears the OXO’s music on hold',
    'PSTN 2 calls the same DID; check the display; answer the second call; check audio',
    'Switch back to PSTN 1 (PSTN 2 is held): PSTN 2 hears music on hold, audio with PSTN 1 is good',
    'Expected: both displays and both audio checks OK, music on hold from the OXO for both external parties',
    'Hang up both calls',
  ],
  lab: { oxoMultiLine: true },
  async run(ctx) {
    const desk = ctx.oxo.extension('deskphone1');
    const p1 = ctx.provider.phone('pstn1');
    const p2 = ctx.provider.phone('pstn2');
    const calls: Connected[] = [];
    try {
      const c1 = await callExtension(ctx, 'pstn1', desk);
      if (!c1) return;
      calls.push(c1);
      checkCallerDisplay(ctx, desk.displays.at(-1), expectedDisplay(ctx, p1), `${desk.name} (1st call)`);
      await ctx.check.audio({ call: c1.pstn, name: 'PSTN 1' }, { call: c1.desk, name: desk.name });
      if (await holdAt(ctx, desk, c1.desk, 'PSTN 1')) await checkMoh(ctx, c1.pstn, 'PSTN 1', desk.name);
      const c2 = await callExtension(ctx, 'pstn2', desk);
      if (!c2) return;
      calls.push(c2);
      checkCallerDisplay(ctx, desk.displays.at(-1), expectedDisplay(ctx, p2), `${desk.name} (2nd call)`);
      await ctx.check.audio({ call: c2.pstn, name: 'PSTN 2' }, { call: c2.desk, name: desk.name });
      // Back to the first caller: the OXO holds the second one.
      await desk.switchTo(c1.desk);
      const swapped = c2.desk.localDirection !== 'sendrecv' && c1.desk.localDirection === 'sendrecv';
      ctx.check.that(`${desk.name} switches back to PSTN 1`, swapped, {
        expected: 'PSTN 2 held (sendonly), PSTN 1 resumed (sendrecv)',
        observed: `PSTN 2 ${c2.desk.localDirection}, PSTN 1 ${c1.desk.localDirection}`,
        failure: `${desk.name} could not switch between the calls: PSTN 2 ${c2.desk.localDirection}, PSTN 1 ${c1.desk.localDirection}`,
      });
      if (swapped) {
        await checkMoh(ctx, c2.pstn, 'PSTN 2', desk.name);
        await ctx.check.audio(
          { call: c1.pstn, name: 'PSTN 1' },
          { call: c1.desk, name: `${desk.name} (resumed)` },
        );
      }
      await hangUpChecked(ctx, { call: c1.desk, name: desk.name }, { call: c1.pstn, name: 'PSTN 1' });
      await hangUpChecked(ctx, { call: c2.desk, name: desk.name }, { call: c2.pstn, name: 'PSTN 2' });
    } finally {
      for (const c of calls) await hangUp(c);
    }
  },
});

export const extCallRemote = testCase({
  id: '8-3-4',
  section: '8.4',
  title: 'Call from External number to VPN connected Premium Deskphone',
  steps: [
    'An external number calls the DID of the remote-worker deskphone (connected through the SBC router’s VPN)',
    'Check the display; the remote-worker deskphone answers; check audio in both directions',
    'Hang up',
  ],
  needs: ['oxo:remote-worker'],
  async run(ctx) {
    const remote = ctx.oxo.extension('remote');
    const phone = ctx.provider.phone('extnum');
    const c = await callExtension(ctx, 'extnum', remote);
    if (!c) return;
    checkCallerDisplay(ctx, remote.displays.at(-1), expectedDisplay(ctx, phone), remote.name);
    await ctx.check.audio({ call: c.pstn, name: 'the external number' }, { call: c.desk, name: remote.name });
    await hangUpChecked(
      ctx,
      { call: c.desk, name: remote.name },
      { call: c.pstn, name: 'the external number' },
    );
    await hangUp(c);
  },
});

export const remoteToDeskphone = testCase({
  id: '8-3-5',
  section: '8.4',
  title: 'Call from VPN Premium Deskphone to Premium Deskphone 1',
  steps: [
    'The remote-worker deskphone dials the internal number of Premium Deskphone 1',
    'Premium Deskphone 1 answers; check audio in both directions (mixed inside the OXO)',
    'Expected: the call is connected inside the OXO with audio both ways; no SIP crosses the trunk and the SBC sees no call (the sets talk SIP-NOE to the OXO)',
    'Hang up',
  ],
  needs: ['oxo:remote-worker'],
  async run(ctx) {
    const remote = ctx.oxo.extension('remote');
    const desk = ctx.oxo.extension('deskphone1');
    const sentBefore = ctx.oxo.sipCallsSent;
    // By id, not by count: the SBC keeps a bounded number of ended calls' records.
    const sbcBefore = ctx.sbc?.calls().at(-1)?.id ?? 0;
    const r = await remote.call(desk.internalNumber);
    if ('media' in r) {
      ctx.check.that('the internal call stays inside the OXO', false, {
        expected: 'an internal call (no SIP on the trunk)',
        observed: `a trunk call to ${desk.internalNumber}`,
        failure: `The call from ${remote.name} to internal number ${desk.internalNumber} was sent to the trunk`,
      });
      await r.hangup().catch(() => undefined);
      return;
    }
    ctx.check.that(`${remote.name} to ${desk.name}: call connected`, r.connected && r.to === desk.id, {
      expected: `connected to ${desk.id}`,
      observed: `${r.connected ? 'connected' : 'not connected'} to ${r.to}`,
      failure: `The internal call from ${remote.name} to ${desk.internalNumber} was not connected to ${desk.name}`,
    });
    if (r.connected) {
      // The OXO mixes the two sets' handsets; each says a tone and must hear the other's.
      const mix = await ctx.oxo.conference([remote.handset, desk.handset]);
      const pairs: Array<[Extension, Extension, number]> = [
        [remote, desk, 700],
        [desk, remote, 1300],
      ];
      const listened = await listenWindow(ctx, 'the internal call', {
        ms: 900,
        start: () => {
          remote.handset.say(toneSource(700, 16000));
          desk.handset.say(toneSource(1300, 16000));
          remote.handset.clearHeard();
          desk.handset.clearHeard();
        },
        read: () => new Map(pairs.map(([, to]) => [to, to.handset.heard()])),
      });
      const stalled = stallText(listened.judgedStallMs);
      for (const [from, to, hz] of pairs) {
        const h = listened.heard.get(to)!;
        const n = Math.min(h.samples.length, Math.round(0.4 * h.sampleRate));
        const at = h.samples.length - n;
        const level = n > 0 ? goertzelAmplitude(h.samples, h.sampleRate, hz, at, h.samples.length) : 0;
        ctx.check.that(`audio ${from.name} → ${to.name} (internal)`, level >= MIN_TONE_LEVEL, {
          expected: `${hz} Hz tone heard (level ≥ ${MIN_TONE_LEVEL})`,
          observed: `level ${Math.round(level)}${stalled}`,
          failure: `No audio from ${from.name} reached ${to.name} in the internal call (tone level ${Math.round(level)})`,
          ...unjudgedIfStalled(listened, level < MIN_TONE_LEVEL),
        });
      }
      remote.handset.stopSaying();
      desk.handset.stopSaying();
      mix.stop();
    } else await sleep(300); // give the trunk time to show anything it would send
    const sent = ctx.oxo.sipCallsSent - sentBefore;
    ctx.check.that('no SIP call on the trunk', sent === 0, {
      expected: 'no INVITE from the OXO to the SBC',
      observed: `${sent} INVITE(s)`,
      failure: `The trace shows SIP for an internal call: the OXO sent ${sent} INVITE(s) to the SBC`,
    });
    if (ctx.sbc) {
      const seen = ctx.sbc.calls().filter((c) => c.id > sbcBefore).length;
      ctx.check.that('the SBC sees no call', seen === 0, {
        expected: 'no call in the SBC’s records',
        observed: `${seen} call(s)`,
        failure: `The SBC handled ${seen} call(s) during an internal call between two OXO sets`,
      });
    }
  },
});

/**
 * 8-3-6 / 8-3-7: the remote-worker deskphone is unplugged or in DND; an external call to it
 * rings back and reaches the attendant, who answers; audio is checked. With `thenFree`, the
 * state is cancelled afterwards and a second call must reach the remote deskphone itself.
 */
async function toAttendant(ctx: CaseContext, state: ExtensionState, thenFree: boolean): Promise<void> {
  const remote = ctx.oxo.extension('remote');
  const att = ctx.oxo.extension('attendant');
  const phone = ctx.provider.phone('pstn1');
  const label = state === 'dnd' ? `${remote.name} in DND` : `unplugged ${remote.name}`;
  remote.state = state;
  const delay = att.answerDelayMs;
  att.answerDelayMs = ATTENDANT_RING_MS;
  // The calls it had before, not their count: an extension keeps a bounded history of ended calls.
  const remoteCalls = new Set(remote.calls);
  const routes = ctx.oxo.routes.length;
  const incoming = att.nextIncoming();
  let pstn: Call | undefined;
  let answered: Call | undefined;
  try {
    pstn = await phone.call(remote.did);
    let ringingAt: number | undefined;
    const t0 = performance.now();
    pstn.once('ringing', () => {
      ringingAt = performance.now();
    });
    if (!(await ctx.check.established(pstn, `pstn1 to the ${label}`))) return;
    const ringMs = ringingAt === undefined ? 0 : performance.now() - ringingAt;
    ctx.check.that('ringback before the answer', ringingAt !== undefined, {
      expected: '180 Ringing reaches the caller before the answer',
      observed:
        ringingAt === undefined
          ? 'no 18x'
          : `ringing after ${seconds(ringingAt - t0)}, for ${seconds(ringMs)}`,
      failure: `The caller heard no ringback: no 180 Ringing reached the PSTN phone before the call to the ${label} was answered`,
    });
    const route = ctx.oxo.routes.slice(routes).find((r) => r.dialled === remote.id);
    const reason = state === 'dnd' ? 'dnd-to-attendant' : 'unplugged-to-attendant';
    ctx.check.that('the OXO sends the call to the attendant', route?.deliveredTo === att.id, {
      expected: `delivered to ${att.name} (${reason})`,
      observed: route ? `delivered to ${route.deliveredTo ?? 'nobody'} (${route.reason})` : 'no call routed',
      failure: `The call to the ${label} did not reach the attendant (${route ? `routed ${route.reason} to ${route.deliveredTo ?? 'nobody'}` : 'never arrived at the OXO'})`,
    });
    const remoteNew = remote.calls.filter((c) => !remoteCalls.has(c)).length;
    ctx.check.that(`the ${label} gets no call`, remoteNew === 0, {
      expected: 'no call delivered',
      observed: `${remoteNew} call(s)`,
      failure: `The ${label} was offered the call`,
    });
    answered = await Promise.race([incoming, sleep(3000).then(() => undefined)]);
    if (!answered || !(await answered.established())) {
      ctx.check.that(`${att.name} answers`, false, {
        expected: 'the attendant answers',
        observed: answered ? `attendant leg ${answered.state}` : 'no call at the attendant',
        failure: `${att.name} did not answer the call diverted from the ${label}`,
      });
      return;
    }
    checkCallerDisplay(ctx, att.displays.at(-1), expectedDisplay(ctx, phone), att.name);
    await ctx.check.audio({ call: pstn, name: 'the PSTN phone' }, { call: answered, name: att.name });
    await hangUpChecked(ctx, { call: answered, name: att.name }, { call: pstn, name: 'the PSTN phone' });
  } finally {
    await answered?.hangup().catch(() => undefined);
    await pstn?.hangup().catch(() => undefined);
    att.answerDelayMs = delay;
    remote.state = 'free';
  }
  if (!thenFree) return;
  // DND cancelled: the next external call reaches the remote deskphone itself.
  const c = await callExtension(ctx, 'pstn1', remote);
  if (c) {
    const route = ctx.oxo.routes.at(-1);
    ctx.check.that(`after cancelling DND the call reaches ${remote.name}`, route?.deliveredTo === remote.id, {
      expected: `delivered to ${remote.id} (direct)`,
      observed: `delivered to ${route?.deliveredTo ?? 'nobody'} (${route?.reason ?? 'no route'})`,
      failure: `After cancelling DND, calls to ${remote.name} still go to ${route?.deliveredTo ?? 'nobody'}`,
    });
  }
  await hangUp(c);
}

export const extCallUnplugged = testCase({
  id: '8-3-6',
  section: '8.4',
  title: 'Ext call to unplugged VPN Premium Deskphone',
  steps: [
    'Unplug the remote-worker deskphone',
    'An external phone calls its DID',
    'Expected: the caller hears ringback; the OXO sends the call to the attendant (incoming call handling – other cases – go to attendant), who answers; the display shows the caller; audio is good',
    'Hang up',
  ],
  needs: ['oxo:remote-worker'],
  run: (ctx) => toAttendant(ctx, 'unplugged', false),
});

export const extCallDnd = testCase({
  id: '8-3-7',
  section: '8.4',
  title: 'Ext call to DND VPN Premium Deskphone',
  steps: [
    'Enable DND on the remote-worker deskphone',
    'An external phone calls its DID',
    'Expected: the caller hears ringback; the OXO sends the call to the attendant (incoming call handling – other cases – go to attendant), who answers; the display shows the caller; audio is good',
    'Hang up; cancel DND on the remote-worker deskphone',
    'Expected: the next external call reaches the remote-worker deskphone itself',
    'Hang up',
  ],
  needs: ['oxo:remote-worker'],
  run: (ctx) => toAttendant(ctx, 'dnd', true),
});

export const INCOMING_CASES = [
  extCallLong,
  extCallDisplay,
  extCallMultiline,
  extCallRemote,
  remoteToDeskphone,
  extCallUnplugged,
  extCallDnd,
];
