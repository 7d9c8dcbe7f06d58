/**
 * The eSBC test plan, in the order of the IWR: codecs (8.2), outgoing calls (8.3), incoming
 * calls (8.4), features during a call (8.5), transfers (8.6), and the trunk features of the
 * report's summary (section 6) as cases T-1 … .
 */
import type { CaseDefinition } from '../harness/runner/index.ts';
import { CODEC_CASES } from './codecs.ts';
import { FEATURES_CASES } from './features.ts';
import { INCOMING_CASES } from './incoming.ts';
import { OUTGOING_CASES } from './outgoing.ts';
import { withRealSteps } from './real-equipment.ts';
import { SECURITY_CASES, SECURITY_SECTION } from './security.ts';
import { TRANSFERS_CASES } from './transfers.ts';
import { TRUNK_CASES } from './trunk.ts';

export const PLAN: readonly CaseDefinition[] = [
  ...CODEC_CASES,
  ...OUTGOING_CASES,
  ...INCOMING_CASES,
  ...FEATURES_CASES,
  ...TRANSFERS_CASES,
  ...TRUNK_CASES,
  ...SECURITY_CASES,
].map(withRealSteps);

/**
 * How the plan is numbered, said once wherever cases are listed: the case ids are the test
 * plan's own (8-1-1 …), the sections the interworking report's, whose section 8 starts its
 * tables at 8.2, so case 8-N-M sits in section 8.(N+1); the T-* cases are the features of the
 * report's summary table (section 6.1) that no row of section 8 covers; the S-* cases, not in the
 * report, judge the SBC's own security (docs/security.md).
 */
export const NUMBERING_NOTE =
  'Case ids are the test plan’s (8-1-1 …); sections are the interworking report’s, whose tables start at 8.2, so case 8-N-M sits in section 8.(N+1). T-* cases test the features of the report’s summary (section 6.1) that no row of section 8 covers; S-* cases, not in the report, judge the SBC’s own security.';

/** Section titles and test objectives of the IWR, for the reports. */
export const SECTIONS: Record<string, { title: string; objective: string }> = {
  '8.2': {
    title: 'eSBC Tests: codecs',
    objective:
      'The SBC, the provider and the deskphones are configured with G.722, G.711 A-law, G.711 µ-law, G.729, G.723 in an order the case sets; calls are established and audio is good.',
  },
  '8.3': {
    title: 'Outgoing call',
    objective: 'Calls to an external PSTN number check the SBC, with DTMF in each mode.',
  },
  '8.4': {
    title: 'Incoming call',
    objective: 'Calls from an external PSTN number, the called party free, busy, unplugged or in DND.',
  },
  '8.5': {
    title: 'Features during call',
    objective: 'Hold and resume, switching between calls, three-party conference during a conversation.',
  },
  '8.6': {
    title: 'Call transfer',
    objective: 'Unattended, semi-attended and attended transfer; audio, tones and display checked for each.',
  },
  '6.1': {
    title: 'Trunk features',
    objective:
      'The features of the report’s summary: reachability, registration, authentication, RTP, TLS/SRTP on the provider side, fax.',
  },
  S: SECURITY_SECTION,
};
