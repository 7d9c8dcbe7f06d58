/** Cases of the eSBC plan: transfers (written by the scenario group that owns this file). */
import type { CaseDefinition } from '../harness/runner/index.ts';

export const TRANSFERS_CASES: CaseDefinition[] = [];
