/**
 * The benchmarks `npm run bench` knows, by file name under bench/ (without .ts), and the files
 * there that are parts of a benchmark rather than benchmarks of their own. A test keeps this
 * list, the files of bench/ and the commands of bench/RESULTS.md in step.
 */
export const BENCHES = [
  'sip-parse',
  'call-rate',
  'call-rate-layers',
  'g722-speed',
  'g711-g729-speed',
  'media-leg-resample',
  'rtp-send-capacity',
  'srtp-cost',
  'g711-calls-per-core',
  'pcap-analysis',
  'analysis-delay',
  'one-way-delay-cost',
  'plan-wall-time',
  'load-knee',
  'load-vs-sipp',
  'wire-fuzz',
] as const;

/** Files under bench/ that serve a benchmark (its agents) or run the others. */
export const BENCH_PARTS = [
  'call-rate-agents',
  'call-rate-uas',
  'call-rate-floor-uas',
  'call-rate-npm-sip-uas',
  'call-rate-npm-sip-uac',
  'npm-sip-stack',
  'child-callee-protocol',
  'run-all',
  'bench-list',
  'wire-fuzz-actor',
  'wire-fuzz-mutator',
  'wire-fuzz-measure',
  'g711-calls-per-core-ours',
] as const;
