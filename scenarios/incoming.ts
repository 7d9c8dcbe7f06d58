/** Cases of the eSBC plan: incoming (written by the scenario group that owns this file). */
import type { CaseDefinition } from '../harness/runner/index.ts';

export const INCOMING_CASES: CaseDefinition[] = [];
