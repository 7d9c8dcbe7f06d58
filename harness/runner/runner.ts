/**
 * Runs a plan case by case. With the embedded SBC each case gets its own lab (on ephemeral
 * ports, so independent cases can run side by side). With an external SBC the simulators live
 * for the whole run (a real SBC keeps its registrations and timers between cases, and nobody
 * restarts it): cases are kept apart by their calls, and each case ends the calls it left.
 * Each case gets its SBC preconditions applied by the DUT adapter (or reported as not applied),
 * a harness timeout, and ends as one cell written to the journal with its checks and evidence
 * (a pcap of its SIP and RTP, the SIP messages as text).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codecLabel } from '../../codecs/index.ts';
import { Lab, type LabOptions } from '../actors/index.ts';
import { openSecuritySwitches } from '../config/open-switches.ts';
import type { Profile } from '../config/profile-schema.ts';
import { capture } from '../media/index.ts';
import { redactAuthorization, type TraceEvent } from '../sip/index.ts';
import { systemClock } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { CallWatch, callRegistries, ownSendFailureComment } from './call-invariants.ts';
import { unmetNeed } from './capabilities.ts';
import { type CaseContext, NotApplicable, NotJudgedHere } from './case-context.ts';
import type { CaseDefinition } from './case-definition.ts';
import { Checks } from './checks.ts';
import { adapterFor, type DutAdapter } from './dut-adapter.ts';
import { type EngineerAnswer, type Instruction, instructionKey, realSideSettings } from './engineer.ts';
import { installHangUpProbe } from './hang-up-probe.ts';
import { Journal, type JournalEntry, type RunInfo, readJournal } from './journal.ts';
import type { Prompter } from './prompter.ts';
import { buildResults, type ResultsFile } from './results.ts';
import { type PlannedCase, RunEvents } from './run-events.ts';
import { atMost, longestFirst, RunInterrupted, sleepUnlessAborted, whenAborted } from './run-interrupt.ts';
import {
  profileSbcHosts,
  recordSipSendFailures,
  SipSendWatch,
  simulatorSipSenders,
} from './sip-send-failures.ts';
import {
  isSipRuleCheck,
  RtpValidator,
  recordRtpRuleChecks,
  recordSipRuleChecks,
  SipValidator,
} from './validator/index.ts';
import { type Cell, type CheckRecord, exitCodeFor, type SipEvidenceMessage } from './verdict.ts';

export interface RunOptions {
  cases: readonly CaseDefinition[];
  profile: Profile;
  profileFile: string;
  outDir: string;
  harnessVersion: string;
  /** Comma-separated id patterns with `*` (e.g. "8-2-*,8-3-1"). */
  only?: string;
  workers?: number;
  quick?: boolean;
  /** Ask the engineer for actions and checks the harness cannot do (and for SBC preconditions). */
  prompter?: Prompter;
  faults?: string[];
  /** Personalities (legal behaviour switches) of the embedded SBC, added to the profile's. */
  personalities?: string[];
  /** Continue the run in `outDir`: cases with a cell in its journal are not run again. */
  resume?: boolean;
  /** Default harness timeout per case, ms (default 60 s, plus the case's waits). */
  caseTimeoutMs?: number;
  timers?: LabOptions['timers'];
  onCaseStart?: (c: CaseDefinition, index: number, total: number) => void;
  onCell?: (cell: Cell, index: number, total: number) => void;
  /** Where the run tells its watchers what happens (progress lines, the live console). */
  events?: RunEvents;
  /**
   * Ends the run early (Ctrl-C): no new case starts, running cases stop, end their calls and
   * leave no cell (a resume runs them again); runPlan then returns with `interrupted`.
   */
  signal?: AbortSignal;
  logger?: Logger;
}

/** What the cases of one run share besides the options. */
interface RunShared {
  events: RunEvents;
  /** Answers of the engineer already journaled (a resumed run does not ask them again). */
  answers: Map<string, EngineerAnswer>;
  /** The setting the engineer last made, by subject: the same setting is not asked again. */
  lastSetting: Map<string, string>;
  write(e: JournalEntry): void;
}

/** What a case takes, roughly, for progress lines: its real-time waits plus set-up. */
export function expectedCaseMs(c: CaseDefinition, quick: boolean): number {
  return 8_000 + (quick ? (c.waits?.quickMs ?? 0) : (c.waits?.fullMs ?? 0));
}

export interface RunOutcome {
  results: ResultsFile;
  exitCode: number;
  /** Cases not run because they had a cell already (resume). */
  skipped: string[];
  /** Set when `signal` ended the run: the cases stopped unfinished, and those never started. */
  interrupted?: { stopped: string[]; notStarted: string[] };
}

/** A new run asked to write into the folder of another run (runs never mix). */
export class RunFolderInUse extends Error {
  override name = 'ConfigError';
}

/**
 * Whether the run's actors live for the whole run (one lab, on the profile's addresses) rather
 * than one lab per case: with an external SBC, and whenever real equipment stands on a side
 * (it is configured for fixed addresses, and there is one of it).
 */
export function runScoped(p: Profile): boolean {
  return p.sbc.kind === 'external' || p.oxo.kind === 'real' || p.provider.kind === 'real';
}

/** The sides of a profile that real equipment holds, as the cells and notes name them. */
export function realSides(p: Profile): Array<'oxo' | 'provider'> {
  return [
    ...(p.oxo.kind === 'real' ? (['oxo'] as const) : []),
    ...(p.provider.kind === 'real' ? (['provider'] as const) : []),
  ];
}

