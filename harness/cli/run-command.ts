/**
 * `sbc-harness run` and `sbc-harness list`: the eSBC plan against the SBC of a profile (the
 * embedded one by default), case by case, with a progress line per cell.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NUMBERING_NOTE, PLAN, SECTIONS } from '../../scenarios/index.ts';
import { parseFaults, personalityNames } from '../actors/index.ts';
import { preflight } from '../config/preflight.ts';
import { DEFAULT_PROFILE_PATH, loadProfile } from '../config/profile.ts';
import {
  type Cell,
  FirstAnswerPrompter,
  matchesOnly,
  type Prompter,
  RunEvents,
  type RunInfo,
  runPlan,
  TerminalPrompter,
} from '../runner/index.ts';
import { createLogger } from '../support/log.ts';
import { parseListen, type RunConsole, startRunConsole } from './live-console.ts';
import { ProgressLines, progressLogger, progressMode } from './progress-lines.ts';
import { writeReports } from './report-command.ts';
import { exitSoon, interruptedSummary, stopOnSignal } from './stop-on-signal.ts';
import { VERSION } from './version.ts';

export interface RunCommandOptions {
  profile?: string;
  out?: string;
  only?: string;
  workers?: string;
  quick?: boolean;
  interactive?: boolean;
  /** Serve the live console (implies --interactive: the terminal and the console both answer). */
  ui?: boolean;
  uiListen?: string;
  sbcFault?: string[];
  sbcPersonality?: string[];
  resume?: string;
}

const MARK: Record<Cell['verdict'], string> = {
  OK: 'OK   ',
  NOK: 'NOK  ',
  'N/A': 'N/A  ',
  ERROR: 'ERROR',
  INCOMPLETE: 'INCMP',
};

