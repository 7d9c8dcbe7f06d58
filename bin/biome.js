#!/usr/bin/env node
// Runs Biome (formatter and linter) from its platform package. The npm registry this project
// installs from carries Biome's Linux builds but not the others, so package.json lists the Linux
// binaries as optional dependencies instead of the @biomejs/biome wrapper, whose lock entries
// for other platforms could not be resolved and made `npm ci` fail.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = `@biomejs/cli-${process.platform}-${process.arch}`;
let binary;
try {
  binary = require.resolve(`${pkg}/biome`);
} catch {
  console.error(`biome: ${pkg} is not installed; Biome runs here only on Linux x64 and arm64 (glibc).`);
  process.exit(2);
}
const r = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 2);