export function matchesOnly(id: string, only: string | undefined): boolean {
  if (!only) return true;
  return only
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(id));
}

export async function runPlan(o: RunOptions): Promise<RunOutcome> {
  const log = o.logger ?? silentLogger;
  mkdirSync(join(o.outDir, 'cases'), { recursive: true });
  const journalPath = join(o.outDir, 'journal.jsonl');
  const order = o.cases.map((c) => c.id);
  let done = new Set<string>();
  let previous: JournalEntry[] = [];
  if (o.resume) {
    const j = readJournal(journalPath);
    if (!j.entries.some((e) => e.type === 'run'))
      throw new Error(`${o.outDir} holds no journal of a run to resume (${j.problems.join('; ')})`);
    for (const p of j.problems) log.warn({ problem: p }, 'journal line skipped on resume');
    previous = j.entries;
    done = new Set(j.entries.flatMap((e) => (e.type === 'cell' ? [e.cell.id] : [])));
  }
  if (!o.resume && existsSync(journalPath))
    throw new RunFolderInUse(
      `${o.outDir} already holds a run (journal.jsonl); give another --out, or --resume ${o.outDir} to continue that run`,
    );
  const journal = new Journal(journalPath);
  const entries: JournalEntry[] = [...previous];
  let closed = false;
  const write = (e: JournalEntry) => {
    if (closed) return; // a case stopped by an interrupt may still record a check on its way out
    journal.append(e);
    entries.push(e);
  };
  if (o.resume) write({ type: 'resume', at: new Date().toISOString() });
  else write({ type: 'run', run: runInfo(o) });

  const selected = o.cases.filter((c) => matchesOnly(c.id, o.only));
  const todo = longestFirst(
    selected.filter((c) => !done.has(c.id)),
    o.quick ?? false,
  );
  const events = o.events ?? new RunEvents();
  const finishedCells = new Map(
    entries.flatMap((e) => (e.type === 'cell' ? [[e.cell.id, e.cell] as const] : [])),
  );
  events.emit({
    type: 'plan',
    runDir: o.outDir,
    cases: selected.map((c): PlannedCase => {
      const cell = finishedCells.get(c.id);
      return {
        id: c.id,
        section: c.section,
        title: c.title,
        expectedMs: expectedCaseMs(c, o.quick ?? false),
        ...(cell ? { cell } : {}),
      };
    }),
  });
  const shared: RunShared = {
    events,
    answers: new Map(
      entries.flatMap((e) =>
        e.type === 'answer' && e.instruction.kind === 'check' ? [[e.key, e.answer] as const] : [],
      ),
    ),
    lastSetting: new Map(
      entries.flatMap((e) =>
        e.type === 'answer' && e.instruction.subject && e.answer.verdict === 'ok'
          ? [[e.instruction.subject, e.instruction.text] as const]
          : [],
      ),
    ),
    write,
  };
  const skipped = selected.filter((c) => done.has(c.id)).map((c) => c.id);
  const adapter = adapterFor(o.profile, o.prompter);
  // An external SBC is one device with one line and one trunk, and real equipment on either side
  // is one set of devices: cases run one at a time against simulators that live for the whole run.
  const scoped = runScoped(o.profile);
  const workers = scoped ? 1 : Math.max(1, Math.min(o.workers ?? 1, 8));
  const runLab = scoped && todo.length > 0 ? await startRunLab(o, adapter, log, events) : undefined;

  const writeResults = () => {
    const results = buildResults(entries, order);
    const tmp = join(o.outDir, 'results.json.tmp');
    writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
    renameSync(tmp, join(o.outDir, 'results.json'));
    return results;
  };

  let next = 0;
  let running = 0;
  let exclusiveRunning = false;
  const total = todo.length;
  const stopped: string[] = [];
  const worker = async () => {
    for (;;) {
      const i = next;
      const c = todo[i];
      if (!c || o.signal?.aborted) return;
      if (c.exclusive || exclusiveRunning) {
        // Exclusive cases run alone: wait until nothing else runs.
        while ((running > 0 || exclusiveRunning) && !o.signal?.aborted)
          await new Promise((r) => setTimeout(r, 20));
      }
      if (next !== i || o.signal?.aborted) continue; // another worker took it while we waited
      next++;
      running++;
      if (c.exclusive) exclusiveRunning = true;
      o.onCaseStart?.(c, i, total);
      events.emit({
        type: 'case-start',
        id: c.id,
        title: c.title,
        expectedMs: expectedCaseMs(c, o.quick ?? false),
        atMs: Date.now(),
      });
      const cell = await runCase(
        c,
        o,
        adapter,
        (check) => write({ type: 'check', case: c.id, check }),
        log,
        shared,
        runLab,
      );
      if (o.signal?.aborted) {
        // Stopped unfinished: no cell, so a resumed run runs it again.
        stopped.push(c.id);
        if (c.exclusive) exclusiveRunning = false;
        running--;
        continue;
      }
      write({ type: 'cell', cell });
      writeResults();
      events.emit({ type: 'case-end', id: c.id, cell });
      o.onCell?.(cell, i, total);
      if (c.exclusive) exclusiveRunning = false;
      running--;
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, () => worker()));
    if (o.signal?.aborted) {
      const finished = new Set(entries.flatMap((e) => (e.type === 'cell' ? [e.cell.id] : [])));
      const notStarted = todo.map((c) => c.id).filter((id) => !finished.has(id) && !stopped.includes(id));
      events.emit({ type: 'run-end', exitCode: INTERRUPTED_EXIT });
      return {
        results: writeResults(),
        exitCode: INTERRUPTED_EXIT,
        skipped,
        interrupted: { stopped, notStarted },
      };
    }
    const results = buildResults(entries, order);
    const exitCode = exitCodeFor(results.cells);
    write({ type: 'end', at: new Date().toISOString(), exitCode });
    events.emit({ type: 'run-end', exitCode });
    return { results: writeResults(), exitCode, skipped };
  } finally {
    if (runLab) {
      await (o.signal?.aborted ? atMost(runLab.lab?.stop(), 500) : runLab.lab?.stop());
      if (runLab.setupSip.length > 0) writeEvidence(o.outDir, 'run-setup', runLab.setupSip, undefined);
    }
    closed = true;
    journal.close();
  }
}

