/**
 * The transfer shape of the load (`transfer`), after the plan's case 8-5-4 (unattended transfer
 * of an external call by REFER): once the call is up and its audio checked, the extension
 * transfers the PSTN party (the transferee) blind to a second provider phone of the slot (the
 * target, `load-t-<i>`, number +4940557 and the slot in 4 digits) with a REFER on its trunk
 * leg (RFC 3515). As the plan's 8-5-4, it needs an OXO that transfers by REFER
 * (`oxo.transferMode: refer`): with one that joins calls inside the PBX no REFER reaches the SBC,
 * and the run refuses the shape (load-call-shapes.ts, mixProblems).
 *
 * Judged: the REFER answered 2xx and a final NOTIFY 200 (RFC 3515 §2.4.4); the target called
 * and established; the extension's leg ended (the OXO hangs up after the NOTIFY 200, RFC 5589
 * §6); then the audio check between the transferee and the target ("after the transfer"). Both
 * ways an SBC may carry it out are accepted, as in 8-5-4: it calls the target itself and bridges
 * the transferee's leg to it (the embedded SBC's `referPolicy: local`), or passes the REFER on
 * to the provider, whose phone then calls the target on a new call (`pass`). The caller's
 * hang-up and the release are then judged on the transferee and the target (load-run.ts).
 */
import {
  type Call,
  type Lab,
  type OxoTransferRecord,
  type OxoTrunk,
  type PstnPhone,
  providerPhonePrefs,
} from '../actors/index.ts';
import { CALL_RELEASE_BOUND_MS } from './call-invariants.ts';
import {
  type LoadParty,
  type LoadShape,
  type LoadShapeContext,
  type LoadShapeOutcome,
  loadAudioCheck,
  sleep,
  until,
} from './load-shape.ts';

/** The number of slot `i`'s transfer target. */
export function loadTransferTargetNumber(i: number): string {
  return `+4940557${String(i).padStart(4, '0')}`;
}

/** Longest wait for the target's leg to arrive after the transfer was reported, ms. */
const TARGET_MS = 5000;

/**
 * The transfer targets of one lab: a phone per slot and the call each is waited for. The
 * consultation transfer shapes (load-shape-consult-transfer.ts) call the same phones: a slot
 * runs one call at a time, so its target takes one call at a time.
 */
export class LoadTransferTargets {
  readonly phones: PstnPhone[] = [];
  private readonly waiting = new Map<number, (c: Call) => void>();

  constructor(
    private readonly lab: Lab,
    /** The first slot of this lab's load (an agent's own range, load-agents.ts): numbers stay apart. */
    private readonly slotBase = 0,
  ) {}

  /** Adds the target phones of slots not covered yet (a later run on the same lab may have more). */
  grow(slots: number): void {
    const lab = this.lab;
    const provider = lab.provider;
    if (!provider) throw new Error('a transfer needs the lab provider');
    for (let i = this.phones.length; i < slots; i++) {
      const id = `load-t-${this.slotBase + i}`;
      let ph: PstnPhone | undefined;
      try {
        ph = provider.phone(id);
      } catch {
        ph = undefined;
      }
      if (!ph) {
        const slot = i;
        const added = provider.addPhone({
          id,
          number: loadTransferTargetNumber(this.slotBase + i),
          displayName: `Load target ${this.slotBase + i}`,
          prefs: providerPhonePrefs(lab.profile),
        });
        added.on('call', (call) => {
          void added.nextIncoming(); // paired here; keep the phone's queue empty
          const w = this.waiting.get(slot);
          this.waiting.delete(slot);
          if (w) w(call);
          else void call.hangup().catch(() => undefined); // nobody waits: not ours
        });
        ph = added;
      }
      this.phones.push(ph);
    }
  }

  /** The next call to slot `i`'s target; `cancel` stops waiting (a later call is then hung up). */
  expect(i: number): { promise: Promise<Call>; cancel: () => void } {
    let mine: ((c: Call) => void) | undefined;
    const promise = new Promise<Call>((r) => {
      mine = r;
      this.waiting.set(i, r);
    });
    return {
      promise,
      cancel: () => {
        if (this.waiting.get(i) === mine) this.waiting.delete(i);
      },
    };
  }
}

const targetsOf = new WeakMap<Lab, LoadTransferTargets>();

/** The transfer targets of `lab`, made on first use and grown to `slots` phones. */
export function loadTransferTargets(lab: Lab, slots: number, slotBase = 0): LoadTransferTargets {
  let t = targetsOf.get(lab);
  if (!t) {
    t = new LoadTransferTargets(lab, slotBase);
    targetsOf.set(lab, t);
  }
  t.grow(slots);
  return t;
}

