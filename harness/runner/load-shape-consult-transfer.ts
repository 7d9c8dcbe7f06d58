/**
 * The transfer shapes of the load with a consultation (`transfer-semi`, `transfer-attended`),
 * after the plan's cases 8-5-2 (semi-attended) and 8-5-3 (attended), scenarios/transfers.ts.
 * The load call is A (the transferee, the PSTN party) to B (the extension, the transferor);
 * C is the slot's transfer target, the same provider phone the blind shape uses (`load-t-<i>`,
 * number +4940557 and the slot in 4 digits, load-shape-transfer.ts).
 *
 * As in the plan's cases, the OXO carries the transfer out itself (OxoTrunk.transfer in PBX
 * mode, whatever `oxo.transferMode` says, and whatever the blind shape set for the run): the
 * plan's cases join A to C's trunk call inside the PBX and put no REFER on the trunk. Here A is
 * outside, so the OXO bridges A's trunk call to B's consultation call to C: the SBC carries
 * both calls and every request of the transfer on them. The REFER-based ways (RFC 3515 REFER,
 * RFC 5589 transfer with consultation; the attended one with Replaces, RFC 3891) are not what
 * the plan's cases do, and are left to the blind shape's REFER (8-5-4).
 *
 * Judged, in order ("<shape>: …" in the failures):
 * - audio both ways between A and B before the transfer (the call's own audio figures);
 * - B holds A: the re-INVITE (a=sendonly) answered 2xx, A's leg sees a=sendonly or a=inactive
 *   (RFC 3264 §8.4: both hold; an SBC may pass either on), as the hold shape judges it;
 * - B calls C through the SBC (the consultation) and C is reached.
 *   Semi-attended: C rings (B's call sees 18x), B transfers while C rings, then C answers.
 *   Attended: C answers first and the audio both ways between B and C is checked ("during the
 *   consultation"), then B transfers;
 * - the OXO joined the two calls (it resumes A with a re-INVITE a=sendrecv, which A's leg must
 *   see again);
 * - audio both ways between A and C ("after the transfer");
 * - the release (load-run.ts): A hangs up; C's leg must end (the OXO ends the consultation when
 *   A's call ends, and the SBC relays both BYEs), and so must B's two trunk legs (the load
 *   call's and the consultation's), each within the release bound.
 */
import type { Call, PstnPhone } from '../actors/index.ts';
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
import { loadTransferTargets, loadTransferTargetsOf } from './load-shape-transfer.ts';

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
  const oxo = lab.oxo as NonNullable<typeof lab.oxo>;
  const targets = loadTransferTargetsOf(lab) as NonNullable<ReturnType<typeof loadTransferTargetsOf>>;
  const where = `${target.id} (${target.number})`;
  const fail = (s: string) => rec.failures.push(`${name}: ${s}`);
  await loadHold(ctx, name);

  const arriving = targets.expect(slot);
  let out: Call | undefined;
  let cCall: Call | undefined;
  let handedOver = false;
  try {
    const placed = await ext.call(`${lab.profile.oxo.outgoingPrefix}${target.number}`);
    if (!('media' in placed)) {
      fail(`${ext.name} dialled ${target.number} for the consultation and the PBX kept the call internal`);
      return undefined;
    }
    out = placed;
    cCall = await Promise.race([arriving.promise, sleep(TARGET_MS).then(() => undefined)]);
    if (!cCall) {
      fail(
        `${ext.name}'s consultation call never reached ${where} (call ${out.state}, status ${out.status ?? 'none'})`,
      );
      return undefined;
    }
    const far: LoadParty = { call: cCall, name: where };
    const consult: LoadParty = { call: out, name: `${ext.name} (consultation)` };
    let transferred: ReturnType<typeof oxo.transfer>;
    if (kind === 'semi-attended') {
      const c = out;
      if (!(await until(() => c.state === 'ringing', RELAY_MS)))
        fail(
          `${ext.name}'s consultation call to ${where} was ${c.state}, not ringing, when the transfer was due`,
        );
      transferred = oxo.transfer('semi-attended', desk.call, { consultation: c, mode: 'pbx' });
      if (!(await cCall.answer())) fail(`${where} could not answer the consultation call`);
    } else {
      const c = out;
      if (
        !(await until(
          () => c.state === 'established' && far.call.state === 'established',
          CALL_RELEASE_BOUND_MS,
        ))
      ) {
        fail(`${ext.name}'s consultation call to ${where} never reached the established state (${c.state})`);
        return undefined;
      }
      await loadAudioCheck(
        consult,
        far,
        ctx.audioMs,
        ctx.clock,
        rec.failures,
        `${name}, during the consultation`,
      );
      transferred = oxo.transfer('attended', desk.call, { consultation: c, mode: 'pbx' });
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
    await loadAudioCheck(pstn, far, ctx.audioMs, ctx.clock, rec.failures, `${name}, after the transfer`);
    handedOver = true;
    return {
      hangup: pstn,
      far,
      others: [
        { call: desk.call, name: `${desk.name}'s leg of the transferred call` },
        { call: out, name: `${ext.name}'s consultation leg to ${where}` },
      ],
    };
  } finally {
    arriving.cancel();
    if (!handedOver) {
      await cCall?.hangup().catch(() => undefined);
      await out?.hangup().catch(() => undefined);
    }
  }
}

/** 8-5-2: B transfers while C rings. */
export const transferSemiShape = consultTransferShape('transfer-semi', 'semi-attended');
/** 8-5-3: B transfers once C answered and talked to B. */
export const transferAttendedShape = consultTransferShape('transfer-attended', 'attended');
