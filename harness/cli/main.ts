/**
 * The `sbc-harness` command line. Commands are thin: each delegates to a lower layer.
 * Exit codes: 0 success, 1 a cell is NOK (run) or something is missing (doctor --strict),
 * 2 a harness error or a configuration error.
 */
import { Command, CommanderError } from 'commander';
import { doctorCommand } from './doctor-command.ts';
import { VERSION } from './version.ts';

export function buildProgram(out: (s: string) => void = (s) => process.stdout.write(s)): Command {
  const program = new Command();
  program
    .name('sbc-harness')
    .description(
      'Drives real SIP/RTP calls through a Session Border Controller, plays both the SIP provider and the ' +
        'OXO Connect trunk around it, and records the eSBC test plan as N/A / OK / NOK cells with evidence.',
    )
    .version(VERSION, '-V, --version')
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) })
    .exitOverride();

  program
    .command('doctor')
    .description(
      'list what this host can do: codec libraries and real peers, with the install command for each missing one',
    )
    .option('--json', 'print the result as JSON')
    .option('--strict', 'exit 1 when any tool is missing')
    .action((opts: { json?: boolean; strict?: boolean }) => {
      process.exitCode = doctorCommand(opts, out);
    });

  program
    .command('run')
    .description(
      'run the eSBC test plan against the embedded reference SBC (default) or the SBC a profile names',
    )
    .action(() => {
      process.stderr.write(
        'sbc-harness run: the plan runner is not part of this version yet; only the SIP stack and `doctor` are.\n' +
          'Run `sbc-harness doctor` to see what this host can do.\n',
      );
      process.exitCode = 2;
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors with 1, which we report as 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`sbc-harness: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
