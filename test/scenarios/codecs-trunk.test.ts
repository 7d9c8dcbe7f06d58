/**
 * The codec cases 8-1-1 … 8-1-4 and the trunk cases T-1 … T-9 run through the plan runner
 * against the embedded SBC: OK (or the expected N/A) on the default profile, and NOK with the
 * symptom in the comment when a fault switch of the SBC breaks what a case checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  type CaseDefinition,
  type Cell,
  Checks,
  judgeSbcEncodedG723,
  RunEvents,
  runPlan,
} from '../../harness/runner/index.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { CODEC_CASES } from '../../scenarios/codecs.ts';
import { rtpContinuity, TRUNK_CASES } from '../../scenarios/trunk.ts';
import { describeWithPeers } from '../support/peers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const CASES: CaseDefinition[] = [...CODEC_CASES, ...TRUNK_CASES];

async function run(
  only: string,
  faults: string[] = [],
  events?: RunEvents,
  profile = loadProfile(),
): Promise<Map<string, Cell>> {
  const outDir = mkdtempSync(join(tmpdir(), 'codecs-trunk-'));
  dirs.push(outDir);
  const r = await runPlan({
    cases: CASES,
    profile,
    profileFile: 'profiles/embedded.yaml',
    outDir,
    harnessVersion: 'test',
    only,
    quick: true,
    workers: 2,
    faults,
    timers: { t1: 100, t2: 800, t4: 1000 },
    caseTimeoutMs: 30_000,
    ...(events ? { events } : {}),
  });
  return new Map(r.results.cells.map((c) => [c.id, c]));
}

function summary(cells: Map<string, Cell>): Record<string, string> {
  return Object.fromEntries([...cells.values()].map((c) => [c.id, c.verdict]));
}

describe('codec and trunk cases on the default profile', () => {
  it('are OK, T-9 INCOMPLETE for T.38 (the harness’s lack, never N/A)', { timeout: 60_000 }, async () => {
    const cells = await run('8-1-1,8-1-3,8-1-4,T-*');
    const s = summary(cells);
    expect(s).toEqual({
      '8-1-1': 'OK',
      '8-1-3': 'OK',
      '8-1-4': 'OK',
      'T-1': 'OK',
      'T-2': 'OK',
      'T-3': 'OK',
      'T-4': 'OK',
      'T-5': 'OK',
      'T-6': 'OK',
      'T-7': 'OK',
      'T-8': 'OK',
      'T-9': 'INCOMPLETE',
      'T-10': 'OK',
    });
    expect(cells.get('T-9')!.comment).toMatch(
      /^Not run here: .*simulated provider and PBX do not do T\.38 .*T-8/,
    );
    // 8-1-4 says how it differs from the report, and G.723.1 really crossed the SBC.
    const g723 = cells.get('8-1-4')!;
    expect(g723.comment).toMatch(/repeats 8-1-3 word for word; here it is the other direction/);
    const passthrough = g723.checks.filter((c) => /G\.723\.1 fixture/.test(c.name));
    expect(passthrough).toHaveLength(2);
    for (const c of passthrough)
      expect(c.observed).toMatch(/^passthrough: \d+ received frames are byte-identical/);
    // Each case checks something concrete.
    for (const c of cells.values()) if (c.verdict === 'OK') expect(c.checks.length).toBeGreaterThanOrEqual(3);
    const t4 = cells.get('T-4')!.checks.find((c) => c.name === 'a wrong password is refused');
    expect(t4?.observed).toBe('401, 403');
    const t6 = cells.get('T-6')!.checks.find((c) => c.name === 'the SBC registers its line over TLS');
    expect(t6?.observed).toMatch(/^REGISTER over TLS/);
    const t8 = cells.get('T-8')!;
    expect(t8.checks.find((c) => /V\.21 preamble/.test(c.name))?.ok).toBe(true);
    expect(t8.comment).toMatch(/provider leg G\.711 A-law, FXS-1 leg G\.711 A-law/);
  });
});

describe('codec and trunk cases under SBC faults', () => {
  it('one-way-audio: audio, RTP relay and fax cases are NOK naming the missing direction', {
    timeout: 60_000,
  }, async () => {
    const cells = await run('8-1-3,8-1-4,T-3,T-5,T-8', ['one-way-audio']);
    expect(summary(cells)).toEqual({
      '8-1-3': 'NOK',
      '8-1-4': 'NOK',
      'T-3': 'OK',
      'T-5': 'NOK',
      'T-8': 'NOK',
    });
    expect(cells.get('8-1-3')!.comment).toMatch(/No audio from Premium Deskphone 1 reached the PSTN phone/);
    expect(cells.get('8-1-3')!.comment).not.toMatch(/No audio from the PSTN phone reached/);
    expect(cells.get('8-1-4')!.comment).toMatch(
      /No audio from Premium Deskphone 1 reached the PSTN phone during the 1600 ms check \(one-way audio, or a delay longer than that\)/,
    );
    expect(cells.get('T-5')!.comment).toMatch(/No RTP reached the PSTN phone/);
    expect(cells.get('T-5')!.comment).toMatch(/WAN → LAN and 0 LAN → WAN \(dropped \d+\)/);
    expect(cells.get('T-8')!.comment).toMatch(/No CED \(2100 Hz\) from the called fax reached the PSTN fax/);
    expect(cells.get('T-8')!.comment).not.toMatch(/No CNG/);
  });

  it('reorder-codecs: the codec cases are NOK, the SBC offering the wrong codec first', {
    timeout: 60_000,
  }, async () => {
    const cells = await run('8-1-1,8-1-3,8-1-4', ['reorder-codecs']);
    expect(summary(cells)).toEqual({ '8-1-1': 'NOK', '8-1-3': 'NOK', '8-1-4': 'NOK' });
    expect(cells.get('8-1-1')!.comment).toMatch(
      /offered G\.\S+ first toward the OXO although G\.711 A-law is its first codec/,
    );
    expect(cells.get('8-1-3')!.comment).toMatch(
      /offered G\.729 first toward the OXO although G\.723\.1 is its first codec/,
    );
    expect(cells.get('8-1-4')!.comment).toMatch(
      /first toward the provider although G\.723\.1 is its first codec/,
    );
  });

  it('stop-rtp-after=1: RTP and fax cases notice media stopping mid-call', { timeout: 60_000 }, async () => {
    const cells = await run('T-5,T-8', ['stop-rtp-after=1']);
    expect(summary(cells)).toEqual({ 'T-5': 'NOK', 'T-8': 'NOK' });
    // The first audio check (in the first second) passes; the second one fails.
    const t5 = cells.get('T-5')!;
    expect(
      t5.checks.filter((c) => c.name === 'audio the PSTN phone → Premium Deskphone 1').map((c) => c.ok),
    ).toEqual([true, false]);
    expect(t5.comment).toMatch(/No audio from the PSTN phone reached Premium Deskphone 1/);
    expect(cells.get('T-8')!.comment).toMatch(/Only 1 of 2 CNG bursts from the calling fax reached FXS-1/);
  });
});

describeWithPeers(['bcg729'], 'codec case 8-1-2 (G.729 through libbcg729)', () => {
  it('is OK, the G.729-only provider leg transcoded; NOK under one-way-audio', {
    timeout: 60_000,
  }, async () => {
    const ok = (await run('8-1-2')).get('8-1-2')!;
    expect(ok.verdict).toBe('OK');
    expect(ok.comment).toMatch(
      /Provider G\.729 only: provider leg G\.729, deskphone leg G\.711 \S+ \(the SBC transcodes\)/,
    );
    expect(ok.checks.find((c) => c.name === 'the SBC transcodes G.729 to the deskphone’s codec')?.ok).toBe(
      true,
    );
    const nok = (await run('8-1-2', ['one-way-audio'])).get('8-1-2')!;
    expect(nok.verdict).toBe('NOK');
    expect(nok.comment).toMatch(/No audio from Premium Deskphone 1 reached the PSTN phone \(G\.729 only\)/);
  });
});

describe('T-5 with the SBC’s media on addresses of their own (sbc.*.mediaAddresses)', () => {
  it('is OK: the SDP and the RTP name the media addresses, not the SIP ones', {
    timeout: 60_000,
  }, async () => {
    // Before, T-5 took the SIP address as the only anchored one: "points at 127.0.10.3 …, not
    // its own WAN address 127.0.10.2 (media not anchored)".
    const p = loadProfile();
    p.sbc.lan.mediaAddresses = ['127.0.20.3'];
    p.sbc.wan.mediaAddresses = ['127.0.10.3'];
    const t5 = (await run('T-5', [], undefined, p)).get('T-5');
    expect(t5?.verdict, t5?.comment).toBe('OK');
    const sdp = t5?.checks.find((c) => c.name === 'SDP toward the provider points at the SBC’s WAN address');
    expect(sdp?.observed).toMatch(/^127\.0\.10\.3:\d+$/);
  });
});

describe('G.723.1 that the SBC encoded itself (8-1-4: passed through or transcoded)', () => {
  it('is judged on its packets arriving; its audio is left not judged (INCOMPLETE), none arriving is NOK', () => {
    // Before, this direction made the cell ERROR: a transcoding SBC is allowed here.
    const arrived = new Checks(systemClock);
    expect(
      judgeSbcEncodedG723(arrived, 'the deskphone', 'the PSTN phone', 'PCMA', { received: 90, lost: 0 }),
    ).toBe(true);
    expect(arrived.failed).toEqual([]);
    expect(arrived.notJudged).toHaveLength(1);
    expect(arrived.incompleteReasons.join(' ')).toMatch(
      /encoded into G\.723\.1 toward the PSTN phone is not judged/,
    );
    const none = new Checks(systemClock);
    expect(
      judgeSbcEncodedG723(none, 'the deskphone', 'the PSTN phone', 'PCMA', { received: 0, lost: 0 }),
    ).toBe(false);
    expect(none.failed.map((r) => r.failure)).toEqual([
      expect.stringMatching(/^No audio from the deskphone reached the PSTN phone during the \d+ ms check/),
    ]);
  });
});

describe('rtpContinuity (T-8)', () => {
  const stream = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ pt: 8, seq: 1000 + i, ts: 160 * i, len: 160 }));

  it('a continuous G.711 stream has no gap, no CN, nothing lost, in any arrival order', () => {
    const s = stream(50);
    expect(rtpContinuity([...s].reverse())).toEqual({ packets: 50, gaps: 0, gapTicks: [], cn: 0, lost: 0 });
  });

  it('a stream whose sequence numbers wrap past 65535 is continuous, in any arrival order; a loss across the wrap counts once', () => {
    const wrap = Array.from({ length: 40 }, (_, i) => ({
      pt: 8,
      seq: (65_520 + i) & 0xffff,
      ts: 160 * i,
      len: 160,
    }));
    expect(rtpContinuity(wrap)).toEqual({ packets: 40, gaps: 0, gapTicks: [], cn: 0, lost: 0 });
    expect(rtpContinuity([...wrap].reverse())).toEqual({
      packets: 40,
      gaps: 0,
      gapTicks: [],
      cn: 0,
      lost: 0,
    });
    // One packet arriving late, after the wrap (reordered): still continuous.
    const late = [...wrap.slice(0, 14), ...wrap.slice(15, 20), wrap[14]!, ...wrap.slice(20)];
    expect(rtpContinuity(late)).toEqual({ packets: 40, gaps: 0, gapTicks: [], cn: 0, lost: 0 });
    // Sequence numbers 65535 and 0 lost: two, not 65 000.
    expect(rtpContinuity(wrap.filter((p) => p.seq !== 65_535 && p.seq !== 0)).lost).toBe(2);
  });

  it('sees silence suppression, comfort noise and loss', () => {
    const s = stream(50);
    // VAD: the sender skipped 1 s of silence but kept its sequence numbers consecutive.
    const vad = s.map((p, i) => (i >= 20 ? { ...p, ts: p.ts + 8000 } : p));
    expect(rtpContinuity(vad)).toMatchObject({ gaps: 1, gapTicks: [8000] });
    const cn = s.map((p, i) => (i === 10 ? { ...p, pt: 13, len: 1 } : p));
    expect(rtpContinuity(cn).cn).toBe(1);
    const lossy = s.filter((_, i) => i !== 5 && i !== 6);
    expect(rtpContinuity(lossy)).toMatchObject({ lost: 2, gaps: 0 });
  });
});

/**
 * Holds this process's event loop up for `ms`, `afterMs` into each window of the fax signals
 * whose number is in `windows` (1: the first), as a loaded host would.
 */
