/**
 * A small plan of synthetic cases for the runner's own tests: each case really starts the lab
 * (the runner does that) but only records checks, so verdicts are known in advance.
 * Run as a script (`node bin/run-ts.js test/runner/fake-plan.ts OUTDIR [--resume]`) it runs the
 * plan in a child process, which the kill -9 test interrupts.
 */
import { loadProfile } from '../../harness/config/profile.ts';
import { type CaseDefinition, NotApplicable, runPlan, testCase } from '../../harness/runner/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FAKE_PLAN: CaseDefinition[] = [
  testCase({
    id: 'T-1',
    section: '6.1',
    title: 'passes',
    steps: ['a check that holds'],
    async run(ctx) {
      await sleep(300);
      ctx.check.that('one equals one', true, { expected: '1', observed: '1' });
    },
  }),
  testCase({
    id: 'T-2',
    section: '6.1',
    title: 'fails',
    steps: ['a check that fails'],
    async run(ctx) {
      await sleep(300);
      ctx.check.that('tone heard', false, {
        expected: 'a tone',
        observed: 'silence',
        failure: 'No audio from A reached B',
      });
    },
  }),
  testCase({
    id: 'T-3',
    section: '6.1',
    title: 'needs INFO',
    steps: ['needs SIP INFO'],
    needs: ['dtmf:info'],
    async run() {},
  }),
  testCase({
    id: 'T-4',
    section: '6.1',
    title: 'throws',
    steps: ['a harness bug'],
    async run() {
      await sleep(300);
      throw new Error('boom');
    },
  }),
  testCase({
    id: 'T-5',
    section: '6.1',
    title: 'not applicable at run time',
    steps: ['decides N/A'],
    async run() {
      throw new NotApplicable('the lab has no fax machine');
    },
  }),
  testCase({
    id: 'T-6',
    section: '6.1',
    title: 'waits',
    steps: ['a long wait'],
    waits: { fullMs: 5000, quickMs: 200 },
    async run(ctx) {
      await ctx.wait(5000, 200, 'the long wait');
      ctx.check.that('still here', true, { expected: 'yes', observed: 'yes' });
    },
  }),
  testCase({ id: 'T-7', section: '6.1', title: 'records nothing', steps: ['no check'], async run() {} }),
  testCase({
    id: 'T-8',
    section: '6.1',
    title: 'hangs',
    steps: ['never ends'],
    timeoutMs: 500,
    async run() {
      await new Promise(() => undefined);
    },
  }),
];

export const EXPECTED: Record<string, string> = {
  'T-1': 'OK',
  'T-2': 'NOK',
  'T-3': 'N/A',
  'T-4': 'ERROR',
  'T-5': 'N/A',
  'T-6': 'OK',
  'T-7': 'ERROR',
  'T-8': 'ERROR',
};

if (process.argv[1]?.endsWith('fake-plan.ts') && process.argv[2]) {
  await runPlan({
    cases: FAKE_PLAN,
    profile: loadProfile(),
    profileFile: 'profiles/embedded.yaml',
    outDir: process.argv[2],
    harnessVersion: 'test',
    quick: true,
    resume: process.argv.includes('--resume'),
    caseTimeoutMs: 1500,
  });
}
