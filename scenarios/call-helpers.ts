/**
 * Small steps the cases share: a call from a PSTN phone to an extension and back, each leg
 * established and checked. They keep the cases reading like their rows in the IWR.
 */
import type { Call, Extension } from '../harness/actors/index.ts';
import { CALL_RELEASE_BOUND_MS, type CaseContext } from '../harness/runner/index.ts';

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

/**
 * Hangs up the deskphone's leg and lets the SBC release the provider's leg (the call invariants
 * judge that it did, within {@link CALL_RELEASE_BOUND_MS}); whatever is still up a second after
 * that bound is hung up too, so nothing outlives the case.
 */
export async function hangUp(c: Connected | undefined): Promise<void> {
  if (!c) return;
  await c.desk.hangup().catch(() => undefined);
  await releasedWithin(c.pstn, CALL_RELEASE_BOUND_MS + 1000);
  await c.pstn.hangup().catch(() => undefined);
}

/** Resolves when `call` has ended, or after `ms` (true when it ended). */
export async function releasedWithin(call: Call, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    call.ended().then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return ended;
}

/**
 * Waits until the legs' media has settled: at once when every leg uses the same codec (nothing
 * to move), else until their negotiated media (codec, payload type, remote address) has stayed
 * the same for `quietMs`, or every leg uses the same codec, at most `maxMs`. An SBC that answered
 * the caller early may move it to the far side's codec with a re-INVITE right after the answer
 * (RFC 3264 §8), and a case judges the codecs as they then stand. Returning at once when nothing
 * is transcoded keeps the checks' timing as it was. Polls every 50 ms; bounded.
 */
export async function mediaSettled(calls: readonly Call[], quietMs = 300, maxMs = 2000): Promise<void> {
  const sameCodec = () => new Set(calls.map((c) => c.media.negotiated?.codec)).size === 1;
  const state = () =>
    calls
      .map((c) => {
        const n = c.media.negotiated;
        return n ? `${n.codec}/${n.payloadType}/${n.remote.address}:${n.remote.port}` : '-';
      })
      .join('|');
  let last = state();
  let stableFrom = Date.now();
  const end = stableFrom + maxMs;
  while (!sameCodec() && Date.now() < end && Date.now() - stableFrom < quietMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = state();
    if (now !== last) {
      last = now;
      stableFrom = Date.now();
    }
  }
}

/** Polls `done` every 50 ms until it holds or `ms` passed. Bounded in time and count. */
export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const rounds = Math.ceil(ms / 50);
  for (let i = 0; i < rounds && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  return done();
}
