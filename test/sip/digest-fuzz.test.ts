import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DigestServer,
  parseChallenge,
  parseChallenges,
  parseCredentials,
  redactAuthorization,
} from '../../harness/sip/digest.ts';
import { quote } from '../../harness/sip/digest-params.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

// Strings biased toward the grammar's special characters.
const headerish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'Digest',
        'digest ',
        'Basic ',
        'realm',
        'nonce',
        '=',
        '"',
        '\\',
        ',',
        ' ',
        '\t',
        'qop',
        'auth',
      ),
      fc.constantFrom('algorithm=SHA-256', 'stale=TRUE', 'response=', 'nc=00000001', 'uri="sip:a@b"', '=='),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

const safeValue = fc.string({ maxLength: 20 });

describe('digest parsers never throw (fast-check)', () => {
  it('parseChallenge/parseChallenges/parseCredentials/redact on arbitrary and grammar-shaped input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), headerish), (s) => {
        const a = parseChallenge(s);
        const b = parseChallenges(s);
        const c = parseCredentials(s);
        const r = redactAuthorization(s);
        expect(typeof a.ok).toBe('boolean');
        expect(typeof b.ok).toBe('boolean');
        expect(typeof c.ok).toBe('boolean');
        expect(typeof r).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });

  it('DigestServer.verify returns a verdict for any header value', () => {
    const server = new DigestServer({
      realm: 'r',
      clock: new VirtualClock(),
      credentials: () => 'pw',
      replayCheck: true,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), headerish), (s) => {
        const v = server.verify(s, { method: 'REGISTER', uri: 'sip:r' });
        expect(v.kind).not.toBe('ok');
      }),
      { numRuns: 1500 },
    );
  });

  it('quoted values round trip through the parser, whatever characters they hold', () => {
    fc.assert(
      fc.property(safeValue, safeValue, (realm, nonce) => {
        const r = parseChallenge(`Digest realm=${quote(realm)}, nonce=${quote(nonce)}, qop="auth"`);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.realm).toBe(realm);
          expect(r.value.nonce).toBe(nonce);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('redaction removes any response value', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{8,64}$/), (resp) => {
        const out = redactAuthorization(`Digest username="u", response="${resp}", nonce="n"`);
        expect(out).not.toContain(resp);
      }),
      { numRuns: 500 },
    );
  });
});
