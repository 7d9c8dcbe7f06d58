/**
 * The display check (Checks.display) on lines the simulated OXO builds from real header values
 * (displayFor): the number must be the caller's; the name may be the caller's, the number
 * itself, or absent (an SBC writes its own leg's From and may leave the display-name out,
 * RFC 3261 §20.20), never another name.
 */
import { describe, expect, it } from 'vitest';
import { displayFor } from '../../harness/actors/index.ts';
import { Checks } from '../../harness/runner/index.ts';
import { systemClock } from '../../harness/support/clock.ts';
import { quickPlanCells } from '../support/quick-plan.ts';

const EXPECTED = { number: '040555001', name: 'PSTN One' };
const line = (pai: string) => displayFor({ pAssertedIdentity: pai }, { countryCode: '49' });

function judge(pai: string) {
  const c = new Checks(systemClock);
  const ok = c.display(line(pai), EXPECTED, 'Premium Deskphone 1');
  return { ok, record: c.records[0] };
}

describe('display check', () => {
  it('the caller’s name and number: OK', () => {
    const r = judge('"PSTN One" <sip:+4940555001@provider.test>');
    expect(r.ok).toBe(true);
    expect(r.record?.observed).toBe('PSTN One 040555001');
  });

  it('no name (the SBC left the display-name out): OK, and the observation says so', () => {
    const r = judge('<sip:+4940555001@provider.test>');
    expect(r.ok).toBe(true);
    expect(r.record?.observed).toMatch(
      /number only: the INVITE the OXO received carried no display-name; the caller sent "PSTN One"/,
    );
  });

  it('the number as the name, in any of its formats: OK', () => {
    for (const name of ['+4940555001', '004940555001', '040 555001', '040/555001']) {
      const r = judge(`"${name}" <sip:+4940555001@provider.test>`);
      expect(r.ok, name).toBe(true);
      expect(r.record?.observed, name).toMatch(/the number shown as the name/);
    }
  });

  it('another name, a wrong number, another number as the name: NOK', () => {
    expect(judge('"PSTN Two" <sip:+4940555001@provider.test>').ok).toBe(false);
    expect(judge('"PSTN One" <sip:+4940555002@provider.test>').ok).toBe(false);
    expect(judge('<sip:+4940555002@provider.test>').ok).toBe(false);
    // Numbers that are not the caller's, as the name: another country's, a cut-off tail, the
    // national number read as another country's (0040… is Romania).
    for (const name of ['001', '+4440555001', '555001', '0040555001', '1240555001'])
      expect(judge(`"${name}" <sip:+4940555001@provider.test>`).ok, name).toBe(false);
    const none = new Checks(systemClock);
    expect(none.display(undefined, EXPECTED, 'Premium Deskphone 1')).toBe(false);
  });

  it('a case whose set shows the number only is OK, and its comment says the name did not reach the set', {
    timeout: 60_000,
  }, async () => {
    const cell = (await quickPlanCells('8-3-2', { personalities: ['no-display-name'] })).get('8-3-2');
    expect(cell?.verdict, cell?.comment).toBe('OK');
    expect(cell?.comment).toMatch(
      /Premium Deskphone 1 shows the caller's number only: the name "PSTN One" that the provider sent did not reach the OXO/,
    );
  });
});
