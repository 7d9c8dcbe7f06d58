/** Cases of the eSBC plan: features (written by the scenario group that owns this file). */
import type { CaseDefinition } from '../harness/runner/index.ts';

export const FEATURES_CASES: CaseDefinition[] = [];