/**
 * The simulators of a run against an external SBC, started once: the provider (where the SBC
 * registers its line, once, and refreshes it when its own timer says), the OXO trunk (which
 * registers at the SBC once and refreshes itself). SIP goes to the running case's evidence, or
 * to the run's set-up evidence between cases.
 */
interface RunLab {
  lab: Lab | undefined;
  /** Why the simulators could not start: every case is then ERROR with it. */
  error: string | undefined;
  /** Sentences for every cell (e.g. what the adapter's preparation found). */
  notes: string[];
  /** The SIP of the running case, if one runs. */
  caseSip: TraceEvent[] | undefined;
  /** The SIP validator of the running case, if one runs. */
  caseValidator?: SipValidator | undefined;
  /** The RTP validator of the running case (it learns our legs from their SDP). */
  caseRtpValidator?: RtpValidator | undefined;
  /** SIP between cases (the first registrations, refreshes): cases/run-setup.*. */
  setupSip: TraceEvent[];
  /** The running case's id, and who hears of its SIP as it happens. */
  caseId?: string | undefined;
  onCaseSip?: ((caseId: string, t: TraceEvent) => void) | undefined;
  /** When the simulators were up (the SBC's registrations count from here). */
  startedAtMs: number;
}

async function startRunLab(
  o: RunOptions,
  adapter: DutAdapter,
  log: Logger,
  events: RunEvents,
): Promise<RunLab> {
  const r: RunLab = {
    lab: undefined,
    error: undefined,
    notes: [],
    caseSip: undefined,
    setupSip: [],
    startedAtMs: Date.now(),
  };
  try {
    const p = o.profile;
    r.lab = await Lab.start({
      profile: p,
      register: false,
      only: [
        ...(p.provider.kind === 'simulated' ? (['provider'] as const) : []),
        ...(p.sbc.kind === 'embedded' ? (['sbc'] as const) : []),
        ...(p.oxo.kind === 'simulated' ? (['oxo'] as const) : []),
      ],
      ...(o.faults && o.faults.length > 0 ? { faults: o.faults } : {}),
      ...(o.personalities && o.personalities.length > 0 ? { personalities: o.personalities } : {}),
      ...(o.timers ? { timers: o.timers } : {}),
      logger: log,
      trace: (t, actor) => {
        const to = r.caseSip ?? r.setupSip;
        if (to.length < 20_000) to.push(t);
        if (r.caseSip && r.caseId && (actor === 'provider' || actor === 'oxo')) r.onCaseSip?.(r.caseId, t);
        if (actor === 'provider' || actor === 'oxo') r.caseValidator?.observeTrace(t, actor);
        if (actor === 'provider' || actor === 'oxo') r.caseRtpValidator?.observeTrace(t, actor);
      },
    });
    if (adapter.prepare) r.notes.push(...(await adapter.prepare(r.lab)));
    const oxo = r.lab.oxo;
    if (oxo) {
      log.warn(
        `registering the OXO trunk at the SBC ${o.profile.sbc.lan.address}:${o.profile.sbc.lan.port} as ${o.profile.oxo.trunk.user} (an SBC that does not answer takes 32 s to time out)`,
      );
      const t0 = Date.now();
      const tick = setInterval(
        () =>
          log.warn(
            `still waiting for the SBC ${o.profile.sbc.lan.address}:${o.profile.sbc.lan.port} to answer the OXO trunk's REGISTER (${Math.round((Date.now() - t0) / 1000)} s)`,
          ),
        5000,
      );
      const aborted = whenAborted(o.signal);
      const status = await Promise.race([oxo.register(), aborted.promise]).finally(() => {
        clearInterval(tick);
        aborted.dispose();
      });
      if (status === 408)
        r.error = `the SBC did not answer the OXO trunk's REGISTER at ${o.profile.sbc.lan.address}:${o.profile.sbc.lan.port} (408 after 32 s): is it running, and is sbc.lan its PBX side?`;
      else if (status < 200 || status >= 300)
        r.error = `the OXO trunk's registration at the SBC ended with ${status} (check oxo.trunk.user and oxo.trunk.password against the SBC's SIP user, and sbc.lan)`;
    }
    if (p.oxo.kind === 'real' && r.lab.sbc) await waitForRealOxo(r.lab, p, log, events);
    if (p.provider.kind === 'real' && r.lab.sbc) await waitForLineAtRealProvider(r.lab, p, log, events);
    const line = o.profile.provider.line;
    if (p.sbc.kind === 'external' && r.lab.provider && r.lab.provider.registered(line.user).length === 0)
      log.warn(
        `the SBC has not registered line ${line.user} at the provider simulator ${o.profile.provider.address}:${o.profile.provider.port} yet; T-3 judges the first registration within ${line.registrationWaitS} s of the run's start: re-enable the SBC's line (or restart its registration) to make it register now`,
      );
  } catch (err) {
    if (err instanceof RunInterrupted) r.error = 'the run was interrupted';
    else r.error = `the simulators could not start: ${(err as Error).message}`;
  }
  return r;
}

