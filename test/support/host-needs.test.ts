/**
 * One list of host needs: the README's table and apt line, `sbc-harness doctor` (HOST_TOOLS)
 * and the packages `.ci/run` installs name the same Debian packages, so a fresh machine that
 * follows any of them gets what the tests use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_TOOLS } from '../../harness/support/host-tools.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ciRun = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const doctor = sorted(HOST_TOOLS.flatMap((t) => t.debian));

/** Packages of an `apt-get install` command (continued lines joined, options dropped). */
function aptPackages(text: string, marker: RegExp): string[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((l) => marker.test(l) && /apt-get install/.test(l));
  if (!line) return [];
  const after = line.slice(line.indexOf('install') + 'install'.length).split(/[>|;&]/)[0] ?? '';
  return sorted(after.split(/\s+/).filter((w) => w && !w.startsWith('-') && !w.startsWith('$')));
}

describe('host needs', () => {
  it('the README table names every Debian package of doctor, and no other', () => {
    const section = readme.slice(readme.indexOf('## What the host needs'));
    const table = section.slice(0, section.indexOf('```'));
    const fromTable = [...table.matchAll(/^\|[^|]+\|([^|]+)\|/gm)].flatMap((m) =>
      [...(m[1] ?? '').matchAll(/`([a-z0-9.+-]+)`/g)].map((x) => x[1] as string),
    );
    expect(sorted(fromTable)).toEqual(doctor);
  });

  it("the README's apt line installs the same packages", () => {
    const section = readme.slice(readme.indexOf('## What the host needs'));
    expect(aptPackages(section, /sudo apt-get install/)).toEqual(doctor);
  });

  it('.ci/run installs the same packages', () => {
    expect(aptPackages(ciRun, /DEBIAN_FRONTEND/)).toEqual(doctor);
  });

  it('reads a package list that differs (the check can fail)', () => {
    expect(aptPackages('sudo apt-get install -y sox ffmpeg', /sudo/)).toEqual(['ffmpeg', 'sox']);
  });
});
