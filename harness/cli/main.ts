/**
 * The `sbc-harness` command line. Commands are thin: each delegates to a lower layer.
 * Exit codes: 0 success, 1 a cell is NOK (run), a cell regressed (diff) or something is missing
 * (doctor --strict), 2 a harness error, a configuration error or a run folder that cannot be read.
 */
import { availableParallelism } from 'node:os';
import { Command, CommanderError } from 'commander';
import { SBC_FAULTS, SBC_PERSONALITIES } from '../actors/index.ts';
import { LOAD_SHAPE_SUMMARY, LOAD_SHAPES } from '../runner/index.ts';
import { doctorCommand } from './doctor-command.ts';
import { type LabActor, runActors } from './lab-commands.ts';
import { type LoadCommandOptions, loadCommand } from './load-command.ts';
import { mergeCommand } from './merge-command.ts';
import { diffCommand, type ReportCommandOptions, reportCommand } from './report-command.ts';
import { listCommand, type RunCommandOptions, runCommand } from './run-command.ts';
import { VERSION } from './version.ts';

/** The fault switches, one line each, for the help of the commands that take --sbc-fault. */
export function faultHelp(): string {
  const label = (f: (typeof SBC_FAULTS)[number]) => `${f.name}${f.value === 'flag' ? '' : '=N'}`;
  const width = Math.max(...SBC_FAULTS.map((f) => label(f).length));
  return `\nFaults of the embedded SBC (--sbc-fault NAME, or NAME=N with a number; docs/sbc-faults.md):\n${SBC_FAULTS.map(
    (f) => `  ${label(f).padEnd(width + 2)}${f.summary}`,
  ).join('\n')}\n`;
}

/** The personalities of the embedded SBC, one line each, for `run --help` and `sbc --help`. */
export function personalityHelp(): string {
  const width = Math.max(...SBC_PERSONALITIES.map((p) => p.name.length));
  return `\nPersonalities of the embedded SBC: legal behaviours the harness must accept (--sbc-personality NAME; docs/sbc-personalities.md):\n${SBC_PERSONALITIES.map(
    (p) => `  ${p.name.padEnd(width + 2)}${p.summary}`,
  ).join('\n')}\n`;
}

