/**
 * The deskphone display model: number normalisation (+49 → 0, other countries → 00, internal
 * numbers untouched, an outside-line prefix added), P-Asserted-Identity preferred over From,
 * anonymous callers, and garbage headers that give an empty line instead of throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayFor, normaliseNumber } from '../../harness/actors/display.ts';

describe('normaliseNumber', () => {
  it('maps the home country to the national prefix and others to the international one', () => {
    expect(normaliseNumber('+4930123456')).toBe('030123456');
    expect(normaliseNumber('004930123456')).toBe('030123456');
    expect(normaliseNumber('+442071234567')).toBe('00442071234567');
    expect(normaliseNumber('030123456')).toBe('030123456');
    expect(normaliseNumber('101')).toBe('101');
    expect(normaliseNumber('+33 1-23.45')).toBe('003312345');
    expect(normaliseNumber('+4930123456', { outsideLinePrefix: '0' })).toBe('0030123456');
    expect(normaliseNumber('+43123456', { countryCode: '43' })).toBe('0123456');
    expect(normaliseNumber('anonymous')).toBe('anonymous');
  });
});

describe('displayFor', () => {
  it('prefers P-Asserted-Identity, takes the name from From when PAI has none', () => {
    const d = displayFor({
      from: '"Front Desk" <sip:+4930999@provider.test>;tag=1',
      pAssertedIdentity: '<sip:+4930123456@provider.test>',
    });
    expect(d).toEqual({
      name: 'Front Desk',
      number: '030123456',
      raw: '+4930123456',
      source: 'p-asserted-identity',
      anonymous: false,
    });
    const f = displayFor(
      { from: '"Front Desk" <sip:+4930999@provider.test>;tag=1', pAssertedIdentity: '<sip:+4930123456@x>' },
      { preferAssertedIdentity: false },
    );
    expect(f.number).toBe('030999');
    expect(f.source).toBe('from');
  });

  it('shows nothing for anonymous callers or Privacy: id, and for tel: URIs uses the number', () => {
    expect(displayFor({ from: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1' })).toMatchObject({
      number: '',
      anonymous: true,
    });
    expect(displayFor({ from: '<sip:+4930123@p>;tag=1', privacy: 'id' })).toMatchObject({
      number: '',
      anonymous: true,
    });
    expect(displayFor({ pAssertedIdentity: '<tel:+4940555>' })).toMatchObject({
      number: '040555',
      source: 'p-asserted-identity',
    });
  });

  it('never throws on garbage headers', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string()), (from, pai, privacy) => {
        const d = displayFor({ from, pAssertedIdentity: pai, ...(privacy !== null ? { privacy } : {}) });
        expect(typeof d.number).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});
