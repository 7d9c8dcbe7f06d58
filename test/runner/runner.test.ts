/**
 * The plan runner: verdicts from checks, N/A from needs, ERROR for the harness's own failures
 * and timeouts, the journal as the source of truth, --only, --quick, workers, and a run killed
 * with SIGKILL then resumed giving the same cells as an uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  buildResults,
  type CaseContext,
  type Cell,
  matchesOnly,
  readJournal,
  runPlan,
  testCase,
} from '../../harness/runner/index.ts';
import { closeRtpSocketUnder } from '../support/own-media-failure.ts';
import { closeSipSocketsUnder } from '../support/own-sip-failure.ts';
import { EXPECTED, FAKE_PLAN } from './fake-plan.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'run-'));
  dirs.push(d);
  return d;
}

const base = {
  cases: FAKE_PLAN,
  profile: loadProfile(),
  profileFile: 'profiles/embedded.yaml',
  harnessVersion: 'test',
  quick: true,
  caseTimeoutMs: 1500,
};

function verdicts(cells: Cell[]): Record<string, string> {
  return Object.fromEntries(cells.map((c) => [c.id, c.verdict]));
}

describe('runPlan', () => {
  it('turns checks, needs, exceptions and timeouts into the right verdicts and comments', async () => {
    const out = tmp();
    const r = await runPlan({ ...base, outDir: out, workers: 2 });
    expect(verdicts(r.results.cells)).toEqual(EXPECTED);
    const cell = (id: string) => r.results.cells.find((c) => c.id === id)!;
    expect(cell('T-2').comment).toBe('No audio from A reached B.');
    expect(cell('T-2').checks[0]).toMatchObject({
      name: 'tone heard',
      expected: 'a tone',
      observed: 'silence',
      ok: false,
    });
    expect(cell('T-3').comment).toMatch(/does not support DTMF via SIP INFO/);
    expect(cell('T-4').comment).toBe('Harness error: boom');
    expect(cell('T-5').comment).toBe('the lab has no fax machine');
    expect(cell('T-6').comment).toMatch(/--quick: the long wait shortened from 5 s to 0.2 s/);
    expect(cell('T-7').comment).toMatch(/recorded no check/);
    expect(cell('T-8').comment).toMatch(/did not finish within .* \(harness timeout\)/);
    expect(r.exitCode).toBe(2);
    expect(r.results.cells.map((c) => c.id)).toEqual(FAKE_PLAN.map((c) => c.id));
    // results.json is a pure function of the journal.
    const fromJournal = buildResults(
      readJournal(join(out, 'journal.jsonl')).entries,
      FAKE_PLAN.map((c) => c.id),
    );
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(fromJournal)),
    );
    // Every cell that ran a lab has its SIP evidence.
    expect(cell('T-1').evidence.pcap).toBe('cases/T-1.pcap');
    const sipText = readFileSync(join(out, 'cases/T-1.sip.txt'), 'utf8');
    expect(sipText).toContain('REGISTER sip:');
    // Digest responses are derived from passwords: evidence carries them redacted, text and pcap alike.
    expect(sipText).toMatch(/response="\[secret\]"/);
    expect(sipText).not.toMatch(/response="[0-9a-f]{16,}"/);
    expect(readFileSync(join(out, 'cases/T-1.pcap')).toString('latin1')).not.toMatch(
      /response="[0-9a-f]{16,}"/,
    );
  });

  /**
   * A call from pstn1 to Premium Deskphone 1, answered (one check), whose phone's RTP socket
   * then closes under it, as a host failure would: none of its RTP leaves for 1.5 s.
   */
  async function callWithDeadRtp(ctx: CaseContext) {
    const desk = ctx.oxo.extension('deskphone1');
    const incoming = desk.nextIncoming();
    const pstn = await ctx.provider.phone('pstn1').call(desk.did);
    const leg = await incoming;
    ctx.check.that('call answered', await pstn.established(), {
      expected: 'answered',
      observed: 'answered',
    });
    closeRtpSocketUnder(pstn);
    await new Promise((r) => setTimeout(r, 1500));
    return { pstn, leg };
  }

  it('a case whose own media could not be sent is an ERROR naming it, not a NOK against the SBC', async () => {
    const ownMediaBroken = testCase({
      id: 'T-90',
      section: '6.1',
      title: 'our RTP refused by our own socket',
      steps: ['a call whose PSTN phone cannot send its RTP'],
      async run(ctx) {
        const { pstn, leg } = await callWithDeadRtp(ctx);
        await leg.hangup();
        await pstn.ended();
      },
    });
    const r = await runPlan({ ...base, cases: [ownMediaBroken], outDir: tmp(), caseTimeoutMs: 15_000 });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('ERROR');
    expect(cell.comment).toMatch(
      /^Harness error: our own media could not be sent \(the provider leg \(pstn1\): \d+ RTP packets not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)\)/,
    );
    expect(cell.comment).toMatch(
      /not held against the SBC: .*RTP from the provider side stopped reaching the OXO leg/,
    );
    expect(r.exitCode).toBe(2);
  });

  it('a SIP rule the SBC broke stays NOK though our own media could not be sent; only the other failures are not held against it', async () => {
    const ownMediaAndBadBye = testCase({
      id: 'T-92',
      section: '6.1',
      title: 'our RTP refused by our own socket, and the SBC relays the hang-up with a CSeq going back',
      steps: ['a call whose PSTN phone cannot send its RTP; the PSTN phone hangs up'],
      async run(ctx) {
        const { pstn, leg } = await callWithDeadRtp(ctx);
        // The SBC relays this BYE toward the OXO with a CSeq below its INVITE's there.
        await pstn.hangup();
        await Promise.race([leg.ended(), new Promise((r) => setTimeout(r, 2000))]);
      },
    });
    const r = await runPlan({
      ...base,
      cases: [ownMediaAndBadBye],
      outDir: tmp(),
      caseTimeoutMs: 20_000,
      faults: ['bye-cseq-backwards'],
    });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('NOK');
    // RFC 3261 §12.2.1.1: the SBC's BYE toward the OXO goes back in CSeq, whatever our RTP did.
    expect(cell.comment).toMatch(/^The SBC sent a request whose CSeq number goes back .*rule cseq-order\]/);
    expect(cell.comment).toMatch(
      /Our own media could not be sent \(the provider leg \(pstn1\): \d+ RTP packets not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)\), so these other failures are not held against the SBC: .*RTP from the provider side stopped reaching the OXO leg/,
    );
    expect(r.exitCode).toBe(1);
  });

  it('a case whose own SIP could not be sent is an ERROR naming the message, not a NOK against the SBC', async () => {
    const ownSipBroken = testCase({
      id: 'T-91',
      section: '6.1',
      title: 'our SIP refused by our own socket',
      steps: ['a call whose provider cannot send its BYE'],
      async run(ctx) {
        const desk = ctx.oxo.extension('deskphone1');
        const incoming = desk.nextIncoming();
        const pstn = await ctx.provider.phone('pstn1').call(desk.did);
        await incoming;
        ctx.check.that('call answered', await pstn.established(), {
          expected: 'answered',
          observed: 'answered',
        });
        // The provider's SIP sockets close under it, as a host failure would: its BYE never leaves,
        // so the OXO leg stays up (a failed invariant that is ours, not the SBC's).
        closeSipSocketsUnder(ctx.lab.provider!.ua);
        await pstn.hangup();
      },
    });
    const r = await runPlan({ ...base, cases: [ownSipBroken], outDir: tmp(), caseTimeoutMs: 15_000 });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('ERROR');
    expect(cell.comment).toMatch(
      /^Harness error: our own SIP could not be sent \((?:[^)]*\); )?the provider simulator: BYE sip:\S+ SIP\/2\.0 to [\d.]+:\d+ over UDP not sent \(ERR_SOCKET_DGRAM_NOT_RUNNING\)\)/,
    );
    expect(cell.comment).toMatch(/not held against the SBC: .*OXO leg/);
    expect(r.exitCode).toBe(2);
  });

  it('--only runs the matching cases; exit code 1 when a cell is NOK and none is ERROR', async () => {
    const r = await runPlan({ ...base, outDir: tmp(), only: 'T-1,T-2' });
    expect(verdicts(r.results.cells)).toEqual({ 'T-1': 'OK', 'T-2': 'NOK' });
    expect(r.exitCode).toBe(1);
    expect(matchesOnly('8-2-5', '8-2-*')).toBe(true);
    expect(matchesOnly('8-3-5', '8-2-*,8-3-1')).toBe(false);
  });

  it('a run killed with SIGKILL and resumed gives the same cells as an uninterrupted run', async () => {
    const killed = tmp();
    const script = fileURLToPath(new URL('./fake-plan.ts', import.meta.url));
    const bin = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
    const child = spawn(process.execPath, [bin, script, killed], { stdio: 'ignore' });
    const journal = join(killed, 'journal.jsonl');
    // Kill it once two cells are on disk, in the middle of the run.
    for (let i = 0; i < 400; i++) {
      let cells = 0;
      try {
        cells = readJournal(journal).entries.filter((e) => e.type === 'cell').length;
      } catch {
        // not there yet
      }
      if (cells >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const before = readJournal(journal).entries.filter((e) => e.type === 'cell').length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(FAKE_PLAN.length);

    const resumed = await runPlan({ ...base, outDir: killed, resume: true });
    expect(resumed.skipped.length).toBe(before);
    const straight = await runPlan({ ...base, outDir: tmp() });
    const strip = (cells: Cell[]) =>
      cells.map((c) => ({
        id: c.id,
        verdict: c.verdict,
        comment: c.comment,
        checks: c.checks.map((k) => k.name),
      }));
    expect(strip(resumed.results.cells)).toEqual(strip(straight.results.cells));
    expect(resumed.results.run.resumedAt?.length).toBe(1);
  });
});
