/**
 * SIP parser fuzz, message level: valid messages generated from arbitraries (random methods,
 * URIs, header spellings and orders, folding, bodies) must parse, re-serialize byte for byte
 * and be a serialize→parse fixed point; split into arbitrary chunks they must come out of the
 * StreamFramer unchanged; mutated (bit flips, inserted/deleted bytes, truncation, duplicated,
 * dropped or swapped lines, spliced CRLFs, nasty tokens) they must never make parseMessage or
 * the StreamFramer throw, and what is still accepted must re-serialize to the same message.
 * About 36,000 inputs per run (FUZZ_SCALE, FUZZ_SEED as in fuzz-random.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HeaderField, SipRequest, SipResponse } from '../../harness/sip/message.ts';
import { parseMessage } from '../../harness/sip/parser.ts';
import { StreamFramer } from '../../harness/sip/stream-framer.ts';
import {
  expectSameMessage,
  frameAll,
  mutate,
  mutation,
  parseAndTouch,
  runs,
  splitAt,
  TIMEOUT,
  validMessage,
} from './fixtures/sip-fuzz-support.ts';

describe('SIP parser fuzz: mutated valid messages', () => {
  it(
    'mutated valid messages: parseMessage and StreamFramer never throw; accepted ones re-serialize to the same message (25k)',
    () => {
      fc.assert(
        fc.property(
          validMessage,
          fc.array(mutation, { minLength: 1, maxLength: 5 }),
          fc.array(fc.nat(), { maxLength: 4 }),
          (g, ms, cuts) => {
            const bad = mutate(g.bytes, ms);
            const r = parseAndTouch(bad);
            if (r.ok) {
              const again = parseMessage(r.message.toBuffer({ contentLength: 'as-is' }));
              expect(again.ok, again.ok ? '' : `${again.code}: ${again.reason}`).toBe(true);
              if (again.ok) expectSameMessage(r.message, again.message);
            }
            const framer = new StreamFramer(65535);
            for (const f of frameAll(framer, splitAt(bad, cuts)))
              if (f.kind === 'message') parseAndTouch(f.data);
          },
        ),
        runs(25_000),
      );
    },
    TIMEOUT,
  );
});

describe('SIP parser properties on generated valid messages', () => {
  it(
    'parse succeeds, values match, raw re-serialization is byte-exact, serialize→parse is a fixed point (8k)',
    () => {
      fc.assert(
        fc.property(validMessage, (g) => {
          const r = parseMessage(g.bytes);
          if (!r.ok) throw new Error(`${r.code}: ${r.reason}\n${g.bytes.toString('utf8')}`);
          const m = r.message;
          expect(m.isRequest).toBe(g.isRequest);
          expect(m.startLine()).toBe(g.startLine);
          expect(m.callId).toBe(g.callId);
          expect(m.cseq?.seq).toBe(g.seq);
          expect(m.body.equals(g.body)).toBe(true);
          expect(m.toBuffer({ contentLength: 'as-is' }).equals(g.bytes)).toBe(true);
          expect(m.toBuffer().equals(g.bytes)).toBe(true);
          // Without the raw text (as after an edit), the canonical serialization parses to the same message.
          const stripped: HeaderField[] = m.headers.map((h) => ({ name: h.name, value: h.value }));
          const rebuilt =
            m instanceof SipRequest
              ? new SipRequest(m.method, m.uri, stripped, m.body)
              : new SipResponse((m as SipResponse).status, (m as SipResponse).reason, stripped, m.body);
          const again = parseMessage(rebuilt.toBuffer());
          if (!again.ok) throw new Error(`${again.code}: ${again.reason}`);
          expectSameMessage(rebuilt, again.message);
          expect(again.message.toBuffer().equals(rebuilt.toBuffer())).toBe(true);
        }),
        runs(8_000),
      );
    },
    TIMEOUT,
  );

  it(
    'valid messages split into arbitrary chunks come out of the StreamFramer unchanged (3k streams)',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(validMessage, fc.constantFrom('', '\r\n\r\n', '\r\n')), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.array(fc.nat(), { maxLength: 12 }),
          (msgs, cuts) => {
            const stream = Buffer.concat(msgs.flatMap(([g, ka]) => [Buffer.from(ka), g.bytes]));
            const framer = new StreamFramer(65535);
            const got = frameAll(framer, splitAt(stream, cuts));
            expect(got.filter((f) => f.kind === 'error')).toEqual([]);
            const frames = got.flatMap((f) => (f.kind === 'message' ? [f.data] : []));
            expect(frames.length).toBe(msgs.length);
            for (const [i, f] of frames.entries()) expect(f.equals(msgs[i]![0].bytes)).toBe(true);
            expect(framer.buffered).toBe(0);
          },
        ),
        runs(3_000),
      );
    },
    TIMEOUT,
  );
});
