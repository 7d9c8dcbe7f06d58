import { configDefaults, defineConfig } from 'vitest/config';
import { LongFirstSequencer } from './test/support/long-first-sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compose lab's verdict comparison runs only inside .ci/compose-lab, which sets the
    // results to compare; elsewhere it is not collected at all (rather than skipped).
    // So does the over-the-wire fuzz at CI size, a step of its own (SBC_HARNESS_WIRE_FUZZ=1).
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.SBC_HARNESS_COMPOSE_RESULTS ? [] : ['test/lab/compose-verdicts.test.ts']),
      ...(process.env.SBC_HARNESS_WIRE_FUZZ ? [] : ['test/bench/wire-fuzz-ci.test.ts']),
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that start real peers (SIPp, tshark, ffmpeg) bind loopback ports; two cores are all there is.
    maxWorkers: 2,
    // The longest files start first, so that neither worker waits alone at the end of the run.
    sequence: { sequencer: LongFirstSequencer },
    reporters: ['default'],
  },
});
