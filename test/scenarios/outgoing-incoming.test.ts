/**
 * The outgoing (8-2-*) and incoming (8-3-*) cases run through the plan runner on the default
 * profile (embedded SBC, --quick): every cell OK or N/A for the expected reason; with an SBC
 * fault switched on, the cases it affects turn NOK with a comment naming the symptom. Also the
 * pure DTMF judgement behind the DTMF cases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { type Cell, runPlan } from '../../harness/runner/index.ts';
import { INCOMING_CASES } from '../../scenarios/incoming.ts';
import { judgeDtmf, OUTGOING_CASES } from '../../scenarios/outgoing.ts';

const CASES = [...OUTGOING_CASES, ...INCOMING_CASES];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(
  only: string,
  faults: string[] = [],
  workers = 3,
  profile = loadProfile(),
): Promise<Map<string, Cell>> {
  const outDir = mkdtempSync(join(tmpdir(), 'sbc-oi-'));
  dirs.push(outDir);
  const r = await runPlan({
    cases: CASES,
    profile,
    profileFile: 'profiles/embedded.yaml',
    outDir,
    harnessVersion: 'test',
    only,
    quick: true,
    workers,
    faults,
    timers: { t1: 100, t2: 800, t4: 1000 },
  });
  return new Map(r.results.cells.map((c) => [c.id, c]));
}

function expectNok(cell: Cell | undefined, symptom: RegExp): void {
  expect(cell?.verdict, cell?.comment).toBe('NOK');
  expect(cell?.comment).toMatch(symptom);
}

describe('judgeDtmf', () => {
  const rfc = (digits: string) => [...digits].map((digit) => ({ digit, mode: 'rfc2833' as const }));

  it('accepts each digit once in the mode sent', () => {
    expect(judgeDtmf('15#', rfc('15#'), 'rfc2833', 'A', 'B').ok).toBe(true);
  });

  it('names a digit that arrived twice and how', () => {
    const seen = [
      { digit: '1', mode: 'rfc2833' as const },
      { digit: '5', mode: 'rfc2833' as const },
      { digit: '5', mode: 'inband' as const },
    ];
    const j = judgeDtmf('15', seen, 'rfc2833', 'the deskphone', 'the IVR');
    expect(j.ok).toBe(false);
    expect(j.failure).toBe(
      'DTMF 5 sent as RFC 2833 from the deskphone arrived twice at the IVR: once as RFC 2833, once inband',
    );
  });

  it('accepts a converted mode only when told to', () => {
    const info = [{ digit: '1', mode: 'info' as const }];
    expect(judgeDtmf('1', rfc('1'), 'info', 'A', 'B').ok).toBe(false);
    expect(judgeDtmf('1', rfc('1'), 'info', 'A', 'B', ['info', 'rfc2833']).ok).toBe(true);
    expect(judgeDtmf('1', info, 'info', 'A', 'B', ['info', 'rfc2833']).ok).toBe(true);
    expect(judgeDtmf('1', info, 'rfc2833', 'A', 'B').failure).toBe(
      'DTMF 1 sent as RFC 2833 from A arrived at B as SIP INFO',
    );
  });

  it('names a digit that arrived in another mode, and missing digits', () => {
    const other = judgeDtmf('1', [{ digit: '1', mode: 'info' }], 'inband', 'A', 'B');
    expect(other.failure).toBe('DTMF 1 sent inband from A arrived at B as SIP INFO');
    expect(judgeDtmf('12', rfc('1'), 'rfc2833', 'A', 'B').failure).toBe(
      'DTMF 12 sent as RFC 2833 from A arrived at B as "1"',
    );
    expect(judgeDtmf('12', [], 'rfc2833', 'A', 'B').failure).toBe(
      'DTMF 12 sent as RFC 2833 from A never arrived at B',
    );
  });
});

describe('DTMF carried on in another mode by the SBC (its interworking)', () => {
  it('8-2-1 and 8-2-5 are OK when the SBC turns RFC 2833 into SIP INFO toward a provider without telephone-events (the plan’s “Fallback on SIP Info”)', async () => {
    // Before, 8-2-1 was NOK: "DTMF 1 sent as RFC 2833 … arrived at the IVR as SIP INFO".
    const p = loadProfile();
    p.provider.telephoneEvent = false;
    p.sbc.fallbackToInfo = true;
    const cells = await run('8-2-1,8-2-5', [], 2, p);
    for (const id of ['8-2-1', '8-2-5']) {
      const c = cells.get(id);
      expect(c?.verdict, `${id}: ${c?.comment}`).toBe('OK');
      expect(c?.comment).toMatch(/converted the RFC 2833 digits to SIP INFO toward the provider/);
      expect(c?.comment).toMatch(/converted the digits the IVR returned SIP INFO to RFC 2833 toward the OXO/);
    }
  });
});

describe('8-2-* and 8-3-* on the embedded SBC', () => {
  it('every cell is OK, the SIP INFO cases N/A because OXO lacks DTMF via SIP INFO', async () => {
    const cells = await run('8-2-*,8-3-*');
    expect([...cells.keys()].sort()).toEqual(CASES.map((c) => c.id).sort());
    for (const id of ['8-2-2', '8-2-6']) {
      expect(cells.get(id)?.verdict).toBe('N/A');
      expect(cells.get(id)?.comment).toMatch(/does not support DTMF via SIP INFO/);
    }
    for (const [id, cell] of cells) {
      if (id === '8-2-2' || id === '8-2-6') continue;
      expect(cell.verdict, `${id}: ${cell.comment}`).toBe('OK');
      expect(cell.checks.length).toBeGreaterThan(0);
    }
    // The long call was shortened and says so; the IVR cases name the digits they sent.
    expect(cells.get('8-3-1')?.comment).toMatch(/--quick: the 5-minute call shortened/);
    expect(cells.get('8-2-1')?.comment).toMatch(/Digits 159# sent RFC 2833/);
    // The internal call: audio both ways inside the OXO, nothing on the trunk.
    const internal = cells.get('8-3-5')?.checks.map((c) => c.name) ?? [];
    expect(internal).toContain('no SIP call on the trunk');
    expect(internal.filter((n) => n.endsWith('(internal)'))).toHaveLength(2);
  }, 60_000);

  it('double-dtmf: the RFC 2833 cases see each digit twice at the IVR', async () => {
    const cells = await run('8-2-1,8-2-5', ['double-dtmf'], 2);
    expectNok(cells.get('8-2-1'), /sent as RFC 2833 from Premium Deskphone 1 arrived twice at the IVR/);
    expectNok(cells.get('8-2-5'), /sent as RFC 2833 from Remote Deskphone arrived twice at the IVR/);
  }, 30_000);

  it('one-way-audio: audio, the inband digits and the diverted call fail', async () => {
    const cells = await run('8-2-3,8-2-4,8-3-2,8-3-6', ['one-way-audio'], 4);
    expectNok(cells.get('8-2-3'), /DTMF 159# sent inband from Premium Deskphone 1 never arrived at the IVR/);
    expectNok(
      cells.get('8-2-4'),
      /No audio from Remote Deskphone reached the external phone \(one-way audio/,
    );
    expectNok(cells.get('8-3-2'), /No audio from Premium Deskphone 1 reached the PSTN phone \(one-way audio/);
    expectNok(cells.get('8-3-6'), /No audio from Attendant reached the PSTN phone/);
  }, 30_000);

  it('with a PBX that declares SIP INFO, 8-2-2 runs: OK, and NOK when the SBC drops INFO', async () => {
    const withInfo = () => {
      const p = loadProfile();
      p.oxo.dtmf.info = true;
      return p;
    };
    const [ok, dropped] = await Promise.all([
      run('8-2-2', [], 1, withInfo()),
      run('8-2-2', ['drop-info'], 1, withInfo()),
    ]);
    expect(ok.get('8-2-2')?.verdict, ok.get('8-2-2')?.comment).toBe('OK');
    expectNok(
      dropped.get('8-2-2'),
      /DTMF 159# sent as SIP INFO from Premium Deskphone 1 never arrived at the IVR/,
    );
  }, 30_000);

  it('stop-rtp-after, reject-reinvite, no-bye-relay, strip-telephone-event: long call, hold, release, RFC 2833', async () => {
    const [long, hold, bye, te] = await Promise.all([
      run('8-3-1', ['stop-rtp-after=2'], 1),
      run('8-3-3', ['reject-reinvite'], 1),
      run('8-3-4', ['no-bye-relay'], 1),
      run('8-2-1', ['strip-telephone-event'], 1),
    ]);
    expectNok(
      te.get('8-2-1'),
      /SDP answer to the OXO has no telephone-event: Premium Deskphone 1 cannot send DTMF as RFC 2833/,
    );
    expectNok(
      long.get('8-3-1'),
      /RTP from the PSTN phone to Premium Deskphone 1 stopped [\d.]+ s into the long call/,
    );
    expectNok(
      hold.get('8-3-3'),
      /Holding PSTN 1 from Premium Deskphone 1 failed: the re-INVITE was answered 488/,
    );
    expectNok(bye.get('8-3-4'), /When Remote Deskphone hung up, the external number was not released/);
  }, 40_000);
});