export async function runCommand(o: RunCommandOptions, out: (s: string) => void): Promise<number> {
  let outDir: string;
  let profileFile = o.profile ? resolve(o.profile) : DEFAULT_PROFILE_PATH;
  let only = o.only;
  let quick = o.quick ?? false;
  let faults = o.sbcFault ?? [];
  let personalities = o.sbcPersonality ?? [];
  if (o.resume) {
    outDir = resolve(o.resume);
    const journal = join(outDir, 'journal.jsonl');
    if (!existsSync(journal)) {
      out(
        `sbc-harness run --resume: ${journal} does not exist; give the --out folder of the run to resume\n`,
      );
      return 2;
    }
    // The run's own options win, so the resumed cells are judged like the finished ones.
    const first = readFileSync(journal, 'utf8').split('\n')[0] ?? '';
    try {
      const run = (JSON.parse(first) as { run: RunInfo }).run;
      profileFile = o.profile ? profileFile : run.profile.file;
      only = o.only ?? run.options.only;
      quick = o.quick ?? run.options.quick;
      faults = o.sbcFault && o.sbcFault.length > 0 ? o.sbcFault : run.options.faults;
      personalities =
        o.sbcPersonality && o.sbcPersonality.length > 0
          ? o.sbcPersonality
          : (run.options.personalities ?? []);
    } catch {
      out(`sbc-harness run --resume: the first line of ${journal} is not the run's header\n`);
      return 2;
    }
  } else outDir = resolve(o.out ?? join('runs', new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)));
  const warnings: string[] = [];
  const profile = loadProfile(profileFile, process.env, warnings);
  for (const w of warnings) out(`sbc-harness run: ${profileFile}: ${w}\n`);
  await preflight(profile, profileFile);
  parseFaults([...profile.sbc.faults, ...faults]); // an unknown fault stops here, before any case runs
  personalityNames([...profile.sbc.personality, ...personalities]); // and so does an unknown personality
  if (profile.sbc.kind === 'external' && personalities.length > 0)
    out(
      'sbc-harness run: --sbc-personality has no effect with sbc.kind: external (personalities exist only in the embedded reference SBC)\n',
    );
  const workers = Number(o.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 8) {
    out(`sbc-harness run: --workers takes a whole number from 1 to 8, not "${o.workers}"\n`);
    return 2;
  }
  const listen = o.uiListen !== undefined ? parseListen(o.uiListen) : undefined;
  if (listen && 'error' in listen) {
    out(`sbc-harness run: ${listen.error}\n`);
    return 2;
  }
  const selected = PLAN.filter((c) => matchesOnly(c.id, only));
  if (selected.length === 0) {
    out(`sbc-harness run: --only "${only}" matches no case; \`sbc-harness list\` shows the ids\n`);
    return 2;
  }
  out(
    `sbc-harness ${VERSION}: ${selected.length} case(s), profile ${profile.name} (${profile.sbc.kind} SBC: ${profile.sbc.model})` +
      `${quick ? ', --quick' : ''}${faults.length > 0 ? `, SBC faults: ${faults.join(', ')}` : ''}${personalities.length > 0 ? `, SBC personalities: ${personalities.join(', ')}` : ''}, results in ${outDir}\n`,
  );
  // Progress lines while cases run (live on a terminal); Ctrl-C stops the run cleanly.
  const events = new RunEvents();
  const mode = progressMode();
  const progress = new ProgressLines(events, { out, mode, columns: () => process.stdout.columns || 80 });
  const say = (s: string) => progress.print(s);
  const stop = stopOnSignal((sig) =>
    say(
      `\n${sig}: stopping ${progress.runningIds().join(', ') || 'the run'}: its calls end, finished cells are kept (again to quit at once)\n`,
    ),
  );
  const level = process.env.SBC_HARNESS_LOG ?? 'warn';
  const logger = mode === 'live' ? progressLogger(progress, level) : createLogger({ level });
  // --ui: the live console, and the engineer answers on it or on the terminal, whichever first.
  let ui: RunConsole | undefined;
  if (o.ui || o.uiListen !== undefined) {
    try {
      ui = await startRunConsole(
        o.uiListen,
        profile,
        `${profile.name}, ${profile.sbc.model}`,
        (w) => say(`sbc-harness run: ${w}\n`),
        events,
      );
    } catch (err) {
      progress.stop();
      stop.dispose();
      out(`sbc-harness run --ui: ${(err as Error).message}\n`);
      return 2;
    }
    say(`live console: ${ui.console.url}\n`);
  }
  const prompter: Prompter | undefined = ui
    ? new FirstAnswerPrompter(
        [
          { name: 'terminal', prompter: new TerminalPrompter() },
          { name: 'console', prompter: ui.prompter },
        ],
        (who, _q, a) => {
          if (who === 'console') say(`  (answered on the live console: ${a})\n`);
        },
      )
    : o.interactive
      ? new TerminalPrompter()
      : undefined;
  const outcome = await runPlan({
    cases: PLAN,
    profile,
    profileFile,
    outDir,
    harnessVersion: VERSION,
    ...(only ? { only } : {}),
    workers,
    quick,
    ...(prompter ? { prompter: progress.guard(prompter) } : {}),
    faults,
    ...(personalities.length > 0 ? { personalities } : {}),
    ...(o.resume ? { resume: true } : {}),
    logger,
    events,
    signal: stop.signal,
    onCell: (cell) => {
      say(
        `${cell.id.padEnd(6)} ${MARK[cell.verdict]} ${cell.title.padEnd(44).slice(0, 44)} ${(cell.durationMs / 1000).toFixed(1).padStart(5)} s${cell.comment ? `  ${cell.comment}` : ''}\n`,
      );
    },
  })
    .catch(async (err: unknown) => {
      await ui?.close();
      throw err;
    })
    .finally(() => {
      progress.stop();
      stop.dispose();
    });
  if (outcome.interrupted) {
    await ui?.close();
    out(interruptedSummary(outcome, outDir));
    if (stop.which()) exitSoon(outcome.exitCode);
    return outcome.exitCode;
  }
  if (outcome.skipped.length > 0)
    out(
      `${outcome.skipped.length} case(s) already finished in this run, kept: ${outcome.skipped.join(', ')}\n`,
    );
  const s = outcome.results.summary;
  out(
    `\n${s.total} cells: ${s.OK} OK, ${s.NOK} NOK, ${s['N/A']} N/A, ${s.ERROR} ERROR, ${s.INCOMPLETE} INCOMPLETE → ${join(outDir, 'results.json')}\n`,
  );
  if (s.INCOMPLETE > 0)
    out(
      `The plan is incomplete: ${s.INCOMPLETE} cell(s) could not be fully judged (an SBC setting nobody applied, a host limitation, or nothing to judge arrived in time); each says what. Exit code 3.\n`,
    );
  // The reports, from the journal just written (the same code as `sbc-harness report`).
  const reports = await writeReports({ runDir: outDir });
  await ui?.close();
  if (reports.written.length > 0)
    out(`reports: ${reports.written.map((p) => p.slice(outDir.length + 1)).join(', ')}\n`);
  for (const e of reports.errors) out(`sbc-harness run: ${e}\n`);
  return reports.errors.length > 0 ? Math.max(outcome.exitCode, 2) : outcome.exitCode;
}

export function listCommand(out: (s: string) => void, opts: { only?: string } = {}): number {
  loadProfile(); // a broken default profile is reported here, as by every command
  out(`${NUMBERING_NOTE}\n`);
  let section = '';
  for (const c of PLAN.filter((x) => matchesOnly(x.id, opts.only))) {
    if (c.section !== section) {
      section = c.section;
      out(`\n${section} ${SECTIONS[section]?.title ?? ''}\n`);
    }
    out(
      `  ${c.id.padEnd(6)} ${c.title}${c.needs && c.needs.length > 0 ? `  (needs ${c.needs.join(', ')})` : ''}\n`,
    );
  }
  return 0;
}
