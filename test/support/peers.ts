/**
 * Real peers in tests. On a developer's machine a test whose peer is missing is skipped,
 * with a line naming the peer and the command that installs it. With CI=true (as .ci/run
 * runs) a missing peer is a failing test instead, so CI never skips silently.
 */
import { describe, it } from 'vitest';
import { probeTool, type ToolStatus } from '../../harness/support/host-tools.ts';

export const IN_CI = process.env.CI === 'true';

export function peer(id: string): ToolStatus {
  return probeTool(id);
}

/**
 * `describe` that runs only when every named peer is present. Missing in CI: one failing
 * test that says what is missing and how to install it. Missing elsewhere: skipped, with a note.
 */
export function describeWithPeers(ids: string[], name: string, body: () => void): void {
  const missing = ids.map(peer).filter((s) => !s.available);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const why = missing.map((s) => `${s.tool.id} (${s.installHint})`).join('; ');
  if (IN_CI) {
    describe(name, () => {
      it('has its real peers installed', () => {
        throw new Error(`missing peer(s) in CI: ${why}`);
      });
    });
  } else {
    process.stderr.write(`[skip] ${name}: missing ${why}\n`);
    describe.skip(`${name} — skipped, missing ${why}`, body);
  }
}
