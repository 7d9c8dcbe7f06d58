/**
 * The transfer shapes of the load with a consultation (`transfer-semi`, `transfer-attended`),
 * after the plan's cases 8-5-2 (semi-attended) and 8-5-3 (attended), scenarios/transfers.ts.
 * The load call is A (the transferee, the PSTN party) to B (the extension, the transferor);
 * C is the slot's transfer target, the same provider phone the blind shape uses (`load-t-<i>`,
 * number +4940557 and the slot in 4 digits, load-shape-transfer.ts). A is outside the PBX here
 * (in the plan's cases A is a second deskphone), so the OXO transfers it the way its profile
 * says for trunk calls (OxoTrunk.transfer, `oxo.transferMode` as configured; the blind shape's
 * run-wide switch to REFER does not apply to these shapes):
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
 *   §2.4.4); C got a new call that came up; the consultation is over on both sides (cancelled,
 *   or replaced and ended by C); B's leg with A ended (the OXO hangs up after the NOTIFY 200);
 * - A's leg (or its provider's new call) sees a=sendrecv again: A is off hold;
 * - audio both ways between A and C ("after the transfer");
 * - the release (load-run.ts): A hangs up; C's leg must end, and so must every other leg of the
 *   call (B's two trunk legs, C's consultation leg, A's first call when the provider moved it),
 *   each within the release bound.
 */
import type { Call, OxoTrunk, PstnPhone } from '../actors/index.ts';
import { CALL_RELEASE_BOUND_MS } from './call-invariants.ts';
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
/** Longest wait for the 18x of the consultation (semi-attended) and for a=sendrecv at A, ms. */
const RELAY_MS = 3000;

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
        ctx.clock,
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
        `${ext.name}'s consultation call never reached ${where} (call ${c.state}, status ${c.status ?? 'none'})`,
      );
      return undefined;
    }
    const consulted = cCall;
    const consult: LoadParty = { call: c, name: `${ext.name} (consultation)` };
    if (kind === 'semi-attended') {
      if (!(await until(() => c.state === 'ringing', RELAY_MS)))
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
        ctx.clock,
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
      if (!(await until(() => pstn.call.remoteDirection === 'sendrecv', RELAY_MS)))
        fail(
          `${pstn.name}'s leg still sees a=${pstn.call.remoteDirection} after the transfer (no resume reached it)`,
        );
      const far: LoadParty = { call: consulted, name: where };
      await loadAudioCheck(pstn, far, ctx.audioMs, ctx.clock, rec.failures, `${name}, after the transfer`);
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
    // dialog (RFC 3891). Either way C gets a new call (from the SBC or from the provider) and
    // answers it; with Replaces it takes the consultation's place, which C then ends.
    target.behaviour = { kind: 'answer' };
    referred = targets.expect(slot);
    const tr = await oxo.transfer(kind, desk.call, { consultation: c, mode: 'refer' });
    judgeLoadRefer(name, tr, desk.name, where, rec.failures);
    newCall = await Promise.race([referred.promise, sleep(tr.ok ? TARGET_MS : 500).then(() => undefined)]);
    if (!newCall) {
      if (tr.ok) fail(`reported done, but ${where} got no new call`);
      return undefined;
    }
    const fresh = newCall;
    if (!tr.ok || !(await until(() => fresh.state === 'established', CALL_RELEASE_BOUND_MS))) {
      if (tr.ok) fail(`${where}'s new leg never reached the established state`);
      return undefined;
    }
    const over = (x: Call) => x.state === 'ended' || x.state === 'failed';
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
    if (!(await until(() => t.remoteDirection === 'sendrecv', RELAY_MS)))
      fail(`${pstn.name}'s leg still sees a=${t.remoteDirection} after the transfer: it was left on hold`);
    const far: LoadParty = { call: fresh, name: where };
    await loadAudioCheck(
      transferee,
      far,
      ctx.audioMs,
      ctx.clock,
      rec.failures,
      `${name}, after the transfer`,
    );
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
    if (!handedOver) for (const x of [newCall, cCall, out]) await x?.hangup().catch(() => undefined);
  }
}

/** 8-5-2: B transfers while C rings. */
export const transferSemiShape = consultTransferShape('transfer-semi', 'semi-attended');
/** 8-5-3: B transfers once C answered and talked to B. */
export const transferAttendedShape = consultTransferShape('transfer-attended', 'attended');
