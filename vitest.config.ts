import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The compose lab's verdict comparison runs only inside .ci/compose-lab, which sets the
    // results to compare; elsewhere it is not collected at all (rather than skipped).
    exclude: process.env.SBC_HARNESS_COMPOSE_RESULTS
      ? [...configDefaults.exclude]
      : [...configDefaults.exclude, 'test/lab/compose-verdicts.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that start real peers (SIPp, tshark, ffmpeg) bind loopback ports; two cores are all there is.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
