/**
 * The forms a profile may write the SBC line's user and numbers in (harness/config/phone-number.ts),
 * the profile errors that name the key, and the provider's number matching across forms
 * (harness/actors/number-match.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { numberKey, sameNumber } from '../../harness/actors/number-match.ts';
import { canonicalPhoneNumber, isSipUser } from '../../harness/config/phone-number.ts';
import { DEFAULT_PROFILE_PATH, ProfileError, parseProfile } from '../../harness/config/profile.ts';

const base = readFileSync(DEFAULT_PROFILE_PATH, 'utf8');

function problems(text: string): string[] {
  try {
    parseProfile(text, 'p.yaml', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ProfileError);
    return (err as ProfileError).problems;
  }
  throw new Error('the profile was accepted');
}

const withLine = (user: string, number: string) =>
  base
    .replace('user: "+4930123456"', `user: "${user}"`)
    .replace('number: "+4930123456"', `number: "${number}"`);

describe('phone numbers and line users in a profile', () => {
  it('accepts E.164, international, national and grouped forms and keeps their wire form', () => {
    const cases: Array<[string, string]> = [
      ['+4930123456', '+4930123456'],
      ['+49 30 123456', '+4930123456'],
      ['+49 (0)30 123456', '+4930123456'],
      ['0049-30-123456', '004930123456'],
      ['030123456', '030123456'],
      ['030/123 456', '030123456'],
      ['(030) 123-456', '030123456'],
      ['030.123.456', '030123456'],
      ['*21#', '*21#'],
    ];
    for (const [raw, wire] of cases) expect(canonicalPhoneNumber(raw), raw).toBe(wire);
    for (const bad of ['', 'sbc-line', '030 12x456', '+', '++49301', '030@example', '1'.repeat(33)])
      expect(canonicalPhoneNumber(bad), bad).toBeUndefined();
  });

  it('a line user may be a name or a number, never text that cannot be a SIP URI user', () => {
    for (const ok of ['sbc-line', 'lancom01', '+4930123456', 'line_1.a', 'a%40b', "o'brien"])
      expect(isSipUser(ok), ok).toBe(true);
    for (const bad of ['', 'sbc line', 'user@host', 'sip:x', 'ü', 'a%4'])
      expect(isSipUser(bad), bad).toBe(false);
  });

  it('the profile loads a name user with a national, grouped number', () => {
    const p = parseProfile(withLine('sbc-line', '030 123456'), 'p.yaml', {});
    expect(p.provider.line.user).toBe('sbc-line');
    expect(p.provider.line.number).toBe('030123456');
    const q = parseProfile(withLine('lancom01', '+49 (0)30 123456'), 'p.yaml', {});
    expect(q.provider.line.number).toBe('+4930123456');
  });

  it('names the key and the accepted forms when a user or number is wrong', () => {
    expect(problems(withLine('sbc line', '030123456'))[0]).toMatch(
      /^provider\.line\.user: expected a SIP user: a name such as sbc-line or a number/,
    );
    const num = problems(withLine('sbc-line', 'sbc-line'));
    expect(num[0]).toMatch(
      /^provider\.line\.number: expected a phone number: digits with an optional leading \+/,
    );
    const did = problems(base.replace('did: "+4930123456100"', 'did: "ext 100"'));
    expect(did[0]).toMatch(/^oxo\.extensions\.deskphone1\.did: expected a phone number/);
  });
});

describe('number matching at the provider', () => {
  it('E.164, 00 and national forms of one number match; other numbers and names do not', () => {
    expect(numberKey('+4930123456')).toBe('4930123456');
    expect(sameNumber('+4930123456', '030123456')).toBe(true);
    expect(sameNumber('004930123456', '030-123456')).toBe(true);
    expect(sameNumber('+4930123456', '4930123456')).toBe(true);
    expect(sameNumber('+4340123456', '040123456', { countryCode: '43' })).toBe(true);
    expect(sameNumber('+4930123456', '030123457')).toBe(false);
    expect(sameNumber('+4930123456', '+4330123456')).toBe(false);
    expect(sameNumber('sbc-line', 'sbc-line')).toBe(true);
    expect(sameNumber('sbc-line', 'SBC-Line')).toBe(false);
    expect(sameNumber('sbc-line', '030123456')).toBe(false);
  });
});
