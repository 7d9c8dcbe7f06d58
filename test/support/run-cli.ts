/**
 * Runs the CLI in this process, as `sbc-harness ARGS…`, and returns what it printed and the exit
 * code it set (the process's own exit code is restored afterwards).
 */
import { buildProgram } from '../../harness/cli/main.ts';

export async function runCli(args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = '';
  const before = process.exitCode;
  process.exitCode = undefined;
  const program = buildProgram((s) => {
    out += s;
  });
  try {
    await program.parseAsync(['node', 'sbc-harness', ...args]);
  } catch {
    // commander's exitOverride throws after --help
  }
  const code = process.exitCode as number | undefined;
  process.exitCode = before;
  return { out, code };
}
