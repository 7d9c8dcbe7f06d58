/**
 * REFER at the provider simulator, as a provider that supports call transfer handles it
 * (RFC 3515), or refuses it when the profile says the provider does not (`provider.refer: false`).
 *
 * A REFER arrives in the dialog of one of the provider's phones (the transferee, A): the SBC
 * relayed the REFER that the PBX sent on the trunk leg. The provider then:
 *   - answers 400 when the REFER does not carry exactly one Refer-To (RFC 3515 §2.4.1), or its
 *     target has no user part to route by;
 *   - answers 202 Accepted and reports progress by NOTIFY (Event: refer, message/sipfrag body,
 *     RFC 3515 §2.4.4-2.4.5): `100 Trying` at once, then the final status of the new call
 *     (200 OK, or the failure: 404 when nothing answers to the target, 486, 487, ...);
 *   - has A call the Refer-To target: one of its own phones (a call inside the provider, over
 *     SIP to its own listener, with Referred-By and any Replaces of the Refer-To, RFC 3891), or a
 *     DID of the SBC's line (a new call toward the SBC).
 * A provider that does not offer transfer answers 405 Method Not Allowed with the methods it
 * allows (RFC 3261 §8.2.1: a method it knows but does not support for this resource).
 *
 * The PBX ends its own leg once the final NOTIFY says 200 (RFC 5589 §6), so A's first call
 * ends; the new call is A's from then on ({@link ReferRecord.call}).
 */
import {
  createResponse,
  notifyReferProgress,
  replacesFromReferTo,
  type SendTarget,
  type ServerTransaction,
  type SipRequest,
} from '../sip/index.ts';
import type { Clock } from '../support/clock.ts';
import type { Call } from './call.ts';

/** Methods the provider allows on its phones' dialogs when it refuses REFER. */
export const PROVIDER_ALLOW_WITHOUT_REFER = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY';

/** One REFER a provider phone received, as evidence. */
export interface ReferRecord {
  atMs: number;
  /** The phone that was referred (the transferee). */
  phone: string;
  referTo: string;
  /** The status the provider answered to the REFER. */
  status: number;
  /** The call on which the REFER came. */
  referredCall: Call;
  /** The new call the transferee made, once placed. */
  call?: Call;
  /** Where the new call went: one of the provider's phones, or a DID of the SBC line. */
  targetKind?: 'phone' | 'line';
  /** Replaces of the Refer-To (attended transfer), unescaped. */
  replaces?: string;
  /** The sipfrag statuses NOTIFYed, in order. */
  notified: number[];
}

/** What REFER handling needs from the provider. */
export interface ReferHost {
  readonly referSupported: boolean;
  readonly clock: Clock;
  readonly refers: ReferRecord[];
  /** Where a call to `user` goes: one of the provider's phones (its own listener), or the SBC's line. */
  referTarget(
    user: string,
  ): { kind: 'phone'; uri: string; target: SendTarget } | { kind: 'line'; did: string } | undefined;
}

/** What the transferee's phone offers for the new call. */
export interface ReferringPhone {
  readonly id: string;
  /** A call from this phone to one of the provider's own phones (SIP to the provider's listener). */
  callInside(uri: string, target: SendTarget, to: string, headers: Array<[string, string]>): Promise<Call>;
  /** A call from this phone to a DID of the SBC line. */
  call(did: string, opts: { headers?: Array<[string, string]> }): Promise<Call>;
}

/** How long the provider waits for the referred call's final answer before it NOTIFYs 408. */
const REFERRED_CALL_TIMEOUT_MS = 60_000;

function userOf(req: SipRequest): string | undefined {
  const t = req.referTo;
  if (!t) return undefined;
  const u = t.uri;
  const user = 'user' in u ? u.user : 'number' in u ? u.number : undefined;
  return user && user.length > 0 ? user : undefined;
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    200: 'OK',
    404: 'Not Found',
    408: 'Request Timeout',
    480: 'Temporarily Unavailable',
    481: 'Call/Transaction Does Not Exist',
    486: 'Busy Here',
    487: 'Request Terminated',
    500: 'Server Internal Error',
    503: 'Service Unavailable',
    603: 'Decline',
  };
  return texts[status] ?? 'Failed';
}

/** REFER records a provider keeps, the newest (evidence for the cases; the load finds its calls' REFERs there). */
export const MAX_REFER_RECORDS = 1000;

/** Handles a REFER that arrived on `referred`, a call of `phone`. Never throws. */
export async function handleProviderRefer(
  host: ReferHost,
  phone: ReferringPhone,
  referred: Call,
  req: SipRequest,
  tx: ServerTransaction,
): Promise<void> {
  const referTos = req.getAll('refer-to');
  const rec: ReferRecord = {
    atMs: host.clock.now(),
    phone: phone.id,
    referTo: referTos.join(', '),
    status: 0,
    referredCall: referred,
    notified: [],
  };
  // The newest MAX_REFER_RECORDS: a long load still finds the REFER of the call it transfers.
  host.refers.push(rec);
  if (host.refers.length > MAX_REFER_RECORDS) host.refers.splice(0, host.refers.length - MAX_REFER_RECORDS);
  if (!host.referSupported) {
    rec.status = 405;
    tx.respond(createResponse(req, 405, { headers: [['Allow', PROVIDER_ALLOW_WITHOUT_REFER]] }));
    return;
  }
  const user = referTos.length === 1 ? userOf(req) : undefined;
  if (!user) {
    rec.status = 400;
    tx.respond(createResponse(req, 400));
    return;
  }
  rec.status = 202;
  tx.respond(createResponse(req, 202));
  const dialog = referred.dialog;
  const notify = async (status: number): Promise<void> => {
    rec.notified.push(status);
    if (dialog && referred.state === 'established')
      await notifyReferProgress(referred.ua, dialog, status, statusText(status)).catch(() => undefined);
  };
  await notify(100);
  const replaces = replacesFromReferTo(referTos[0]!);
  if (replaces) rec.replaces = replaces;
  const headers: Array<[string, string]> = [];
  const by = req.get('referred-by');
  if (by) headers.push(['Referred-By', by]);
  const where = host.referTarget(user);
  if (!where) {
    await notify(404);
    return;
  }
  rec.targetKind = where.kind;
  let call: Call;
  try {
    if (where.kind === 'phone') {
      if (replaces) headers.push(['Replaces', replaces]);
      call = await phone.callInside(where.uri, where.target, where.uri, headers);
    } else call = await phone.call(where.did, { headers });
  } catch {
    await notify(503);
    return;
  }
  rec.call = call;
  let timer: { cancel(): void } | undefined;
  const up = await Promise.race([
    call.established(),
    new Promise<false>((r) => {
      timer = host.clock.setTimeout(() => r(false), REFERRED_CALL_TIMEOUT_MS);
    }),
  ]);
  timer?.cancel();
  if (!up) {
    if (call.state !== 'ended' && call.state !== 'failed') call.cancel();
    const s = call.status && call.status >= 300 ? call.status : 408;
    await notify(s);
    return;
  }
  await notify(200);
}
