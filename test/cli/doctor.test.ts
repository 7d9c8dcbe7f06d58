import { describe, expect, it } from 'vitest';
import { HOST_TOOLS, probeTool } from '../../harness/support/host-tools.ts';
import { runCli } from '../support/run-cli.ts';

describe('sbc-harness doctor', () => {
  it('lists every known tool with a path or an install hint', async () => {
    const { out } = await runCli(['doctor', '--json']);
    const rows = JSON.parse(out) as {
      id: string;
      available: boolean;
      path: string | null;
      install: string | null;
    }[];
    expect(rows.map((r) => r.id)).toEqual(HOST_TOOLS.map((t) => t.id));
    for (const r of rows) {
      if (r.available) expect(r.path).toBeTruthy();
      else expect(r.install).toMatch(/^apt-get install -y --no-install-recommends \S+/);
    }
  });

  it('--strict exits 1 exactly when something is missing', async () => {
    const { code } = await runCli(['doctor', '--strict', '--json']);
    const anyMissing = HOST_TOOLS.some((t) => !probeTool(t.id).available);
    expect(code ?? 0).toBe(anyMissing ? 1 : 0);
  });

  it('rejects an unknown tool id', () => {
    expect(() => probeTool('no-such-tool')).toThrow(/unknown host tool/);
  });

  it('--help names the commands', async () => {
    const { out } = await runCli(['--help']);
    expect(out).toContain('doctor');
    expect(out).toContain('run');
  });
});
