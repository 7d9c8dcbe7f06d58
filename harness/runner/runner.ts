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
import { Lab, type LabOptions } from '../actors/index.ts';
import { openSecuritySwitches } from '../config/open-switches.ts';
import type { Profile } from '../config/profile-schema.ts';
import { capture } from '../media/index.ts';
import { redactAuthorization, type TraceEvent } from '../sip/index.ts';
import { systemClock } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { CallWatch, callRegistries } from './call-invariants.ts';
import { unmetNeed } from './capabilities.ts';
import { type CaseContext, NotApplicable, NotJudgedHere } from './case-context.ts';
import type { CaseDefinition } from './case-definition.ts';
import { Checks } from './checks.ts';
import { adapterFor, type DutAdapter } from './dut-adapter.ts';
import { Journal, type JournalEntry, type RunInfo, readJournal } from './journal.ts';
import type { Prompter } from './prompter.ts';
import { buildResults, type ResultsFile } from './results.ts';
import { RtpValidator, recordRtpRuleChecks, recordSipRuleChecks, SipValidator } from './validator/index.ts';
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
  logger?: Logger;
}

export interface RunOutcome {
  results: ResultsFile;
  exitCode: number;
  /** Cases not run because they had a cell already (resume). */
  skipped: string[];
}

/** A new run asked to write into the folder of another run (runs never mix). */
export class RunFolderInUse extends Error {
  override name = 'ConfigError';
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
  const write = (e: JournalEntry) => {
    journal.append(e);
    entries.push(e);
  };
  if (o.resume) write({ type: 'resume', at: new Date().toISOString() });
  else write({ type: 'run', run: runInfo(o) });

  const selected = o.cases.filter((c) => matchesOnly(c.id, o.only));
  const todo = selected.filter((c) => !done.has(c.id));
  const skipped = selected.filter((c) => done.has(c.id)).map((c) => c.id);
  const adapter = adapterFor(o.profile, o.prompter);
  // An external SBC is one device with one line and one trunk: its cases run one at a time
  // against simulators that live for the whole run.
  const workers = o.profile.sbc.kind === 'embedded' ? Math.max(1, Math.min(o.workers ?? 1, 8)) : 1;
  const runLab =
    o.profile.sbc.kind === 'external' && todo.length > 0 ? await startRunLab(o, adapter, log) : undefined;

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
  const worker = async () => {
    for (;;) {
      const i = next;
      const c = todo[i];
      if (!c) return;
      if (c.exclusive || exclusiveRunning) {
        // Exclusive cases run alone: wait until nothing else runs.
        while (running > 0 || exclusiveRunning) await new Promise((r) => setTimeout(r, 20));
      }
      if (next !== i) continue; // another worker took it while we waited
      next++;
      running++;
      if (c.exclusive) exclusiveRunning = true;
      o.onCaseStart?.(c, i, total);
      const cell = await runCase(
        c,
        o,
        adapter,
        (check) => write({ type: 'check', case: c.id, check }),
        log,
        runLab,
      );
      write({ type: 'cell', cell });
      writeResults();
      o.onCell?.(cell, i, total);
      if (c.exclusive) exclusiveRunning = false;
      running--;
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, () => worker()));
    const results = buildResults(entries, order);
    const exitCode = exitCodeFor(results.cells);
    write({ type: 'end', at: new Date().toISOString(), exitCode });
    return { results: writeResults(), exitCode, skipped };
  } finally {
    if (runLab) {
      await runLab.lab?.stop();
      if (runLab.setupSip.length > 0) writeEvidence(o.outDir, 'run-setup', runLab.setupSip, undefined);
    }
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
  /** When the simulators were up (the SBC's registrations count from here). */
  startedAtMs: number;
}