function stallFaxWindows(
  windows: number[],
  afterMs: number,
  ms: number,
): { events: RunEvents; made: () => number } {
  const events = new RunEvents();
  let window = 0;
  let made = 0;
  events.on((e) => {
    if (e.type !== 'case-step' || !/^listening (again )?\(the fax signals\)/.test(e.step)) return;
    window++;
    if (!windows.includes(window)) return;
    setTimeout(() => {
      made++;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // spin: this process's event loop held up
      }
    }, afterMs);
  });
  return { events, made: () => made };
}

describe('T-8 (fax over G.711) when this process itself stalls', () => {
  it('a window with a stall is played again and the cell is judged on one without', {
    timeout: 60_000,
  }, async () => {
    const s = stallFaxWindows([1], 1000, 700);
    const cells = await run('T-8', [], s.events);
    const t8 = cells.get('T-8')!;
    expect(s.made()).toBe(1);
    expect(t8.verdict, t8.comment).toBe('OK');
    expect(t8.comment).toMatch(
      /the fax signals: listened again (once|twice), this process itself having stalled \d+(, \d+)? ms in the windows? before/,
    );
    // --quick shortened the fax window: said once, however many windows were waited.
    expect(t8.comment.match(/--quick: the fax signals shortened/g)).toHaveLength(1);
  });

  it('with a stall in every window, what a stall can have taken is not judged: INCOMPLETE, not NOK', {
    timeout: 60_000,
  }, async () => {
    const s = stallFaxWindows([1, 2, 3], 1000, 700);
    const cells = await run('T-8', [], s.events);
    const t8 = cells.get('T-8')!;
    expect(s.made()).toBe(3);
    expect(t8.verdict, t8.comment).toBe('INCOMPLETE');
    expect(t8.comment).toMatch(
      /the fax signals: this process itself stalled in every window listened to \(\d+, \d+, \d+ ms/,
    );
    expect(t8.comment).toMatch(
      /what a stall of this process could have made in a window \(a silence, a missing or damaged signal\) is recorded but not judged; run the case again on a less loaded host\. Recorded but not judged: /,
    );
    // The SBC's settings were all applied: nothing "ran with the SBC as it is".
    expect(t8.comment).not.toMatch(/as it is/);
    expect(t8.incomplete).toEqual([expect.stringMatching(/^what a stall of this process could have made/)]);
    const signals = t8.checks.filter((c) => /CNG|CED|V\.21/.test(c.name));
    expect(signals).toHaveLength(3);
    // The stall damaged the signals; their failures were recorded, and not judged.
    const failed = signals.filter((c) => !c.ok);
    expect(failed.length).toBeGreaterThan(0);
    for (const c of failed) expect(c.judged, c.name).toBe(false);
    for (const c of signals.filter((k) => k.ok)) expect(c.judged, c.name).not.toBe(false);
  });
});
