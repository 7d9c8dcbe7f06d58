/**
 * Everyday use of `sbc-harness run`: a used --out folder is refused (runs never mix), several
 * faults follow one --sbc-fault as the README writes it, --help lists every fault with its
 * effect, and `list` explains the numbering of sections and case ids once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SBC_FAULTS } from '../../harness/actors/index.ts';
import { buildProgram, defaultWorkers, main } from '../../harness/cli/main.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'run-opts-'));
  dirs.push(d);
  return d;
}

/** Runs the CLI in this process, collecting stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const w2 = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  const before = process.exitCode;
  try {
    const code = await main(['node', 'sbc-harness', ...args]);
    return { code, out, err };
  } finally {
    process.exitCode = before;
    w1.mockRestore();
    w2.mockRestore();
  }
}

describe('sbc-harness run', () => {
  it('refuses an --out folder that holds a run, and leaves that run as it was', {
    timeout: 60_000,
  }, async () => {
    const out = join(tmp(), 'r');
    const first = await cli(['run', '--only', 'T-1', '--out', out, '--workers', '1']);
    expect(first.code).toBe(0);
    const journal = readFileSync(join(out, 'journal.jsonl'), 'utf8');
    const second = await cli(['run', '--only', 'T-1', '--out', out]);
    expect(second.code).toBe(2);
    expect(second.err).toMatch(/already holds a run \(journal\.jsonl\); give another --out, or --resume/);
    expect(readFileSync(join(out, 'journal.jsonl'), 'utf8')).toBe(journal);
  });

  it('takes several faults after one --sbc-fault, as the README writes it', { timeout: 60_000 }, async () => {
    const bad = await cli([
      'run',
      '--only',
      'T-1',
      '--out',
      join(tmp(), 'x'),
      '--sbc-fault',
      'one-way-audio',
      'no-such',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown SBC fault "no-such"; known faults: strip-telephone-event/);
    const out = join(tmp(), 'y');
    const good = await cli([
      'run',
      '--only',
      'T-1',
      '--out',
      out,
      '--sbc-fault',
      'one-way-audio',
      'double-dtmf',
    ]);
    expect(good.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.run.options.faults).toEqual(['one-way-audio', 'double-dtmf']);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  });

  it('--workers defaults to the host: its cores, 2 to 4', () => {
    const run = buildProgram(() => undefined).commands.find((c) => c.name() === 'run');
    // Commander wraps the help to the terminal width; read it as one line.
    expect(run?.helpInformation().replace(/\s+/g, ' ')).toMatch(new RegExp(`default ${defaultWorkers()}`));
    expect(defaultWorkers(1)).toBe(2);
    expect(defaultWorkers(3)).toBe(3);
    expect(defaultWorkers(16)).toBe(4);
  });

  it('run --help and sbc --help print the fault table', async () => {
    for (const cmd of ['run', 'sbc']) {
      const r = await cli([cmd, '--help']);
      expect(r.code).toBe(0);
      for (const f of SBC_FAULTS) expect(r.out).toContain(`  ${f.name}`);
      expect(r.out).toContain(SBC_FAULTS[0]?.summary);
    }
  });

  it('list explains the numbering once, then the cases by section with its title', async () => {
    const r = await cli(['list']);
    expect(r.code).toBe(0);
    expect(r.out.match(/case 8-N-M sits in section 8\.\(N\+1\)/g)).toHaveLength(1);
    expect(r.out).toMatch(/\n8\.2 eSBC Tests: codecs\n {2}8-1-1 /);
  });
});
