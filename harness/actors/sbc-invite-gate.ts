/**
 * Whether the reference SBC routes a new INVITE, by where it comes from (sbc-access-policy.ts):
 * the refusal to send, or undefined when the call may go on.
 *
 * - a source held off after failed authentications: 503 with Retry-After;
 * - WAN: a source that is not one of the provider's addresses: 403 (RFC 3261 §21.4.4);
 * - LAN: a source that is not the registered trunk's address must authenticate as the trunk
 *   user: 401 with a challenge, 403 for wrong credentials (RFC 3261 §22.1, §22.4);
 * - fault flood-lockout: 503 to everyone once the SBC counts more than 100 INVITEs in 2 s;
 * - fault malformed-stall: 503 to everyone for 10 s after more than 100 unparsable messages.
 */
import type { SipRequest } from '../sip/index.ts';
import { addressIn, type GlobalInviteLockout, type MalformedStall } from './sbc-access-policy.ts';
import type { ReferenceSbcConfig } from './sbc-config.ts';
import { faultOn } from './sbc-faults.ts';
import type { SbcSide } from './sbc-media-relay.ts';
import type { SbcRegistrar } from './sbc-registrar.ts';

export interface InviteRefusal {
  status: number;
  headers: Array<[string, string]>;
}

export function inviteRefusal(
  sbc: { readonly config: ReferenceSbcConfig; readonly registrar: SbcRegistrar },
  side: SbcSide,
  req: SipRequest,
  source: string,
  lockout: GlobalInviteLockout,
  stall?: MalformedStall,
): InviteRefusal | undefined {
  const c = sbc.config;
  if (faultOn(c.faults, 'malformed-stall') && stall?.stalled())
    return { status: 503, headers: [['Retry-After', '10']] };
  if (faultOn(c.faults, 'flood-lockout') && lockout.locked())
    return { status: 503, headers: [['Retry-After', '10']] };
  const held = sbc.registrar.heldOff(source);
  if (held !== undefined) return { status: 503, headers: [['Retry-After', String(held)]] };
  if (side === 'wan') {
    if (c.security.wanInvites === 'any' || faultOn(c.faults, 'open-wan')) return undefined;
    const allowed =
      c.security.providerAddresses.length > 0 ? c.security.providerAddresses : [c.wan.provider.address];
    return addressIn(source, allowed) ? undefined : { status: 403, headers: [] };
  }
  if (c.security.lanInvites === 'any' || faultOn(c.faults, 'open-lan')) return undefined;
  if (sbc.registrar.current().some((b) => addressIn(source, [b.flow.remote.address]))) return undefined;
  // With authenticateInvites every LAN INVITE is challenged after this gate anyway.
  if (c.lan.authenticateInvites) return undefined;
  return sbc.registrar.challengeFor(req, source);
}
