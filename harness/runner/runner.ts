/**
 * Runs a plan case by case. Each case gets its own lab (on ephemeral ports with the embedded
 * SBC, so independent cases can run side by side), its SBC preconditions applied by the DUT
 * adapter, a harness timeout, and ends as one cell written to the journal with its checks and
 * evidence (a pcap of its SIP and RTP, the SIP messages as text).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, type LabOptions } from '../actors/index.ts';
import type { Profile } from '../config/profile-schema.ts';
import { capture } from '../media/index.ts';
import { redactAuthorization, type TraceEvent } from '../sip/index.ts';
import { systemClock } from '../support/clock.ts';
import { type Logger, silentLogger } from '../support/log.ts';
import { CallWatch, callRegistries } from './call-invariants.ts';
import { unmetNeed } from './capabilities.ts';
import { type CaseContext, NotApplicable } from './case-context.ts';
import type { CaseDefinition } from './case-definition.ts';
import { Checks } from './checks.ts';
import { type DutAdapter, embeddedAdapter, manualAdapter } from './dut-adapter.ts';
import { Journal, type JournalEntry, type RunInfo, readJournal } from './journal.ts';
import { isKamailioLab, kamailioLabAdapter } from './kamailio-adapter.ts';
import type { Prompter } from './prompter.ts';
import { buildResults, type ResultsFile } from './results.ts';
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
  const adapter: DutAdapter =
    o.profile.sbc.kind === 'embedded'
      ? embeddedAdapter
      : isKamailioLab(o.profile)
        ? kamailioLabAdapter()
        : manualAdapter(o.prompter);
  const workers = o.profile.sbc.kind === 'embedded' ? Math.max(1, Math.min(o.workers ?? 1, 8)) : 1;

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
      const cell = await runCase(c, o, adapter, (check) => write({ type: 'check', case: c.id, check }), log);
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
    journal.close();
  }
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
  if (unmet) return finish('N/A', unmet, []);

  const applied = await adapter.apply(c.sbc, o.profile);
  notes.push(...applied.notes);
  const profile = applied.profile;
  if (c.lab?.providerCodecs) profile.provider.codecs = c.lab.providerCodecs as Profile['provider']['codecs'];
  if (c.lab?.deskphoneCodecs) {
    profile.oxo.extensions.deskphone1.codecs = c.lab.deskphoneCodecs as Profile['provider']['codecs'];
    profile.oxo.extensions.deskphone2.codecs = c.lab.deskphoneCodecs as Profile['provider']['codecs'];
  }

  const checks = new Checks(systemClock, onCheck);
  const sip: TraceEvent[] = [];
  let lab: Lab | undefined;
  let watch: CallWatch | undefined;
  let cell: Cell;
  const timeoutMs =
    (o.caseTimeoutMs ?? 60_000) + (o.quick ? (c.waits?.quickMs ?? 0) : (c.waits?.fullMs ?? 0));
  let timer: NodeJS.Timeout | undefined;
  try {
    lab = await Lab.start({
      profile,
      ephemeralPorts: profile.sbc.kind === 'embedded',
      ...(o.faults && o.faults.length > 0 ? { faults: o.faults } : {}),
      ...(o.timers ? { timers: o.timers } : {}),
      ...(c.lab?.oxoMultiLine ? { oxoMultiLine: true } : {}),
      logger: log,
      trace: (t) => {
        if (sip.length < 20_000) sip.push(t);
      },
    });
    if (adapter.prepare) notes.push(...(await adapter.prepare(lab)));
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
          throw new NotApplicable(`needs an engineer's answer ("${question}"); run with --interactive`);
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
    await calls.settle();
    calls.judge(checks);
    const failed = checks.failed;
    if (checks.records.length === 0)
      cell = finish('ERROR', 'The case recorded no check (a verdict without evidence is a harness bug).', []);
    else if (failed.length > 0)
      cell = finish('NOK', failed.map((f) => f.failure).join('; ') + '.', checks.records);
    else cell = finish('OK', '', checks.records);
  } catch (err) {
    const e = err as Error;
    if (e instanceof NotApplicable) cell = finish('N/A', e.message, checks.records);
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
  cell.evidence = writeEvidence(o.outDir, c.id, sip, lab);
  await lab?.stop();
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
  for (const r of lab?.sbc?.evidence() ?? [])
    records.push({ timeMs: r.wallMs, src: r.src, dst: r.dst, payload: r.bytes });
  records.sort((a, b) => a.timeMs - b.timeMs);
  for (const r of records) w.addUdp(r);
  const pcapFile = `cases/${id}.pcap`;
  writeFileSync(join(outDir, pcapFile), w.toBuffer());
  return { pcap: pcapFile, sip: sipFile, sipJson: sipJsonFile };
}
