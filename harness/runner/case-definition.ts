/**
 * The case API: each case of the plan is declared once, reads like its row in the IWR, and
 * says what it needs (capabilities of the lab, the PBX, the SBC and this host) and which SBC
 * preconditions it asks for.
 */
import type { SecurityClaim } from '../config/profile-schema.ts';
import type { CaseContext } from './case-context.ts';

/**
 * Capabilities a case can need. A case whose needs are not met is N/A, with the reason as its
 * comment (see capabilities.ts for where each comes from).
 */
export type Need =
  | 'codec:G722'
  | 'codec:G729'
  | 'codec:G723'
  | 'dtmf:info'
  | 'oxo:remote-worker'
  | 'oxo:refer-transfer'
  | 'sbc:tls'
  | 'sbc:srtp'
  | 'lab:t38'
  /** An item of the SBC's security claims (sbc.securityClaims). */
  | `security:${SecurityClaim}`;

/** What a case asks of the SBC before it runs; applied by the DUT adapter or asked of the engineer. */
export interface SbcPrecondition {
  /** Codec order the SBC should offer, first preferred. */
  codecOrder?: string[];
  /** SDES-SRTP toward the provider. */
  srtpTowardProvider?: boolean;
  /** Transport between provider and SBC. */
  providerTransport?: 'udp' | 'tcp' | 'tls';
}

export interface CaseDefinition {
  /** The IWR's test case id, e.g. "8-1-1". */
  id: string;
  /** The IWR section, e.g. "8.2". */
  section: string;
  title: string;
  /** Actions and expected result, in our own words. */
  steps: string[];
  needs?: Need[];
  sbc?: SbcPrecondition;
  /** Provider-side and PBX-side settings the case wants (codec orders of the simulators). */
  lab?: {
    providerCodecs?: string[];
    deskphoneCodecs?: string[];
    /**
     * The OXO takes several calls per DID (multi-line sets, at least two calls each), as
     * configured for the multi-line cases; default off (a second call to a busy set gets 486).
     */
    oxoMultiLine?: boolean;
  };
  /** Changes shared SBC state: never runs beside another case. */
  exclusive?: boolean;
  /** Real-time waits the case needs at full length and with --quick, in ms (for the floor in benchmarks). */
  waits?: { fullMs: number; quickMs: number };
  /** Harness timeout for this case, in ms (default 60 s, plus its waits). */
  timeoutMs?: number;
  /** A note that always goes into the comment (e.g. how this case differs from the report's). */
  note?: string;
  run(ctx: CaseContext): Promise<void>;
  /**
   * How the case runs when real equipment stands on one side (profile oxo.kind or provider.kind:
   * real; docs/real-equipment.md): the steps the simulator of that side would play become
   * instructions to the engineer, and what only a person can see or hear becomes a question.
   * The harness still measures and judges the side it simulates. A case without the variant for
   * the run's real side is INCOMPLETE, saying so (it is not N/A: the feature may well apply).
   */
  real?: {
    oxo?: (ctx: CaseContext) => Promise<void>;
    provider?: (ctx: CaseContext) => Promise<void>;
  };
}

export function testCase(def: CaseDefinition): CaseDefinition {
  if (!/^\d+-\d+-\d+$|^[TS]-\d+$/.test(def.id))
    throw new Error(`case id "${def.id}" is not of the form 8-1-1, T-1 or S-1`);
  return def;
}
