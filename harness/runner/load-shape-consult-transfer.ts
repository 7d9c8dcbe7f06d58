/**
 * The transfer shapes of the load with a consultation (`transfer-semi`, `transfer-attended`),
 * after the plan's cases 8-5-2 (semi-attended) and 8-5-3 (attended), scenarios/transfers.ts.
 * The load call is A (the transferee, the PSTN party) to B (the extension, the transferor);
 * C is the slot's transfer target, the same provider phone the blind shape uses (`load-t-<i>`,
 * number +4940557 and the slot in 4 digits, load-shape-transfer.ts). A is outside the PBX here
 * (in the plan's cases A is a second deskphone), so the OXO transfers it the way its profile
 * says for trunk calls (OxoTrunk.transfer, `oxo.transferMode` as configured):
 * - `internal` (the default, OXO Connect's own): the OXO joins A's trunk call to B's
 *   consultation call itself, as it joins A in the plan's cases; no REFER crosses the SBC, which
 *   carries both calls and their re-INVITEs (the hold, and the resume of A by the join);
 * - `refer`: the OXO refers A (RFC 3515; RFC 5589 §7, transfer with consultation hold).
 *   Semi-attended: it cancels the ringing consultation and refers A to C's number. Attended: it
 *   refers A to C with Replaces naming the consultation dialog (RFC 3891), which C's new call
 *   then takes the place of. Both ways an SBC may carry a REFER out are accepted, as in 8-5-4
 *   and the blind shape: it makes the new call itself and bridges A to it (the embedded SBC's
 *   `referPolicy: local`), naming its own dialog with C in the Replaces, or it passes the REFER
 *   on (`pass`) with the Replaces renamed to its dialog with C, and the provider's phone calls C.
 *   A back-to-back SBC has a dialog of its own on each side, so a Replaces passed on unchanged
 *   names a dialog C never had (481), and one dropped leaves the consultation up: both fail.
 *   Attended, a third way is accepted: the Replaces names a dialog of a call the SBC carries
 *   itself (B's consultation leg), and the recipient of a REFER decides how to honour it (RFC
 *   3515 §2.4.4-2.4.5, RFC 3891 §3), so the SBC may join A's leg to C's consultation leg in its
 *   media relay with no new call to C, end B's consultation leg, and report the REFER done
 *   (the embedded SBC's personality `replaces-local`; RFC 7092 §3).
 *
 * Judged, in order ("<shape>: …" in the failures):
 * - audio both ways between A and B before the transfer (the call's own audio figures);
 * - B holds A: the re-INVITE (a=sendonly) answered 2xx, A's leg sees a=sendonly or a=inactive
 *   (RFC 3264 §8.4: both hold; an SBC may pass either on), as the hold shape judges it;
 * - B calls C through the SBC (the consultation) and C is reached.
 *   Semi-attended: C rings (B's call sees 18x) when B transfers. Attended: C answers first and
 *   the audio both ways between B and C is checked ("during the consultation");
 * - the transfer. Joined by the OXO: it succeeded, C answered (semi-attended: after the
 *   transfer). By REFER: answered 2xx and reported done by a final NOTIFY 200 (RFC 3515
 *   §2.4.4); then either C got a new call that came up and the consultation is over on both
 *   sides (cancelled, or replaced and ended by C), or (attended) the SBC joined A to C's
 *   consultation leg: B's consultation leg ended while C's stays established and C gets no new
 *   call as well; with neither, "got no new call, and its consultation was not joined" (a
 *   consultation left up with B still in it). B's leg with A ended (the OXO hangs up after the
 *   NOTIFY 200, or the SBC ends it);
 * - A's leg (or its provider's new call) sees a=sendrecv again: A is off hold;
 * - audio both ways between A and C ("after the transfer"), on C's new leg or, joined, on its
 *   consultation leg;
 * - the release (load-run.ts): A hangs up; C's leg must end (its new leg, or its consultation
 *   leg when joined), and so must every other leg of the call (B's two trunk legs, C's
 *   consultation leg, A's first call when the provider moved it), each within the release bound.
 */
