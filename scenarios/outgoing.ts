/** Cases of the eSBC plan: outgoing (written by the scenario group that owns this file). */
import type { CaseDefinition } from '../harness/runner/index.ts';

export const OUTGOING_CASES: CaseDefinition[] = [];
