/**
 * SIP parser fuzz, random inputs: random bytes and strings (fully random and SIP-flavoured)
 * into parseMessage, parseUri, parseNameAddr and parseVia, and random chunks into the
 * StreamFramer. Nothing may throw; results must be well-formed. About 65,000 inputs per run
 * (FUZZ_SCALE multiplies the counts; FUZZ_SEED=<n> replays a run; fast-check prints the seed
 * and the shrunk counterexample on failure). The message-level properties are in
 * fuzz-messages.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNameAddr, parseNameAddr, parseVia } from '../../harness/sip/header-values.ts';
import { StreamFramer } from '../../harness/sip/stream-framer.ts';
import { parseUri } from '../../harness/sip/uri.ts';
import { ALNUM, CODES, chars, parseAndTouch, runs, TIMEOUT } from './fixtures/sip-fuzz-support.ts';

describe('SIP parser fuzz: nothing escapes as an exception', () => {
  it(
    'parseMessage on random bytes and random strings (30k)',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
          parseAndTouch(Buffer.from(b));
        }),
        runs(15_000),
      );
      const sipish = fc.string({
        unit: fc.oneof(
          chars(`SIP/2.0 \r\n:;,<>"@=?&%[]\t${ALNUM}`),
          fc.constantFrom(
            '\r\n',
            'Via: ',
            'CSeq: 1 ',
            'To: ',
            'From: ',
            'Call-ID: ',
            'l: ',
            'INVITE ',
            'sip:',
          ),
        ),
        maxLength: 300,
      });
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), sipish), (s) => {
          parseAndTouch(s);
        }),
        runs(15_000),
      );
    },
    TIMEOUT,
  );

  it(
    'parseUri, parseNameAddr and parseVia on random and SIP-flavoured strings (25k)',
    () => {
      const flavoured = fc.string({
        unit: fc.oneof(
          chars(`sip:tel@;=?&%[]<>" ,.\\/\t${ALNUM}`),
          fc.constantFrom('sip:', 'SIP/2.0/UDP ', ';tag=', ';branch=z9hG4bK', '[::1]', '%00', '\\"'),
        ),
        maxLength: 80,
      });
      const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), flavoured);
      fc.assert(
        fc.property(anyText, (s) => {
          for (const r of [parseUri(s), parseNameAddr(s), parseVia(s)]) {
            expect(typeof r.ok).toBe('boolean');
            if (!r.ok) expect(CODES).toContain(r.code);
          }
          const na = parseNameAddr(s);
          // Whatever parses formats to something that parses to the same display name and URI scheme.
          if (na.ok) {
            const again = parseNameAddr(formatNameAddr(na.value));
            expect(again.ok).toBe(true);
            if (again.ok) {
              expect(again.value.displayName).toBe(na.value.displayName);
              expect(again.value.uri.scheme).toBe(na.value.uri.scheme);
            }
          }
        }),
        runs(25_000),
      );
    },
    TIMEOUT,
  );

  it(
    'StreamFramer on random chunks: no throw, well-formed results, never buffers more than maxSize (10k)',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
          fc.integer({ min: 64, max: 4096 }),
          (chunks, max) => {
            const framer = new StreamFramer(max);
            for (const c of chunks) {
              for (const f of framer.push(Buffer.from(c))) {
                expect(['message', 'keepalive', 'error']).toContain(f.kind);
                if (f.kind === 'message') {
                  expect(f.data.length).toBeLessThanOrEqual(max);
                  parseAndTouch(f.data);
                }
              }
              expect(framer.buffered).toBeLessThanOrEqual(max);
            }
          },
        ),
        runs(10_000),
      );
    },
    TIMEOUT,
  );
});