import type { Call, OxoTrunk, PstnPhone } from '../actors/index.ts';
import { CALL_RELEASE_BOUND_MS } from './call-invariants.ts';
import { HOLD_RELAY_MS } from './hold-relay.ts';
import type { LoadShapeName } from './load-mix.ts';
import {
  type LoadParty,
  type LoadShape,
  type LoadShapeContext,
  type LoadShapeOutcome,
  loadAudioCheck,
  sleep,
  until,
} from './load-shape.ts';
import { loadHold } from './load-shape-hold.ts';
import {
  judgeLoadRefer,
  type LoadTransferTargets,
  loadTransferTargets,
  loadTransferTargetsOf,
} from './load-shape-transfer.ts';

/** Longest wait for the consultation call to reach the target, ms. */
const TARGET_MS = 5000;
/** Longest wait for the 18x of the consultation (semi-attended), ms: as the plan's 8-5-2 waits. */
const RING_MS = 3000;

type Kind = 'semi-attended' | 'attended';

function consultTransferShape(name: LoadShapeName, kind: Kind): LoadShape {
  return {
    name,
    setup(lab, slots, slotBase = 0) {
      const oxo = lab.oxo;
      if (!oxo) throw new Error(`${name} needs the lab OXO trunk`);
      loadTransferTargets(lab, slots, slotBase);
      // The extension of a slot holds two calls at once (the load call and the consultation):
      // raise its lines so that the other slots' incoming calls still find one free.
      const exts = (['deskphone1', 'deskphone2'] as const).flatMap((id) => {
        try {
          return [oxo.extension(id)];
        } catch {
          return [];
        }
      });
      for (const e of exts) e.lines = Math.max(e.lines, 2 * Math.ceil(slots / exts.length) + 1);
    },
    async run(ctx) {
      const { lab, rec, slot } = ctx;
      rec.audio = await loadAudioCheck(
        ctx.caller,
        ctx.callee,
        ctx.audioMs,
        ctx,
        rec.failures,
        `${name}, before the transfer`,
      );
      const target = loadTransferTargetsOf(lab)?.phones[slot];
      if (!target || !lab.oxo) {
        rec.failures.push(`${name}: harness error: the transfer targets were not set up`);
        return undefined;
      }
      const behaviour = target.behaviour;
      if (kind === 'semi-attended') target.behaviour = { kind: 'ring' };
      try {
        return await consultAndTransfer(ctx, name, kind, target);
      } finally {
        target.behaviour = behaviour;
      }
    },
  };
}