/** Default number of workers: the host's cores, at least 2 (cases mostly wait), at most 4. */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(2, Math.min(4, cores));
}

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

  // A variadic option hands its values one at a time; a repeated option appends to the same list.
  const collect2 = (v: string, prev: string[]) => [...prev, v];
  program
    .command('run')
    .description('run the eSBC test plan: the embedded reference SBC by default, or the SBC a profile names')
    .option('--profile <file>', 'profile YAML (default profiles/embedded.yaml)')
    .option('--out <dir>', 'folder for journal.jsonl, results.json and evidence (default runs/<date>)')
    .option('--only <patterns>', 'case ids to run, comma-separated, * as wildcard (e.g. "8-2-*,8-3-1")')
    .option(
      '--workers <n>',
      `independent cases run side by side (1-8; default ${defaultWorkers()}: this host's cores, 2 to 4; external SBC or real equipment: always 1)`,
      String(defaultWorkers()),
    )
    .option('--quick', 'shorten long waits (the 5-minute call to 35 s), saying so in each cell concerned')
    .option(
      '--interactive',
      'ask for actions and checks the harness cannot do itself: the settings of a real SBC, and with oxo.kind or provider.kind: real every step on the real equipment (answer ok, nok WHY or na WHY; docs/real-equipment.md)',
    )
    .option(
      '--ui',
      'serve the live console (plan, running cases, SIP ladder, your instructions with OK / NOK / N/A) on http://127.0.0.1:8765 (a free port if taken) and print its address; implies --interactive: answer on the page or the terminal, whichever first',
    )
    .option(
      '--ui-listen <addr:port>',
      'where the live console listens (implies --ui; default 127.0.0.1:8765); an address outside loopback is accepted with a warning',
    )
    .option(
      '--sbc-fault <names...>',
      'switch on faults of the embedded SBC: one or more names (the list below), or repeat the option',
      collect2,
      [],
    )
    .option(
      '--sbc-personality <names...>',
      'switch on legal behaviours of the embedded SBC: one or more names (the list below), or repeat the option',
      collect2,
      [],
    )
    .option('--resume <dir>', 'continue the run in <dir>: finished cells are kept, the others run')
    .addHelpText(
      'after',
      '\nExit codes: 0 every cell OK or N/A, 1 a cell is NOK, 2 a cell is ERROR or the configuration is wrong,\n' +
        '3 no NOK or ERROR but the plan is incomplete (INCOMPLETE cells),\n' +
        '130 interrupted (Ctrl-C, SIGTERM): running cases stop within about a second and leave no cell; --resume DIR runs them.\n' +
        'Progress: on a terminal a live line per running case (elapsed / expected, its step); on a pipe or with CI=true plain lines.\n' +
        'Cells: N/A (not applicable to the product in scope), OK, NOK (with the failed check as comment), ERROR (the harness failed),\n' +
        'INCOMPLETE (not fully judged here: an SBC setting nobody applied, a library this host lacks, or this process stalling\n' +
        'in every window a check listened to; docs/verdicts.md).\n' +
        'External SBC: the case settings (codec order, TLS, SRTP) are asked of you with --interactive; without, they are not applied.\n' +
        'Real OXO or provider (oxo.kind / provider.kind: real): each step on it is an instruction to you with --interactive; without, those cases are INCOMPLETE.\n' +
        'Live console (--ui): the printed address carries a random token; only a page opened with it can watch or answer (docs/live-console.md).\n' +
        faultHelp() +
        personalityHelp(),
    )
    .action(async (opts: RunCommandOptions) => {
      process.exitCode = await runCommand(opts, out);
    });

  program
    .command('list')
    .description('list the cases of the plan with their ids and what they need')
    .option('--only <patterns>', 'only the ids matching these patterns')
    .action((opts: { only?: string }) => {
      process.exitCode = listCommand(out, opts);
    });

  program
    .command('report')
    .description(
      "write a run's reports from its journal: IWR results as Markdown, HTML, DOCX, JUnit XML and JSON",
    )
    .argument('<dir>', 'the --out folder of a run (it holds journal.jsonl)')
    .option('--format <formats>', 'comma-separated: md, html, docx, junit, json (default: all available)')
    .option('--baseline <dir>', 'an earlier run: cells whose verdict changed are marked ("was OK")')
    .addHelpText(
      'after',
      '\nExit codes: 0 written, 1 written from a damaged journal (what was left out is printed), 2 no journal, unknown format or a report failed.',
    )
    .action(async (dir: string, opts: ReportCommandOptions) => {
      process.exitCode = await reportCommand(dir, opts, out);
    });

  program
    .command('diff')
    .description('compare the cells of two runs: regressions (OK/N/A → NOK/ERROR) first, then other changes')
    .argument('<before>', 'the earlier run folder')
    .argument('<after>', 'the later run folder')
    .addHelpText('after', '\nExit codes: 0 nothing regressed, 1 a cell regressed, 2 a run cannot be read.')
    .action((a: string, b: string) => {
      process.exitCode = diffCommand(a, b, out);
    });

  program
    .command('load')
    .description(
      'many calls at once through the SBC (embedded by default), in a mix of the plan’s call shapes (basic, DTMF in each mode, hold/resume, transfer), each with audio both ways checked; capacity figures (RFC 6076 KPIs, MOS, the knee: highest concurrency before a step missed the thresholds, or "not reached" with a lower bound when none missed) in results.json, load-report.md and load-chart.svg',
    )
    .option(
      '--profile <file>',
      'profile YAML (default profiles/embedded.yaml); an external SBC is taken from it',
    )
    .option('--calls <n>', 'calls to start in all (1-100000)', '20')
    .option('--concurrency <c>', 'calls kept in flight (1-1000; default 5)')
    .option('--ramp <list>', 'step ramp instead: concurrency per step, e.g. 5,10,20,40 (needs --step-s)')
    .option(
      '--step-s <s>',
      'seconds each step lasts, above 0 and at most 3600 (needed by --ramp; with --concurrency, the one step ends after it)',
    )
    .option('--hold-s <s>', 'seconds each call is held once established (1-3600)', '5')
    .option(
      '--rate <r>',
      "most calls started per second, spread evenly (0.01-1000; default: each step's target concurrency / --hold-s, at least 1, so a step fills within one hold time and its calls do not start or end together)",
    )
    .option(
      '--direction <d>',
      'in (PSTN to extension), out (extension to PSTN) or both (alternating)',
      'both',
    )
    .option(
      '--mix <shapes>',
      `call shapes and their weights, e.g. basic:6,dtmf-rfc4733:1,dtmf-inband:1,hold:1,transfer-semi:1,transfer-attended:1 (default basic:1); shapes: ${LOAD_SHAPES.join(', ')}; dtmf-info and transfer only where the plan's SIP INFO and REFER cases apply to the profile`,
    )
    .option('--duration-s <s>', 'no call is started after this many seconds')
    .option(
      '--out <dir>',
      'folder for results.json, load-report.md and load-chart.svg (default runs/load-<date>)',
    )
    .option(
      '--min-mos <x>',
      "threshold: lowest MOS of any direction of any call in a step (default: the profile's load.minMos, 4.0); each direction held to the lower of this and the best E-model MOS of its codec less 0.1 (G.723.1: 3.85)",
    )
    .option(
      '--max-setup-p95-ms <ms>',
      "threshold: setup time p95 of a step below this (default: the profile's load.maxSetupP95Ms, 1000)",
    )
    .option(
      '--max-failed-calls <n>',
      "threshold: failed calls allowed in a step (default: the profile's load.maxFailedCalls, 0)",
    )
    .option(
      '--sbc-fault <names...>',
      'switch on faults of the embedded SBC (one or more names, see `sbc --help`)',
      collect2,
      [],
    )
    .option(
      '--sbc-personality <names...>',
      'switch on legal behaviours of the embedded SBC (one or more names, see `sbc --help`), beside the profile’s sbc.personality: every call must still pass',
      collect2,
      [],
    )
    .option(
      '--agents <n>',
      'split the load between N agent processes (auto: one per core) and merge their results (default 1: this process)',
    )
    .option(
      '--agent-index <i>',
      'be agent i of --agent-count (default $JOB_COMPLETION_INDEX): run its share of the calls and concurrency on its own slots',
    )
    .option('--agent-count <n>', 'the number of agents the load is split between (with --agent-index)')
    .option(
      '--port-offset <n>',
      "shift the provider's and the OXO's SIP ports by n (agents sharing a host, external SBC; --agents sets it)",
    )
    .addHelpText(
      'after',
      '\nEach call: the caller dials, both legs must be established, the call shape runs its steps, each side\n' +
        'plays a tone for the hold time (tone heard, loss, jitter, E-model MOS, one-way delay within G.114),\n' +
        "the caller hangs up and the callee's leg must end within 5 s; over the whole call, each leg gets RTP\n" +
        'with no gap over 500 ms (plus 4 × jitter) outside a hold, as the plan judges every call\n' +
        '(docs/call-invariants.md); and what the SBC sent on the call (its SIP, the RTP to its legs) follows\n' +
        'the SIP and RTP rules the plan holds it to (docs/sip-rules.md, docs/rtp-rules.md).\n' +
        'A call that misses one of these is failed, with the reason. The shapes (--mix, calls in a fixed\n' +
        'interleaved order by weight; with ' +
        "--direction both each shape's calls alternate in and out):\n" +
        LOAD_SHAPES.map((s) => `  ${s}: ${LOAD_SHAPE_SUMMARY[s]}\n`).join('') +
        '  (dtmf-info runs only when the OXO sends SIP INFO, oxo.dtmf.info: true, or the provider has no\n' +
        '  telephone-events, provider.telephoneEvent: false; with oxo.dtmf.info: false it runs direction in;\n' +
        '  dtmf-rfc4733 runs direction out when the provider has no telephone-events;\n' +
        "  transfer needs an OXO that transfers by REFER, oxo.transferMode: refer, as the plan's 8-5-4)\n" +
        'Progress: one plain line a second (target, in flight, started, done, failed, calls done in the last second, MOS p50).\n' +
        "A step in which the harness's own event loop was more than 200 ms late at p99, or stalled over 200 ms\n" +
        "for more than 5 % of the step, is not met either: its figures are the harness's, not the SBC's\n" +
        '(harnessLag in results.json).\n' +
        'Exit codes: 0 every step met the thresholds, 1 a step missed one, 2 bad options or profile, 130 interrupted.\n' +
        'Agents: --agents N runs N processes, each with its own slots (phones and numbers), media ports and\n' +
        'share of --calls and of each concurrency; with the embedded SBC each starts its own lab, with an external\n' +
        "SBC each agent's provider and OXO need their own ports and trunk that the SBC routes. Their results are\n" +
        'merged into --out (see `merge --help`; deploy/load-agents-job.yaml runs agents as a Kubernetes Indexed Job).\n' +
        'Beside SIPp through the Kamailio lab: bench/load-vs-sipp.ts (figures in bench/RESULTS.md). What is not\n' +
        'done yet: docs/load.md, "Not done yet".\n',
    )
    .action(async (opts: LoadCommandOptions) => {
      process.exitCode = await loadCommand(opts, out);
    });

  program
    .command('merge')
    .description(
      'merge the results.json of load agents (or of separate load runs) into one: figures, step verdicts, the knee and the worst calls computed again from the union of the calls, with the report and chart of a single run',
    )
    .argument('<dirs...>', "the runs' folders (or their results.json files)")
    .option('--out <dir>', 'folder for the merged results.json, load-report.md and load-chart.svg (required)')
    .addHelpText(
      'after',
      '\nThe runs must be of one load: same hold time, direction, call mix, step length, duration, number of steps,\n' +
        'thresholds, SBC kind and agent count; distinct agent indices; calls not truncated. Their clocks are\n' +
        'aligned on their startedAt. Exit codes: 0 every step met the thresholds, 1 a step missed one, 2 a file\n' +
        'is missing, is not valid JSON (truncated?), is not a load result or does not match the others (the message names it).\n',
    )
    .action((dirs: string[], opts: { out?: string }) => {
      process.exitCode = mergeCommand(dirs, opts, out);
    });

  program
    .command('sbc')
    .description('start the embedded reference SBC of a profile alone, for manual lab work (Ctrl-C stops)')
    .option('--profile <file>', 'profile YAML (default profiles/embedded.yaml)')
    .option(
      '--sbc-fault <names...>',
      'switch on faults of the embedded SBC: one or more names (the list below), or repeat the option',
      collect2,
      [],
    )
    .option(
      '--sbc-personality <names...>',
      'switch on legal behaviours of the embedded SBC: one or more names (the list below), or repeat the option',
      collect2,
      [],
    )
    .addHelpText('after', faultHelp() + personalityHelp())
    .action(async (opts: { profile?: string; sbcFault: string[]; sbcPersonality: string[] }) => {
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
      '--sbc-fault <names...>',
      'with "all": switch on faults of the embedded SBC (one or more names, see `sbc --help`)',
      collect2,
      [],
    )
    .option(
      '--manual',
      'the sets do nothing by themselves: incoming calls ring until an "answer WHO" line on standard input; also call, dtmf, tone, hold, resume, hangup, status (a stand-in for real equipment, docs/real-equipment.md)',
    )
    .action(async (actor: string, opts: { profile?: string; sbcFault: string[]; manual?: boolean }) => {
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
  // `sbc-harness list | head`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
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