/** How long a run waits for a real OXO to register its trunk at the embedded SBC. */
const REAL_OXO_REGISTRATION_WAIT_MS = 60_000;

/** With the embedded SBC and a real OXO: waits (bounded, saying so) for the OXO's trunk to register. */
async function waitForRealOxo(lab: Lab, p: Profile, log: Logger, events: RunEvents): Promise<void> {
  const sbc = lab.sbc;
  if (!sbc || sbc.registrar.current().length > 0) return;
  const at = `${p.sbc.lan.address}:${p.sbc.lan.port}`;
  const what = `waiting up to ${REAL_OXO_REGISTRATION_WAIT_MS / 1000} s for the real OXO to register its trunk (user ${p.oxo.trunk.user}) at the SBC ${at}: point the OXO's SIP trunk at ${at}`;
  log.warn(what);
  events.emit({ type: 'run-step', step: what, atMs: Date.now() });
  const t0 = Date.now();
  while (sbc.registrar.current().length === 0 && Date.now() - t0 < REAL_OXO_REGISTRATION_WAIT_MS)
    await new Promise((r) => setTimeout(r, 250));
  if (sbc.registrar.current().length === 0)
    log.warn(
      `the real OXO has not registered at the SBC ${at} after ${REAL_OXO_REGISTRATION_WAIT_MS / 1000} s; cases that need the trunk will say so`,
    );
}

/** With the embedded SBC and a real provider: waits (bounded, saying so) for the SBC's line to register there. */
async function waitForLineAtRealProvider(
  lab: Lab,
  p: Profile,
  log: Logger,
  events: RunEvents,
): Promise<void> {
  const sbc = lab.sbc;
  if (!sbc || sbc.lineState === 'registered') return;
  const what = `waiting up to ${p.provider.line.registrationWaitS} s for the SBC's line ${p.provider.line.user} to register at the real provider ${p.provider.address}:${p.provider.port}`;
  log.warn(what);
  events.emit({ type: 'run-step', step: what, atMs: Date.now() });
  const t0 = Date.now();
  const registered = () => sbc.lineState === 'registered';
  while (!registered() && Date.now() - t0 < p.provider.line.registrationWaitS * 1000)
    await new Promise((r) => setTimeout(r, 250));
  if (!registered())
    log.warn(`the SBC's line is ${sbc.lineState} at the real provider; incoming calls may not reach the OXO`);
}