async function startRunLab(o: RunOptions, adapter: DutAdapter, log: Logger): Promise<RunLab> {
  const r: RunLab = {
    lab: undefined,
    error: undefined,
    notes: [],
    caseSip: undefined,
    setupSip: [],
    startedAtMs: Date.now(),
  };
  try {
    r.lab = await Lab.start({
      profile: o.profile,
      register: false,
      ...(o.timers ? { timers: o.timers } : {}),
      logger: log,
      trace: (t, actor) => {
        const to = r.caseSip ?? r.setupSip;
        if (to.length < 20_000) to.push(t);
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
      const status = await oxo.register();
      if (status === 408)
        r.error = `the SBC did not answer the OXO trunk's REGISTER at ${o.profile.sbc.lan.address}:${o.profile.sbc.lan.port} (408 after 32 s): is it running, and is sbc.lan its PBX side?`;
      else if (status < 200 || status >= 300)
        r.error = `the OXO trunk's registration at the SBC ended with ${status} (check oxo.trunk.user and oxo.trunk.password against the SBC's SIP user, and sbc.lan)`;
    }
    const line = o.profile.provider.line;
    if (r.lab.provider && r.lab.provider.registered(line.user).length === 0)
      log.warn(
        `the SBC has not registered line ${line.user} at the provider simulator ${o.profile.provider.address}:${o.profile.provider.port} yet; T-3 judges the first registration within ${line.registrationWaitS} s of the run's start: re-enable the SBC's line (or restart its registration) to make it register now`,
      );
  } catch (err) {
    r.error = `the simulators could not start: ${(err as Error).message}`;
  }
  return r;
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
    return finish('INCOMPLETE', `Not run on this host: ${unmet.reason}.`, [], { incomplete: [unmet.reason] });
  if (runLab?.error) return finish('ERROR', `Harness error: ${runLab.error}`, []);

  let applied: Awaited<ReturnType<DutAdapter['apply']>>;
  try {
    applied = await adapter.apply(c.sbc, o.profile);
  } catch (err) {
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
  try {
    if (runLab?.lab) {
      lab = runLab.lab;
      lab.prepareCase(profile, { oxoMultiLine: c.lab?.oxoMultiLine ?? false });
      runLab.caseSip = sip;
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
        if (o.quick && quickMs < fullMs)
          notes.push(`--quick: ${what} shortened from ${fmt(fullMs)} to ${fmt(quickMs)}.`);
        await new Promise((r) => setTimeout(r, ms));
      },
      note: (text) => notes.push(text),
      expectSilence: (call, reason) => calls.expectSilence(call, reason),
      ask: async (question, choices) => {
        if (!o.prompter)
          throw new NotJudgedHere(`needs an engineer's answer ("${question}"); run with --interactive`);
        const answer = await o.prompter.ask(question, choices);
        applied.answers.push({ question, answer });
        return answer;
      },
    };
    await Promise.race([
      c.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CaseTimeout(timeoutMs)), timeoutMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    // The case's own checks decide whether it checked anything; the call invariants come on top.
    const caseChecked = checks.records.length > 0;
    await calls.settle();
    calls.judge(checks);
    if (caseChecked) recordSipRuleChecks(checks, validator, Date.now());
    // The RTP the SBC sent to our legs is judged against docs/rtp-rules.md.
    if (caseChecked) recordRtpRuleChecks(checks, rtpValidator, lab.caseReceivedMedia());
    const failed = checks.failed;
    if (!caseChecked)
      cell = finish('ERROR', 'The case recorded no check (a verdict without evidence is a harness bug).', []);
    else if (failed.length > 0)
      cell = finish('NOK', failed.map((f) => f.failure).join('; ') + '.', checks.records);
    else if (applied.unapplied.length > 0) {
      const unjudged = checks.notJudged.map((r) => r.name);
      const incomplete = applied.unapplied.map((u) => u.sentence);
      cell = finish(
        'INCOMPLETE',
        `${incomplete.join('; ')}. The case ran with the SBC as it is${
          unjudged.length > 0 ? `; recorded but not judged: ${unjudged.join('; ')}` : ''
        }. Every judged check passed.`,
        checks.records,
        { incomplete },
      );
    } else cell = finish('OK', '', checks.records);
  } catch (err) {
    const e = err as Error;
    if (e instanceof NotApplicable) cell = finish('N/A', e.message, checks.records);
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
    await watch?.cleanUp();
  }
  if (applied.answers.length > 0) cell.answers = applied.answers;
  if (checks.streams.length > 0 || checks.dtmf.length > 0) {
    cell.data = {};
    if (checks.streams.length > 0) cell.data.streams = checks.streams;
    if (checks.dtmf.length > 0) cell.data.dtmf = checks.dtmf;
  }
  if (runLab?.lab) {
    // The simulators outlive the case: end what it left, so the next case starts clean.
    const left = await runLab.lab.endCalls().catch(() => ({ leftUp: [], notEnded: [] }));
    if (left.notEnded.length > 0)
      log.warn({ case: c.id, notEnded: left.notEnded }, 'calls of the case did not end after hanging up');
    runLab.caseSip = undefined;
    runLab.caseValidator = undefined;
    runLab.caseRtpValidator = undefined;
    cell.evidence = writeEvidence(o.outDir, c.id, sip, lab);
  } else {
    cell.evidence = writeEvidence(o.outDir, c.id, sip, lab);
    await lab?.stop();
  }
  cell.durationMs = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  cell.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  return cell;
}

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
  const json: SipEvidenceMessage[] = messages.map((t) => {
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
  });
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
  for (const r of records) w.addUdp(r);
  const pcapFile = `cases/${id}.pcap`;
  writeFileSync(join(outDir, pcapFile), w.toBuffer());
  return { pcap: pcapFile, sip: sipFile, sipJson: sipJsonFile };
}
