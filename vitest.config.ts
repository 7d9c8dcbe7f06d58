import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that start real peers (SIPp, tshark, ffmpeg) bind loopback ports; two cores are all there is.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
