import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildDtmfBody,
  buildDtmfRelayBody,
  DTMF_DIGITS,
  parseDtmfBody,
  parseDtmfRelayBody,
  parseDtmfSignal,
  parseSipInfoDtmf,
} from '../../harness/media/dtmf/index.ts';

describe('application/dtmf-relay', () => {
  it('parses the canonical body', () => {
    expect(parseDtmfRelayBody('Signal=5\r\nDuration=160\r\n')).toEqual({
      ok: true,
      value: { digit: '5', durationMs: 160 },
    });
  });

  it('tolerates case, spaces/tabs, LF-only and CR-only line ends, blank lines and a missing Duration', () => {
    expect(parseDtmfRelayBody('signal = #\nDURATION=\t250\n\n')).toEqual({
      ok: true,
      value: { digit: '#', durationMs: 250 },
    });
    expect(parseDtmfRelayBody('  SIGNAL=*  \r')).toEqual({ ok: true, value: { digit: '*' } });
    expect(parseDtmfRelayBody('Signal=d\r\nDuration=100')).toEqual({
      ok: true,
      value: { digit: 'D', durationMs: 100 },
    });
  });

  it('accepts the event numbers 10-15 for *, #, A-D and keeps unknown keys aside', () => {
    const map: [string, string][] = [
      ['10', '*'],
      ['11', '#'],
      ['12', 'A'],
      ['15', 'D'],
      ['0', '0'],
      ['09', '9'],
    ];
    for (const [signal, digit] of map) {
      const r = parseDtmfRelayBody(`Signal=${signal}\r\n`);
      expect(r.ok && r.value.digit).toBe(digit);
    }
    expect(parseDtmfRelayBody('Signal=1\r\nVolume=10\r\n')).toEqual({
      ok: true,
      value: { digit: '1', extra: { volume: '10' } },
    });
  });

  it('returns typed errors', () => {
    const code = (body: string) => {
      const r = parseDtmfRelayBody(body);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code('')).toBe('empty');
    expect(code(' \r\n ')).toBe('empty');
    expect(code('Duration=160\r\n')).toBe('missing-signal');
    expect(code('Signal=16\r\n')).toBe('bad-signal');
    expect(code('Signal=E\r\n')).toBe('bad-signal');
    expect(code('Signal=55\r\n')).toBe('bad-signal');
    expect(code('Signal=\r\n')).toBe('bad-signal');
    expect(code('Signal=1\r\nSignal=2\r\n')).toBe('duplicate-signal');
    expect(code('Signal=1\r\nDuration=-5\r\n')).toBe('bad-duration');
    expect(code('Signal=1\r\nDuration=abc\r\n')).toBe('bad-duration');
    expect(code('Signal=1\r\nDuration=99999999\r\n')).toBe('bad-duration');
    expect(code('Signal 1\r\n')).toBe('bad-line');
    expect(code('x'.repeat(5000))).toBe('too-large');
  });

  it('round-trips every digit and duration through build → parse (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DTMF_DIGITS), fc.integer({ min: 0, max: 3_600_000 }), (digit, ms) => {
        const body = buildDtmfRelayBody(digit, ms);
        expect(body).toBe(`Signal=${digit}\r\nDuration=${ms}\r\n`);
        expect(parseDtmfRelayBody(body)).toEqual({ ok: true, value: { digit, durationMs: ms } });
      }),
    );
    expect(buildDtmfRelayBody('5')).toBe('Signal=5\r\nDuration=160\r\n');
  });

  it('never throws on arbitrary text or bytes (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = parseDtmfRelayBody(s);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void parseDtmfRelayBody(b)));
  });
});

describe('application/dtmf', () => {
  it('parses a single digit with surrounding whitespace, and bytes', () => {
    expect(parseDtmfBody('5')).toEqual({ ok: true, value: { digit: '5' } });
    expect(parseDtmfBody(' b\r\n')).toEqual({ ok: true, value: { digit: 'B' } });
    expect(parseDtmfBody(new TextEncoder().encode('#'))).toEqual({ ok: true, value: { digit: '#' } });
    expect(parseDtmfBody('11')).toEqual({ ok: true, value: { digit: '#' } });
  });

  it('refuses empty and non-digit bodies with typed errors', () => {
    expect(parseDtmfBody('')).toMatchObject({ ok: false, error: { code: 'empty' } });
    expect(parseDtmfBody('55')).toMatchObject({ ok: false, error: { code: 'bad-signal' } });
    expect(parseDtmfBody('Signal=5')).toMatchObject({ ok: false, error: { code: 'bad-signal' } });
  });

  it('builds the digit alone, which parses back', () => {
    for (const digit of DTMF_DIGITS) {
      expect(buildDtmfBody(digit)).toBe(digit);
      expect(parseDtmfBody(buildDtmfBody(digit))).toEqual({ ok: true, value: { digit } });
    }
  });
});

describe('dispatch by Content-Type', () => {
  it('picks the parser from the media type, ignoring case and parameters', () => {
    expect(parseSipInfoDtmf('Application/DTMF-Relay; charset=utf-8', 'Signal=A\r\nDuration=90\r\n')).toEqual({
      ok: true,
      value: { digit: 'A', durationMs: 90 },
    });
    expect(parseSipInfoDtmf('application/dtmf', '*')).toEqual({ ok: true, value: { digit: '*' } });
    expect(parseSipInfoDtmf('application/sdp', 'v=0')).toMatchObject({
      ok: false,
      error: { code: 'unsupported-content-type' },
    });
    expect(parseSipInfoDtmf(undefined as unknown as string, '1')).toMatchObject({ ok: false });
  });

  it('parseDtmfSignal maps characters and event numbers', () => {
    expect(DTMF_DIGITS.map((d) => parseDtmfSignal(d))).toEqual(DTMF_DIGITS);
    expect(DTMF_DIGITS.map((_, i) => parseDtmfSignal(String(i)))).toEqual(DTMF_DIGITS);
    expect(parseDtmfSignal('16')).toBeUndefined();
    expect(parseDtmfSignal('x')).toBeUndefined();
  });
});