function runInfo(o: RunOptions): RunInfo {
  const p = o.profile;
  return {
    id: `run-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    startedAt: new Date().toISOString(),
    harnessVersion: o.harnessVersion,
    profile: {
      name: p.name,
      file: o.profileFile,
      method: p.method,
      tester: p.tester,
      description: p.description,
    },
    sbc: { kind: p.sbc.kind, model: p.sbc.model, firmware: p.sbc.firmware },
    pbx: { name: p.oxo.name, release: p.oxo.release },
    provider: { name: p.provider.name },
    options: {
      quick: o.quick ?? false,
      workers: o.workers ?? 1,
      ...(o.only ? { only: o.only } : {}),
      faults: o.faults ?? [],
      ...(o.personalities && o.personalities.length > 0 ? { personalities: o.personalities } : {}),
      ...(openSecuritySwitches(p).length > 0 ? { openSwitches: openSecuritySwitches(p) } : {}),
      interactive: o.prompter !== undefined,
    },
    host: { node: process.version, platform: `${process.platform}/${process.arch}` },
    actors: {
      [p.provider.address]: 'Provider',
      [p.sbc.wan.address]: 'SBC WAN',
      [p.sbc.lan.address]: 'SBC LAN',
      [p.oxo.address]: 'OXO Connect',
    },
  };
}

async function runCase(
  c: CaseDefinition,
  o: RunOptions,
  adapter: DutAdapter,
  onCheck: (r: CheckRecord) => void,
  log: Logger,
  shared: RunShared,
  runLab?: RunLab,
): Promise<Cell> {
  const startedAt = new Date();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const base = { id: c.id, section: c.section, title: c.title, startedAt: startedAt.toISOString() };
  const notes: string[] = c.note ? [c.note] : [];
  const finish = (
    verdict: Cell['verdict'],
    comment: string,
    checks: CheckRecord[],
    extra: Partial<Cell> = {},
  ): Cell => ({
    ...base,
    verdict,
    comment: [...notes, comment].filter(Boolean).join(' '),
    checks,
    evidence: {},
    durationMs: Math.round(performance.now() - t0),
    ...extra,
  });

  const unmet = unmetNeed(c.needs, o.profile);
  if (unmet && !unmet.host) return finish('N/A', unmet.reason, []);
  if (unmet)
    return finish('INCOMPLETE', `Not run here: ${unmet.reason}.`, [], { incomplete: [unmet.reason] });
  const sides = realSides(o.profile);
  let run = c.run;
  if (sides.length > 0) {
    const variant = sides.length === 1 ? c.real?.[sides[0]!] : undefined;
    const which = sides.map((s) => (s === 'oxo' ? 'a real OXO' : 'a real provider')).join(' and ');
    if (!variant) {
      const why =
        sides.length === 2
          ? 'the harness needs at least one side simulated to drive and measure a call'
          : `this case has no engineer steps for ${which} yet`;
      return finish(
        'INCOMPLETE',
        `Not run with ${which}: ${why}. Run it with that side simulated (${sides.map((s) => `${s}.kind: simulated`).join(', ')}).`,
        [],
        { incomplete: [`not run with ${which}: ${why}`] },
      );
    }
    run = variant;
  }
  if (runLab?.error) return finish('ERROR', `Harness error: ${runLab.error}`, []);

  let applied: Awaited<ReturnType<DutAdapter['apply']>>;
  const aborted = whenAborted(o.signal);
  try {
    applied = await Promise.race([adapter.apply(c.sbc, o.profile), aborted.promise]);
  } catch (err) {
    aborted.dispose();
    return finish(
      'ERROR',
      `Harness error: the SBC adapter "${adapter.name}" failed: ${(err as Error).message}`,
      [],
    );
  }
  notes.push(...applied.notes);
  const profile = applied.profile;
  if (c.lab?.providerCodecs) profile.provider.codecs = c.lab.providerCodecs as Profile['provider']['codecs'];
  if (c.lab?.deskphoneCodecs) {
    profile.oxo.extensions.deskphone1.codecs = c.lab.deskphoneCodecs as Profile['provider']['codecs'];
    profile.oxo.extensions.deskphone2.codecs = c.lab.deskphoneCodecs as Profile['provider']['codecs'];
  }

  const checks = new Checks(systemClock, onCheck, profile.audio);
  for (const u of applied.unapplied) checks.unapplied.set(u.key, u.sentence);
  const sip: TraceEvent[] = [];
  const validator = new SipValidator();
  const rtpValidator = new RtpValidator();
  let lab: Lab | undefined;
  let watch: CallWatch | undefined;
  let cell: Cell;
  const timeoutMs =
    (o.caseTimeoutMs ?? 60_000) + (o.quick ? (c.waits?.quickMs ?? 0) : (c.waits?.fullMs ?? 0));
  let timer: NodeJS.Timeout | undefined;
  // Ends the engineer's open question when the case ends (timeout included).
  const caseAbort = new AbortController();
  try {
    if (runLab?.lab) {
      lab = runLab.lab;
      lab.prepareCase(profile, { oxoMultiLine: c.lab?.oxoMultiLine ?? false });
      // The embedded SBC of a run-scoped lab takes the case's codec order; what it cannot switch
      // per case is a setting nobody applied (its checks are recorded, not judged).
      for (const key of lab.applySbcSettings(profile)) {
        const sentence = `${key === 'srtpTowardProvider' ? 'SRTP toward the provider' : 'the transport toward the provider'} was not applied: with real equipment the embedded SBC runs for the whole run and cannot switch it per case`;
        applied.unapplied.push({ key, sentence });
        checks.unapplied.set(key, sentence);
      }
      runLab.caseSip = sip;
      runLab.caseId = c.id;
      runLab.onCaseSip = (id, t) => emitSip(shared.events, id, t);
      runLab.caseValidator = validator;
      runLab.caseRtpValidator = rtpValidator;
      notes.push(...runLab.notes);
    } else {
      lab = await Lab.start({
        profile,
        ephemeralPorts: profile.sbc.kind === 'embedded',
        ...(o.faults && o.faults.length > 0 ? { faults: o.faults } : {}),
        ...(o.personalities && o.personalities.length > 0 ? { personalities: o.personalities } : {}),
        ...(o.timers ? { timers: o.timers } : {}),
        ...(c.lab?.oxoMultiLine ? { oxoMultiLine: true } : {}),
        logger: log,
        trace: (t, actor) => {
          if (sip.length < 20_000) sip.push(t);
          if (actor === 'provider' || actor === 'oxo') emitSip(shared.events, c.id, t);
          // What the SBC sent to our actors is judged against docs/sip-rules.md.
          if (actor === 'provider' || actor === 'oxo') validator.observeTrace(t, actor);
          // Their SDP tells the RTP validator which payload types each of our legs negotiated.
          if (actor === 'provider' || actor === 'oxo') rtpValidator.observeTrace(t, actor);
        },
      });
      if (adapter.prepare) notes.push(...(await adapter.prepare(lab)));
    }
    // The calls of this case, judged at its end by the call invariants (call-invariants.ts).
    const calls = new CallWatch(callRegistries(lab), lab.sbc);
    // And the SIP of the simulators that could not leave this host (sip-send-failures.ts).
    const sipSends = new SipSendWatch(simulatorSipSenders(lab), profileSbcHosts(lab));
    // A call that would end in silence gets a short tone first (suppressed silence is told from media that stopped).
    installHangUpProbe(callRegistries(lab));
    let asked = 0;
    const step = (text: string) =>
      shared.events.emit({ type: 'case-step', id: c.id, step: text, atMs: Date.now() });
    const engineer = async (
      kind: Instruction['kind'],
      side: Instruction['side'],
      text: string,
      expected?: string,
      subject?: string,
    ): Promise<EngineerAnswer> => {
      const instruction: Instruction = {
        id: `${c.id}#${++asked}`,
        caseId: c.id,
        kind,
        side,
        text,
        ...(expected ? { expected } : {}),
        askedAtMs: Date.now(),
        ...(subject ? { subject } : {}),
      };
      const key = instructionKey(instruction);
      const known = shared.answers.get(key);
      if (known) return { ...known, via: 'journal' };
      if (!o.prompter)
        throw new NotJudgedHere(
          `needs the engineer ("${text}"): run with --interactive or --ui, or simulate the ${side === 'oxo' ? 'PBX (oxo.kind: simulated)' : 'provider (provider.kind: simulated)'}`,
        );
      step(`${kind === 'check' ? 'asking the engineer' : 'waiting for the engineer'}: ${text}`);
      shared.events.emit({ type: 'instruction', instruction });
      const answer = await o.prompter.instruct(instruction, caseAbort.signal);
      shared.events.emit({ type: 'answer', instructionId: instruction.id, answer });
      shared.write({ type: 'answer', case: c.id, key, instruction, answer });
      if (kind === 'check') shared.answers.set(key, answer);
      applied.answers.push({
        question: text,
        answer: `${answer.verdict}${answer.comment ? ` ${answer.comment}` : ''}`,
      });
      return answer;
    };
    watch = calls;
    const ctx: CaseContext = {
      id: c.id,
      profile,
      lab,
      provider: lab.provider!,
      oxo: lab.oxo!,
      sbc: lab.sbc,
      check: checks,
      quick: o.quick ?? false,
      log: log.child({ case: c.id }),
      prompter: o.prompter,
      runStartedAtMs: runLab?.startedAtMs,
      wait: async (fullMs, quickMs, what) => {
        const ms = o.quick ? Math.min(fullMs, quickMs) : fullMs;
        const shortened = `--quick: ${what} shortened from ${fmt(fullMs)} to ${fmt(quickMs)}.`;
        // Said once, however often the case waits it (a window listened to again).
        if (o.quick && quickMs < fullMs && !notes.includes(shortened)) notes.push(shortened);
        step(`waiting ${fmt(ms)}: ${what}`);
        await sleepUnlessAborted(ms, o.signal);
      },
      step,
      waiveSipRule: (rule, leg, reason) => validator.waive(rule, leg, reason),
      instruct: async (side, text) => {
        const a = await engineer('action', side, text);
        if (a.verdict === 'na')
          throw new NotApplicable(
            `The engineer answered N/A to "${text}"${a.comment ? `: ${a.comment}` : ''}.`,
          );
        if (a.verdict === 'nok')
          checks.that(`engineer: ${text}`, false, {
            expected: 'done',
            observed: `could not be done${a.comment ? `: ${a.comment}` : ''}`,
            failure: `The engineer could not ${lowerFirst(text)}${a.comment ? ` (${a.comment})` : ''}`,
            by: 'engineer',
            ...(a.comment ? { comment: a.comment } : {}),
          });
      },
      observe: async (side, name, question, expected) => {
        const a = await engineer('check', side, question, expected);
        return checks.that(name, a.verdict !== 'nok', {
          expected,
          observed:
            a.verdict === 'ok'
              ? `the engineer confirmed${a.comment ? `: ${a.comment}` : ''}`
              : a.verdict === 'na'
                ? `the engineer answered N/A${a.comment ? `: ${a.comment}` : ''}`
                : `the engineer answered NOK${a.comment ? `: ${a.comment}` : ''}`,
          failure: `${question} The engineer answered NOK${a.comment ? `: ${a.comment}` : ''}`,
          by: 'engineer',
          ...(a.comment ? { comment: a.comment } : {}),
          ...(a.verdict === 'na' ? { notJudgedBy: `the engineer answered N/A to "${question}"` } : {}),
        });
      },
      note: (text) => notes.push(text),
      expectSilence: (call, reason) => calls.expectSilence(call, reason),
      ask: async (question, choices) => {
        if (!o.prompter)
          throw new NotJudgedHere(`needs an engineer's answer ("${question}"); run with --interactive`);
        const answer = await o.prompter.ask(question, choices, caseAbort.signal);
        applied.answers.push({ question, answer });
        return answer;
      },
    };
    // The simulator settings the case asks for become the engineer's on a real side.
    for (const side of sides)
      for (const st of realSideSettings(
        c.lab,
        side,
        (['deskphone1', 'deskphone2'] as const).map((id) => {
          const e = profile.oxo.extensions[id];
          return `${e.name || id} (${e.number})`;
        }),
        codecLabel,
      )) {
        if (shared.lastSetting.get(st.subject) === st.text) continue;
        const a = await engineer('setting', side, st.text, undefined, st.subject);
        if (a.verdict === 'ok') shared.lastSetting.set(st.subject, st.text);
        else {
          shared.lastSetting.delete(st.subject);
          const sentence = `${st.text}: not done (the engineer answered ${a.verdict.toUpperCase()}${a.comment ? `: ${a.comment}` : ''})`;
          applied.unapplied.push({ key: 'codecOrder', sentence });
          checks.unapplied.set('codecOrder', sentence);
        }
      }
    await Promise.race([
      run(ctx),
      aborted.promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CaseTimeout(timeoutMs)), timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    // The case's own checks decide whether it checked anything; the call invariants come on top.
    const caseChecked = checks.records.length > 0;
    await calls.settle();
    for (const n of calls.judge(checks)) if (!notes.includes(n)) notes.push(n);
    if (caseChecked) recordSipRuleChecks(checks, validator, Date.now());
    // The RTP the SBC sent to our legs is judged against docs/rtp-rules.md.
    if (caseChecked) recordRtpRuleChecks(checks, rtpValidator, lab.caseReceivedMedia());
    // Why a failed case's request or answer never reached the SBC, when ours could not be sent.
    if (caseChecked && checks.failed.length > 0) recordSipSendFailures(checks, sipSends.elsewhere());
    const failed = checks.failed;
    const ownMedia = calls.ownSendFailures();
    const ownSip = sipSends.own();
    const ownFailures = [...ownMedia, ...ownSip];
    // A SIP rule the SBC broke stands whatever our own RTP did: only our own SIP could explain it.
    const sipRulesBroken = ownSip.length === 0 ? failed.filter(isSipRuleCheck) : [];
    if (!caseChecked)
      cell = finish('ERROR', 'The case recorded no check (a verdict without evidence is a harness bug).', []);
    else if (sipRulesBroken.length > 0 && ownMedia.length > 0) {
      const rest = failed.filter((f) => !isSipRuleCheck(f));
      cell = finish(
        'NOK',
        `${sipRulesBroken.map((f) => f.failure).join('; ')}.${
          rest.length > 0
            ? ` Our own media could not be sent (${ownMedia.join('; ')}), so these other failures are not held against the SBC: ${rest.map((f) => f.failure ?? f.name).join('; ')}.`
            : ` (Our own media could not be sent meanwhile: ${ownMedia.join('; ')}; no SIP rule depends on it.)`
        }`,
        checks.records,
      );
    } else if (failed.length > 0 && ownFailures.length > 0)
      cell = finish(
        'ERROR',
        ownSendFailureComment(
          ownFailures,
          failed,
          ownSip.length === 0 ? 'media' : ownMedia.length === 0 ? 'SIP' : 'media and SIP',
        ),
        checks.records,
      );
    else if (failed.length > 0)
      cell = finish('NOK', failed.map((f) => f.failure).join('; ') + '.', checks.records);
    else if (
      applied.unapplied.length > 0 ||
      checks.notJudged.some((r) => r.by === 'engineer') ||
      checks.incompleteReasons.length > 0
    ) {
      const unjudged = checks.notJudged.map((r) => r.name);
      const incomplete = [
        ...applied.unapplied.map((u) => u.sentence),
        ...checks.notJudged.flatMap((r) => (r.by === 'engineer' && r.notJudged ? [r.notJudged] : [])),
        ...checks.incompleteReasons,
      ];
      // "As it is": a setting nobody applied, or a step the engineer could not judge. A stall
      // of this process in every window (listen-window.ts) changed nothing of the SBC.
      const asIs = applied.unapplied.length > 0 || checks.notJudged.some((r) => r.by === 'engineer');
      const recorded = unjudged.length > 0 ? `recorded but not judged: ${unjudged.join('; ')}` : '';
      cell = finish(
        'INCOMPLETE',
        asIs
          ? `${incomplete.join('; ')}. The case ran with the SBC as it is${recorded ? `; ${recorded}` : ''}. Every judged check passed.`
          : `${incomplete.join('; ')}.${recorded ? ` ${recorded.charAt(0).toUpperCase()}${recorded.slice(1)}.` : ''} Every judged check passed.`,
        checks.records,
        { incomplete },
      );
    } else cell = finish('OK', '', checks.records);
  } catch (err) {
    const e = err as Error;
    if (e instanceof RunInterrupted)
      cell = finish('ERROR', 'Interrupted.', checks.records); // not journaled
    else if (e instanceof NotApplicable) cell = finish('N/A', e.message, checks.records);
    else if (e instanceof NotJudgedHere && checks.failed.length === 0)
      cell = finish('INCOMPLETE', `Not judged here: ${e.message}.`, checks.records, {
        incomplete: [e.message],
      });
    else if (e instanceof NotJudgedHere)
      cell = finish('NOK', `${checks.failed.map((f) => f.failure).join('; ')}.`, checks.records);
    else {
      log.error({ case: c.id, err: e.message, stack: e.stack }, 'case failed inside the harness');
      cell = finish('ERROR', `Harness error: ${e.message}`, checks.records);
    }
  } finally {
    if (timer) clearTimeout(timer);
    aborted.dispose();
    caseAbort.abort();
    // After an interrupt the calls are ended without waiting long for the SBC's answers.
    await (o.signal?.aborted ? atMost(watch?.cleanUp(), 500) : watch?.cleanUp());
  }
  if (applied.answers.length > 0) cell.answers = applied.answers;
  if (checks.streams.length > 0 || checks.dtmf.length > 0) {
    cell.data = {};
    if (checks.streams.length > 0) cell.data.streams = checks.streams;
    if (checks.dtmf.length > 0) cell.data.dtmf = checks.dtmf;
  }
  if (runLab?.lab) {
    // The simulators outlive the case: end what it left, so the next case starts clean.
    const ending = runLab.lab.endCalls().catch(() => ({ leftUp: [], notEnded: [] }));
    if (o.signal?.aborted) await atMost(ending, 500); // interrupted: no long wait for the SBC
    const left = o.signal?.aborted ? { notEnded: [] } : await ending;
    if (left.notEnded.length > 0)
      log.warn({ case: c.id, notEnded: left.notEnded }, 'calls of the case did not end after hanging up');
    runLab.caseSip = undefined;
    runLab.caseId = undefined;
    runLab.caseValidator = undefined;
    runLab.caseRtpValidator = undefined;
    cell.evidence = writeEvidence(o.outDir, c.id, sip, lab);
  } else if (o.signal?.aborted) {
    await atMost(lab?.stop(), 500); // interrupted: no cell, no evidence
  } else {
    cell.evidence = writeEvidence(o.outDir, c.id, sip, lab);
    await lab?.stop();
  }
  cell.durationMs = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  cell.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  return cell;
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** A SIP message as the reports draw it (redacted), for the watchers of a running case. */
function evidenceMessage(t: TraceEvent): SipEvidenceMessage {
  const raw = redacted(t.data);
  const m: SipEvidenceMessage = {
    wallMs: t.wallTime,
    protocol: t.flow.protocol,
    src: t.direction === 'out' ? t.flow.local : t.flow.remote,
    dst: t.direction === 'out' ? t.flow.remote : t.flow.local,
    summary: raw.slice(0, Math.max(0, raw.indexOf('\r\n')) || 200),
    text: raw,
  };
  if (t.error) m.error = t.error.reason;
  return m;
}