/** The transfer targets of `lab` when a shape's setup made them. */
export function loadTransferTargetsOf(lab: Lab): LoadTransferTargets | undefined {
  return targetsOf.get(lab);
}

/** Why the blind `transfer` shape does not run with an OXO that transfers inside the PBX. */
export const TRANSFER_NEEDS_REFER =
  "--mix transfer: the profile's OXO transfers inside the PBX (oxo.transferMode: internal), so no REFER reaches the SBC (the plan's 8-5-4 is not applicable); set oxo.transferMode: refer for an OXO that transfers by REFER, or load transfers with transfer-semi and transfer-attended, which the OXO joins itself";

export const transferShape: LoadShape = {
  name: 'transfer',
  setup(lab, slots, slotBase = 0) {
    const oxo = lab.oxo;
    if (!oxo) throw new Error('a transfer needs the lab OXO trunk');
    if (oxo.profile.transferMode !== 'refer') throw new Error(TRANSFER_NEEDS_REFER);
    loadTransferTargets(lab, slots, slotBase);
  },
  async run(ctx) {
    const { lab, rec, slot } = ctx;
    rec.audio = await loadAudioCheck(ctx.caller, ctx.callee, ctx.audioMs, ctx, rec.failures);
    const targets = targetsOf.get(lab);
    const target = targets?.phones[slot];
    if (!targets || !lab.oxo || !target) {
      rec.failures.push('transfer: harness error: the transfer targets were not set up');
      return undefined;
    }
    const arriving = targets.expect(slot);
    try {
      return await transfer(ctx, target, arriving.promise);
    } finally {
      arriving.cancel();
    }
  },
};

/**
 * Judges an OXO REFER transfer (RFC 3515): answered 2xx (§2.4.2), then reported done by a
 * final NOTIFY 200 (§2.4.4). Adds one sentence, prefixed `label`, to `failures` when not.
 */
export function judgeLoadRefer(
  label: string,
  tr: OxoTransferRecord,
  from: string,
  where: string,
  failures: string[],
): void {
  if (tr.referStatus === undefined || tr.referStatus >= 300) {
    failures.push(
      `${label}: the REFER from ${from} to ${where} was answered ${tr.referStatus ?? 'nothing'}${tr.reason && tr.referStatus === undefined ? ` (${tr.reason})` : ''}`,
    );
  } else if (!tr.ok)
    failures.push(
      `${label}: the REFER to ${where} was accepted (${tr.referStatus}) but not reported done: NOTIFY ${tr.notifyStatuses.join(', ') || 'none'}${tr.reason ? ` (${tr.reason})` : ''}`,
    );
}

/** The REFER, the target's leg, the extension's leg ended, audio between transferee and target. */
async function transfer(
  ctx: LoadShapeContext,
  target: PstnPhone,
  arriving: Promise<Call>,
): Promise<LoadShapeOutcome | undefined> {
  const { lab, rec, desk, pstn } = ctx;
  const tr = await (lab.oxo as OxoTrunk).transfer('unattended', desk.call, { target: target.number });
  const where = `${target.id} (${target.number})`;
  judgeLoadRefer('transfer', tr, desk.name, where, rec.failures);
  const tCall = await Promise.race([arriving, sleep(tr.ok ? TARGET_MS : 500).then(() => undefined)]);
  if (tCall) ctx.legs.add(tCall);
  if (!tCall) {
    if (tr.ok) rec.failures.push(`transfer: reported done, but ${where} was never called`);
    return undefined;
  }
  const far: LoadParty = { call: tCall, name: where };
  // An SBC that passes the REFER on leaves the transfer to the provider: the transferee then
  // talks to the target on the new call its provider placed (RFC 3515), not through the SBC.
  const moved = lab.provider?.refers.find((r) => r.referredCall === pstn.call)?.call;
  const transferee: LoadParty = { call: moved ?? pstn.call, name: pstn.name };
  if (!tr.ok || !(await until(() => tCall.state === 'established', CALL_RELEASE_BOUND_MS))) {
    if (tr.ok) rec.failures.push(`transfer: ${where}'s leg never reached the established state`);
    await tCall.hangup().catch(() => undefined);
    return undefined;
  }
  if (!(await until(() => desk.call.state === 'ended', CALL_RELEASE_BOUND_MS)))
    rec.failures.push(
      `transfer: ${desk.name}'s leg still up ${CALL_RELEASE_BOUND_MS / 1000} s after the transfer was reported done`,
    );
  await loadAudioCheck(transferee, far, ctx.audioMs, ctx, rec.failures, 'after the transfer');
  return { hangup: transferee, far };
}
