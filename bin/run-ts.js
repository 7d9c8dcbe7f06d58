#!/usr/bin/env node
import { resolve } from 'node:path';
// Runs one TypeScript file of this repository (a benchmark, a lab script) with tsx's loader.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js FILE.ts [args...]');
  process.exit(2);
}
register();
process.argv.splice(1, 1);
await import(pathToFileURL(resolve(file)).href);
