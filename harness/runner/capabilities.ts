/**
 * What the lab, the PBX, the SBC and this host can do, from the profile (a conformance
 * statement) and from the host itself. A case needing what the product lacks is N/A with the
 * reason; a case needing what only this host or the harness lacks (a codec library, T.38 in
 * the simulators) is INCOMPLETE, since the feature may well apply to the product
 * (docs/verdicts.md).
 */
import { g729 } from '../../codecs/index.ts';
import type { Profile, SecurityClaim } from '../config/profile-schema.ts';
import type { Need } from './case-definition.ts';

export interface NeedCheck {
  met: boolean;
  /** Why not, as the cell's comment. */
  reason?: string;
  /** True when what is missing is this host's or the harness's, not the product's (the cell is INCOMPLETE, not N/A). */
  host?: boolean;
}

export function checkNeed(need: Need, profile: Profile): NeedCheck {
  switch (need) {
    case 'codec:G722':
      return profile.sbc.codecOrder.includes('G722')
        ? { met: true }
        : { met: false, reason: 'The SBC profile does not offer G.722 (sbc.codecOrder)' };
    case 'codec:G729':
      if (!profile.sbc.codecOrder.includes('G729') || !profile.provider.codecs.includes('G729')) {
        return {
          met: false,
          reason: 'G.729 is not in the codec lists of the profile (sbc.codecOrder / provider.codecs)',
        };
      }
      if (profile.sbc.kind === 'embedded' && !g729.available()) {
        // G.729 is ours in TypeScript (codecs/g729/), so this holds on every host since issue 13;
        // kept for a codec object that reports itself unavailable.
        return {
          met: false,
          host: true,
          reason: `G.729 cannot be encoded on this host: ${g729.unavailableReason?.() ?? 'libbcg729 missing'}`,
        };
      }
      return { met: true };
    case 'codec:G723':
      return profile.sbc.codecOrder.includes('G723') && profile.provider.codecs.includes('G723')
        ? { met: true }
        : {
            met: false,
            reason: 'G.723 is not in the codec lists of the profile (sbc.codecOrder / provider.codecs)',
          };
    case 'dtmf:info':
      return profile.oxo.dtmf.info
        ? { met: true }
        : { met: false, reason: 'OXO Connect does not support DTMF via SIP INFO (oxo.dtmf.info: false)' };
    case 'oxo:remote-worker':
      return profile.oxo.extensions.remote
        ? { met: true }
        : { met: false, reason: 'The profile declares no remote-worker deskphone (oxo.extensions.remote)' };
    case 'oxo:refer-transfer':
      return profile.oxo.transferMode === 'refer'
        ? { met: true }
        : {
            met: false,
            reason:
              'The OXO profile transfers inside the PBX (oxo.transferMode: internal), so no REFER reaches the SBC',
          };
    case 'sbc:tls':
      return profile.sbc.wan.transports.includes('tls')
        ? { met: true }
        : { met: false, reason: 'The SBC offers no TLS toward the provider (sbc.wan.transports)' };
    case 'sbc:srtp':
      return profile.sbc.kind === 'embedded' || profile.sbc.srtpTowardProvider
        ? { met: true }
        : {
            met: false,
            reason: 'The SBC profile does not declare SRTP toward the provider (sbc.srtpTowardProvider)',
          };
    case 'lab:t38':
      // The harness's own lack, not the product's: an OXO Connect and an SBC may well do T.38,
      // so the cell is INCOMPLETE, never N/A (docs/verdicts.md, rule 1).
      return {
        met: false,
        host: true,
        reason:
          'the harness’s simulated provider and PBX do not do T.38 (image/t38 over UDPTL) yet, so T.38 through the SBC is not judged; fax over G.711 is case T-8',
      };
    default: {
      const claim = need.slice('security:'.length) as SecurityClaim;
      return profile.sbc.securityClaims.includes(claim)
        ? { met: true }
        : {
            met: false,
            reason: `The SBC does not claim this protection (${claim} is not in sbc.securityClaims)`,
          };
    }
  }
}

/**
 * The first unmet need of a case, or undefined when all are met. A need the product lacks comes
 * before one this host lacks, so a case is N/A rather than INCOMPLETE when both apply.
 */
export function unmetNeed(
  needs: readonly Need[] | undefined,
  profile: Profile,
): { reason: string; host: boolean } | undefined {
  let host: { reason: string; host: boolean } | undefined;
  for (const n of needs ?? []) {
    const c = checkNeed(n, profile);
    if (c.met) continue;
    if (!c.host) return { reason: c.reason ?? n, host: false };
    host ??= { reason: c.reason ?? n, host: true };
  }
  return host;
}
