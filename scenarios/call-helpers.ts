/**
 * Small steps the cases share: a call from a PSTN phone to an extension and back, each leg
 * established and checked. They keep the cases reading like their rows in the IWR.
 */
import type { Call, Extension } from '../harness/actors/index.ts';
import type { CaseContext } from '../harness/runner/index.ts';

export interface Connected {
  /** The leg on the provider side (the PSTN phone's call). */
  pstn: Call;
  /** The leg on the PBX side (the extension's call). */
  desk: Call;
}

/** A PSTN phone calls an extension's DID; both legs must be established. */
export async function callExtension(
  ctx: CaseContext,
  phoneId: string,
  ext: Extension,
): Promise<Connected | undefined> {
  const incoming = ext.nextIncoming();
  const pstn = await ctx.provider.phone(phoneId).call(ext.did);
  if (!(await ctx.check.established(pstn, `${phoneId} to ${ext.name || ext.id}`))) return undefined;
  const desk = await incoming;
  if (!(await ctx.check.established(desk, `${ext.name || ext.id} answering`))) return undefined;
  return { pstn, desk };
}

/** An extension calls a PSTN phone through the trunk (with the outgoing prefix). */
export async function callExternal(
  ctx: CaseContext,
  ext: Extension,
  phoneId: string,
): Promise<Connected | undefined> {
  const phone = ctx.provider.phone(phoneId);
  const ringing = phone.nextIncoming();
  const out = await ext.call(`${ctx.profile.oxo.outgoingPrefix}${phone.number}`);
  if (!('media' in out)) {
    ctx.check.that('external call leaves the PBX', false, {
      expected: 'a SIP call on the trunk',
      observed: 'handled as an internal call',
      failure: `The call from ${ext.name} to ${phone.number} never reached the trunk`,
    });
    return undefined;
  }
  if (!(await ctx.check.established(out, `${ext.name || ext.id} to ${phoneId}`))) return undefined;
  const pstn = await ringing;
  return { pstn, desk: out };
}

/** Hangs up both legs, ignoring what is already gone. */
export async function hangUp(c: Connected | undefined): Promise<void> {
  if (!c) return;
  await c.desk.hangup().catch(() => undefined);
  await c.pstn.hangup().catch(() => undefined);
}