/** B holds A, calls C, transfers (while C rings, or once C answered); then audio A ↔ C. */
async function consultAndTransfer(
  ctx: LoadShapeContext,
  name: LoadShapeName,
  kind: Kind,
  target: PstnPhone,
): Promise<LoadShapeOutcome | undefined> {
  const { lab, rec, slot, desk, pstn, ext } = ctx;
  const oxo = lab.oxo as OxoTrunk;
  const targets = loadTransferTargetsOf(lab) as LoadTransferTargets;
  // As the lab maps the profile onto the OXO simulator: anything but `refer` joins inside the PBX.
  const mode = lab.profile.oxo.transferMode === 'refer' ? 'refer' : 'pbx';
  const where = `${target.id} (${target.number})`;
  const fail = (s: string) => rec.failures.push(`${name}: ${s}`);
  await loadHold(ctx, name);

  const arriving = targets.expect(slot);
  let referred: ReturnType<LoadTransferTargets['expect']> | undefined;
  let out: Call | undefined;
  let cCall: Call | undefined;
  let newCall: Call | undefined;
  let handedOver = false;
  try {
    const placed = await ext.call(`${lab.profile.oxo.outgoingPrefix}${target.number}`);
    if (!('media' in placed)) {
      fail(`${ext.name} dialled ${target.number} for the consultation and the PBX kept the call internal`);
      return undefined;
    }
    out = placed;
    const c = out;
    cCall = await Promise.race([arriving.promise, sleep(TARGET_MS).then(() => undefined)]);
    if (!cCall) {
      fail(
        `${ext.name}'s consultation call never reached ${where} (call ${c.state}, status ${c.status ?? 'none'}${c.status !== undefined && c.status >= 300 && c.finalResponse === undefined ? ', our stack’s own: no response arrived' : ''})`,
      );
      return undefined;
    }
    const consulted = cCall;
    const consult: LoadParty = { call: c, name: `${ext.name} (consultation)` };
    if (kind === 'semi-attended') {
      if (!(await until(() => c.state === 'ringing', RING_MS)))
        fail(
          `${ext.name}'s consultation call to ${where} was ${c.state}, not ringing, when the transfer was due`,
        );
    } else {
      if (
        !(await until(
          () => c.state === 'established' && consulted.state === 'established',
          CALL_RELEASE_BOUND_MS,
        ))
      ) {
        fail(`${ext.name}'s consultation call to ${where} never reached the established state (${c.state})`);
        return undefined;
      }
      await loadAudioCheck(
        consult,
        { call: consulted, name: where },
        ctx.audioMs,
        ctx,
        rec.failures,
        `${name}, during the consultation`,
      );
    }

    if (mode === 'pbx') {
      // The OXO joins the two calls itself (as in 8-5-2 and 8-5-3): C's call is the consultation.
      const transferred = oxo.transfer(kind, desk.call, { consultation: c, mode: 'pbx' });
      if (kind === 'semi-attended' && !(await consulted.answer())) {
        fail(`${where} could not answer the consultation call`);
        c.cancel(); // the join waits for the answer: end the wait
      }
      const tr = await transferred;
      if (!tr.ok) {
        fail(`the OXO did not join ${pstn.name} to ${where}: ${tr.reason ?? 'no reason given'}`);
        return undefined;
      }
      if (!(await until(() => pstn.call.remoteDirection === 'sendrecv', HOLD_RELAY_MS)))
        fail(
          `${pstn.name}'s leg still sees a=${pstn.call.remoteDirection} ${HOLD_RELAY_MS / 1000} s after the transfer (no resume reached it)`,
        );
      const far: LoadParty = { call: consulted, name: where };
      // A to C through the SBC, the OXO's join and the SBC again: two passes of the SBC, where
      // G.114's bound is for one. The plan's 8-5-2 and 8-5-3 judge the tones heard there; so
      // does the load (the delay is measured and shown, not judged).
      await loadAudioCheck(pstn, far, ctx.audioMs, ctx, rec.failures, `${name}, after the transfer`, false);
      handedOver = true;
      return {
        hangup: pstn,
        far,
        others: [
          { call: desk.call, name: `${desk.name}'s leg of the transferred call` },
          { call: c, name: `${ext.name}'s consultation leg to ${where}` },
        ],
      };
    }

    // REFER (RFC 3515, RFC 5589): semi-attended, the OXO cancels the ringing consultation and
    // refers A to C's number; attended, it refers A to C with Replaces naming the consultation
    // dialog (RFC 3891). Either C gets a new call (from the SBC or from the provider) and answers
    // it, and with Replaces it takes the consultation's place, which C then ends; or, attended,
    // the SBC honours the Replaces itself (RFC 3891 §3: its recipient decides how): it joins A to
    // C's consultation leg, which stays up, and ends B's consultation leg (no new call to C).
    target.behaviour = { kind: 'answer' };
    referred = targets.expect(slot);
    const tr = await oxo.transfer(kind, desk.call, { consultation: c, mode: 'refer' });
    judgeLoadRefer(name, tr, desk.name, where, rec.failures);
    const over = (x: Call) => x.state === 'ended' || x.state === 'failed';
    // A new call replaces the consultation before B's side of it ends (C ends the old dialog
    // once the new one is up); a join ends B's side while C's stays established.
    const joined = () => kind === 'attended' && over(c) && consulted.state === 'established';
    const came = referred.promise.then((x) => {
      newCall = x;
      return 'new' as const;
    });
    const how = await Promise.race([
      came,
      until(joined, tr.ok ? TARGET_MS : 500).then((j) => (j ? ('joined' as const) : undefined)),
    ]);
    if (how === 'joined' && tr.ok) {
      const joinedOutcome = await afterJoin(ctx, name, c, consulted, where, () => newCall);
      handedOver = true;
      return joinedOutcome;
    }
    if (!newCall) {
      if (tr.ok)
        fail(
          kind === 'attended'
            ? `reported done, but ${where} got no new call, and its consultation was not joined to ${pstn.name} either (${c.state} at the OXO, ${consulted.state} at ${where})`
            : `reported done, but ${where} got no new call`,
        );
      return undefined;
    }
    const fresh: Call = newCall;
    if (!tr.ok || !(await until(() => fresh.state === 'established', CALL_RELEASE_BOUND_MS))) {
      if (tr.ok) fail(`${where}'s new leg never reached the established state`);
      return undefined;
    }
    if (!(await until(() => over(c) && over(consulted), CALL_RELEASE_BOUND_MS)))
      fail(
        kind === 'attended'
          ? `the consultation ${ext.name} → ${where} is still up (${c.state} at the OXO, ${consulted.state} at ${where}) after the transfer: the new call to ${where} did not replace it (RFC 3891 Replaces)`
          : `the consultation ${ext.name} → ${where} is still ${consulted.state} at ${where} after the OXO cancelled it`,
      );
    if (!(await until(() => desk.call.state === 'ended', CALL_RELEASE_BOUND_MS)))
      fail(
        `${desk.name}'s leg still up ${CALL_RELEASE_BOUND_MS / 1000} s after the transfer was reported done`,
      );
    // An SBC that passes the REFER on leaves the transfer to the provider: A then talks to C on
    // the new call its provider placed, not through the SBC (as for the blind shape).
    const moved = lab.provider?.refers.find((r) => r.referredCall === pstn.call)?.call;
    const transferee: LoadParty = { call: moved ?? pstn.call, name: pstn.name };
    const t = transferee.call;
    if (!(await until(() => t.remoteDirection === 'sendrecv', HOLD_RELAY_MS)))
      fail(
        `${pstn.name}'s leg still sees a=${t.remoteDirection} ${HOLD_RELAY_MS / 1000} s after the transfer: it was left on hold`,
      );
    const far: LoadParty = { call: fresh, name: where };
    await loadAudioCheck(transferee, far, ctx.audioMs, ctx, rec.failures, `${name}, after the transfer`);
    handedOver = true;
    return {
      hangup: transferee,
      far,
      others: [
        { call: desk.call, name: `${desk.name}'s leg of the transferred call` },
        { call: c, name: `${ext.name}'s consultation leg to ${where}` },
        { call: consulted, name: `${where}'s consultation leg` },
        ...(moved ? [{ call: pstn.call, name: `${pstn.name}'s first call` }] : []),
      ],
    };
  } finally {
    arriving.cancel();
    referred?.cancel();
    for (const x of [newCall, cCall, out]) if (x) ctx.legs.add(x);
    if (!handedOver) for (const x of [newCall, cCall, out]) await x?.hangup().catch(() => undefined);
  }
}

