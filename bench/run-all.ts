/**
 * Runs every benchmark in turn (`npm run bench`), each in its own process with its default
 * arguments, and prints their reports. Each benchmark bounds its own time; the results are
 * read by a person and copied into bench/RESULTS.md with the command that produced them.
 * `npm run bench -- NAME ...` runs only the named ones (file names without .ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BENCHES } from './bench-list.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(BENCHES as readonly string[]).includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : BENCHES) {
  console.log(`\n## ${name}\n\ncommand: node bin/run-ts.js bench/${name}.ts\n`);
  const r = spawnSync(process.execPath, ['bin/run-ts.js', `bench/${name}.ts`], {
    cwd: root,
    stdio: 'inherit',
    timeout: 600_000,
  });
  if (r.status !== 0) {
    failed++;
    console.log(`\n${name}: exited ${r.status ?? r.signal}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
