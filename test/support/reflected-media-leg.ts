/**
 * A continuous G.723.1 media leg that hears only itself: its offer is answered by a leg that
 * never sends, with the answer's port rewritten to the offerer's own, so its RTP comes back to
 * it (an SBC that reflects a leg onto itself). Both legs are closed by the caller.
 */
import { MediaLeg } from '../../harness/actors/media-leg.ts';

export async function reflectedG723Leg(): Promise<{ self: MediaLeg; answering: MediaLeg }> {
  const prefs = { codecs: ['G723' as const], telephoneEvent: false };
  const self = await MediaLeg.open({ localAddress: '127.0.0.1', prefs, continuous: true });
  const answering = await MediaLeg.open({ localAddress: '127.0.0.1', prefs });
  const offer = self.createOffer();
  const port = /m=audio (\d+)/.exec(offer)?.[1] ?? '';
  const ans = answering.acceptOffer(offer);
  if (!ans.ok) throw new Error(ans.reason);
  const r = self.acceptAnswer(ans.answer.replace(/m=audio \d+/, `m=audio ${port}`));
  if (!r.ok) throw new Error(r.reason);
  return { self, answering };
}
