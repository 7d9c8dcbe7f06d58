/**
 * The `sbc-harness` command line. Commands are thin: each delegates to a lower layer.
 * Exit codes: 0 success, 1 a cell is NOK (run) or something is missing (doctor --strict),
 * 2 a harness error or a configuration error.
 */
import { Command, CommanderError } from 'commander';
import { doctorCommand } from './doctor-command.ts';
import { type LabActor, runActors } from './lab-commands.ts';
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

  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command('sbc')
    .description('start the embedded reference SBC of a profile alone, for manual lab work (Ctrl-C stops)')
    .option('--profile <file>', 'profile YAML (default profiles/embedded.yaml)')
    .option(
      '--sbc-fault <name>',
      'switch on a fault of the embedded SBC (repeatable; see docs/sbc-faults.md)',
      collect,
      [],
    )
    .action(async (opts: { profile?: string; sbcFault: string[] }) => {
      process.exitCode = await runActors(['sbc'], opts, out);
    });

  program
    .command('sim')
    .description(
      'start a simulator of a profile alone (Ctrl-C stops): provider, oxo, or all (provider, SBC and OXO)',
    )
    .argument('<actor>', 'provider | oxo | all')
    .option('--profile <file>', 'profile YAML (default profiles/embedded.yaml)')
    .option(
      '--sbc-fault <name>',
      'with "all": switch on a fault of the embedded SBC (repeatable)',
      collect,
      [],
    )
    .action(async (actor: string, opts: { profile?: string; sbcFault: string[] }) => {
      const actors: Record<string, LabActor[]> = {
        provider: ['provider'],
        oxo: ['oxo'],
        all: ['provider', 'sbc', 'oxo'],
      };
      const chosen = actors[actor];
      if (!chosen) {
        process.stderr.write(`sbc-harness sim: unknown actor "${actor}"; use provider, oxo or all\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runActors(chosen, opts, out);
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
    // Configuration errors (a bad profile, an address that cannot be bound) are the user's to fix:
    // one clear line, no stack trace.
    const e = err as Error & { code?: string };
    if (
      e.name === 'ProfileError' ||
      e.name === 'ConfigError' ||
      e.code === 'EADDRINUSE' ||
      e.code === 'EADDRNOTAVAIL' ||
      e.code === 'EACCES'
    ) {
      process.stderr.write(`sbc-harness: ${e.message}\n`);
    } else process.stderr.write(`sbc-harness: ${e.stack ?? String(err)}\n`);
    return 2;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