/**
 * Attended, by REFER, the SBC joined A to C's consultation leg (RFC 3891 §3, RFC 7092 §3: a
 * back-to-back SBC may honour a Replaces that names a dialog of its own by joining the legs it
 * has): B's consultation leg ended, C's is still up. B's leg with A must end too; A's leg must
 * be off hold; C must get no new call as well; the audio both ways between A and C runs on
 * C's consultation leg, which is then the far party of the release.
 */
async function afterJoin(
  ctx: LoadShapeContext,
  name: LoadShapeName,
  c: Call,
  consulted: Call,
  where: string,
  newCall: () => Call | undefined,
): Promise<LoadShapeOutcome> {
  const { rec, desk, pstn, ext } = ctx;
  const fail = (s: string) => rec.failures.push(`${name}: ${s}`);
  if (!(await until(() => desk.call.state === 'ended', CALL_RELEASE_BOUND_MS)))
    fail(
      `${desk.name}'s leg still up ${CALL_RELEASE_BOUND_MS / 1000} s after the transfer was reported done`,
    );
  const a = pstn.call;
  if (!(await until(() => a.remoteDirection === 'sendrecv', HOLD_RELAY_MS)))
    fail(
      `${pstn.name}'s leg still sees a=${a.remoteDirection} ${HOLD_RELAY_MS / 1000} s after the transfer: it was left on hold`,
    );
  const far: LoadParty = { call: consulted, name: `${where} (consultation leg)` };
  await loadAudioCheck(pstn, far, ctx.audioMs, ctx, rec.failures, `${name}, after the transfer`);
  const extra = newCall();
  if (extra)
    fail(
      `${where} kept its consultation leg, joined to ${pstn.name}, and got a new call as well (${extra.state})`,
    );
  return {
    hangup: pstn,
    far,
    others: [
      { call: desk.call, name: `${desk.name}'s leg of the transferred call` },
      { call: c, name: `${ext.name}'s consultation leg to ${where}` },
      ...(extra ? [{ call: extra, name: `${where}'s extra new call` }] : []),
    ],
  };
}

/** 8-5-2: B transfers while C rings. */
export const transferSemiShape = consultTransferShape('transfer-semi', 'semi-attended');
/** 8-5-3: B transfers once C answered and talked to B. */
export const transferAttendedShape = consultTransferShape('transfer-attended', 'attended');