/**
 * Tells the watchers of a SIP message of a running case. Only our provider's and OXO's traces
 * are passed here (not the embedded SBC's), so each message on the wire comes once.
 */
function emitSip(events: RunEvents, id: string, t: TraceEvent): void {
  events.emit({ type: 'sip', id, message: evidenceMessage(t) });
}

/** The exit code of an interrupted run (128 + SIGINT, as a shell reports it). */
export const INTERRUPTED_EXIT = 130;

class CaseTimeout extends Error {
  constructor(ms: number) {
    super(`the case did not finish within ${fmt(ms)} (harness timeout)`);
  }
}

function fmt(ms: number): string {
  return ms >= 60_000
    ? `${(ms / 60_000).toFixed(ms % 60_000 === 0 ? 0 : 1)} min`
    : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

/**
 * A SIP message as evidence: digest `response=` / `rspauth=` values are replaced by "[secret]"
 * (they are derived from the password and would allow a dictionary attack on it); the rest is
 * as it went on the wire.
 */
function redacted(data: Buffer): string {
  return redactAuthorization(data.toString('utf8'));
}

/** Writes the case's SIP (text and pcap, with its RTP) under cases/; returns the references. */
function writeEvidence(
  outDir: string,
  id: string,
  sip: TraceEvent[],
  lab: Lab | undefined,
): Cell['evidence'] {
  if (sip.length === 0 && !lab) return {};
  // Every message between two of our actors is traced twice (sent by one, received by the other);
  // keep the sending side, and keep a received message only when none of ours sent it (a real SBC).
  const ep = (e: { address: string; port: number }) => `${e.address}:${e.port}`;
  const sent = new Set<string>();
  for (const t of sip)
    if (t.direction === 'out')
      sent.add(
        `${ep(t.flow.local)}>${ep(t.flow.remote)}>${t.data.length}>${t.data.subarray(0, 96).toString('latin1')}`,
      );
  const messages = sip.filter(
    (t) =>
      t.direction === 'out' ||
      !sent.has(
        `${ep(t.flow.remote)}>${ep(t.flow.local)}>${t.data.length}>${t.data.subarray(0, 96).toString('latin1')}`,
      ),
  );
  const text = messages
    .map(
      (t) =>
        `--- ${new Date(t.wallTime).toISOString()} ${t.flow.protocol} ${t.flow.local.address}:${t.flow.local.port} ${t.direction === 'out' ? '→' : '←'} ${t.flow.remote.address}:${t.flow.remote.port}${t.error ? ` (unparsable: ${t.error.reason})` : ''}\n${redacted(t.data)}`,
    )
    .join('\n');
  const sipFile = `cases/${id}.sip.txt`;
  writeFileSync(join(outDir, sipFile), text);
  const json: SipEvidenceMessage[] = messages.map(evidenceMessage);
  const sipJsonFile = `cases/${id}.sip.json`;
  writeFileSync(join(outDir, sipJsonFile), JSON.stringify(json));
  const w = new capture.PcapWriter();
  const records: Array<{
    timeMs: number;
    src: { address: string; port: number };
    dst: { address: string; port: number };
    payload: Uint8Array;
  }> = [];
  for (const t of messages) {
    const src = t.direction === 'out' ? t.flow.local : t.flow.remote;
    const dst = t.direction === 'out' ? t.flow.remote : t.flow.local;
    records.push({ timeMs: t.wallTime, src, dst, payload: Buffer.from(redacted(t.data), 'utf8') });
  }
  // The RTP/RTCP of our own actors' legs, and the embedded SBC's, each datagram once.
  for (const r of lab?.caseMediaEvidence() ?? [])
    records.push({ timeMs: r.wallMs, src: r.src, dst: r.dst, payload: r.bytes });
  records.sort((a, b) => a.timeMs - b.timeMs);
  // A datagram whose ends are not both IP addresses of one family (a host name no lookup of ours
  // answered, an address of each family) cannot go in a pcap: it stays in the SIP text.
  for (const r of records) if (capture.canBuildIpUdp(r.src, r.dst)) w.addUdp(r);
  const pcapFile = `cases/${id}.pcap`;
  writeFileSync(join(outDir, pcapFile), w.toBuffer());
  return { pcap: pcapFile, sip: sipFile, sipJson: sipJsonFile };
}
