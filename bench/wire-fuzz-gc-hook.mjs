// Loaded into each actor process of bench/wire-fuzz.ts (NODE_OPTIONS --expose-gc --import):
// SIGUSR2 runs a full garbage collection, so that the bench reads RSS without the garbage a
// burst of traffic leaves, before and after the fuzz alike. A measurement hook, not product code.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
});
