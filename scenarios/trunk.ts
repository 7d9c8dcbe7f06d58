/** Cases of the eSBC plan: trunk (written by the scenario group that owns this file). */
import type { CaseDefinition } from '../harness/runner/index.ts';

export const TRUNK_CASES: CaseDefinition[] = [];
