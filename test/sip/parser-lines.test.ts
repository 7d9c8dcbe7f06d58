/**
 * The parser cuts the header section into lines and header fields in one pass (parser.ts,
 * parseMessage). This test holds it to the rule written plainly with String methods: split at
 * LF, a CR before the LF belongs to the line end, empty lines at the end close the section, an
 * empty line before another line is a line without a name and colon, a line starting with SP
 * or HTAB continues the field above (RFC 3261 §7.3.1), and a field is its name before the colon
 * and its value with the LWS around it removed. Thousands of generated messages (folding, bare
 * LF, empty lines inside, odd names, compact forms, lists) must give the same fields, and the
 * same first problem, as the rule does, and those that parse the same warnings about their
 * line ends.
 */
import { describe, expect, it } from 'vitest';
import { headerKey } from '../../harness/sip/header-names.ts';
import { parseMessage } from '../../harness/sip/parser.ts';

interface Field {
  name: string;
  value: string;
  raw: string;
  key: string;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const lws = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** The header fields of `head` (the text before the empty line), and the first problem, by the rule. */
function byRule(head: string): { fields: Field[]; problem?: string; emptyInside: boolean } {
  const lines = head
    .split('\n')
    .map((l, i, all) => (i < all.length - 1 && l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const emptyInside = lines.includes('');
  const fields: Field[] = [];
  let problem: string | undefined;
  let skipping = false;
  for (const line of lines.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (skipping) continue;
      const last = fields[fields.length - 1];
      if (!last) {
        problem ??= 'the first header line starts with whitespace';
        continue;
      }
      last.value = lws(`${last.value} ${lws(line)}`);
      last.raw = `${last.raw}\r\n${line}`;
      continue;
    }
    skipping = false;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).replace(/[ \t]+$/, '') : '';
    if (colon <= 0 || !TOKEN.test(name)) {
      problem ??= colon <= 0 ? 'header line without a name and colon' : 'invalid header name';
      skipping = true;
      continue;
    }
    fields.push({ name, value: lws(line.slice(colon + 1)), raw: line, key: headerKey(name) });
  }
  return problem === undefined ? { fields, emptyInside } : { fields, problem, emptyInside };
}

const START = ['OPTIONS sip:a@b.example SIP/2.0', 'SIP/2.0 200 OK'];
const REQUIRED = [
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx1',
  'From: <sip:a@b.example>;tag=1',
  'To: <sip:c@d.example>',
  'Call-ID: c1@192.0.2.1',
  'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
];
const EXTRA = [
  'v: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKy, SIP/2.0/TCP 192.0.2.3;branch=z9hG4bKz',
  'Subject:   spaced value \t',
  'X-Odd-Name:v',
  'x-lower: y',
  'VIA : SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKw',
  'm: <sip:e@f.example>, <sip:g@h.example>',
  'Accept:',
  ' folded with a space',
  '\tfolded with a tab',
  '',
  'X Bad: name with a space',
  ': no name',
  'no colon at all',
  '\r',
];

describe('header lines, cut in one pass, as the rule cuts them', () => {
  it('gives the same fields and the same first problem on generated messages', () => {
    // mulberry32: a seeded generator whose low bits are as random as its high ones.
    let seed = 20261206;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    let compared = 0;
    let parsedOk = 0;
    let problems = 0;
    let emptyInside = 0;
    let bareEnded = 0;
    let someBare = 0;
    for (let i = 0; i < 4000; i++) {
      const lines = REQUIRED.filter(() => rnd(10) !== 0);
      for (let k = rnd(5); k > 0; k--) lines.splice(rnd(lines.length + 1), 0, EXTRA[rnd(EXTRA.length)]!);
      // Mostly CRLF; some bare LF, which may leave an empty line inside the section ("\n\r\n").
      const eol = () => (rnd(6) === 0 ? '\n' : '\r\n');
      let head = START[rnd(2)]! + eol();
      for (const l of lines) head += l + eol();
      const text = `${head}\r\n`;
      const r = parseMessage(text);
      // The section the parser reads ends at the first empty line it finds (CRLFCRLF or LFLF).
      const crlf = text.indexOf('\r\n\r\n');
      const lflf = text.indexOf('\n\n');
      const ends = [crlf >= 0 ? crlf + 4 : -1, lflf >= 0 ? lflf + 2 : -1].filter((e) => e >= 0);
      const section = text.slice(0, Math.min(...ends));
      const want = byRule(section);
      if (want.emptyInside) emptyInside++;
      if (r.ok) {
        parsedOk++;
        expect(want.problem).toBeUndefined();
        expect(r.message.headers.map((h) => ({ ...h }))).toEqual(want.fields);
        // Line ends: a section closed by a bare LF pair says so; one closed by CRLF CRLF says
        // whether some line before ended with a bare LF (an LF without its CR).
        const bareEnd = lflf >= 0 && (crlf < 0 || lflf + 2 < crlf + 4);
        const lineEnds = bareEnd
          ? ['line ends are bare LF instead of CRLF']
          : /(^|[^\r])\n/.test(section)
            ? ['some line ends are bare LF']
            : [];
        if (bareEnd) bareEnded++;
        else if (lineEnds.length > 0) someBare++;
        expect((r.message.warnings ?? []).filter((w) => w.includes('bare LF'))).toEqual(lineEnds);
      } else if (r.code === 'bad-header' && want.problem !== undefined) {
        problems++;
        expect(r.reason.startsWith(want.problem)).toBe(true);
        expect(r.partial?.headers.map((h) => ({ ...h }))).toEqual(want.fields);
      } else {
        // Another check failed (a missing or repeated header, a bad value): there was no
        // problem with the lines, and the fields are still the rule's.
        expect(want.problem).toBeUndefined();
        expect(r.partial?.headers.map((h) => ({ ...h }))).toEqual(want.fields);
      }
      compared++;
    }
    expect(compared).toBe(4000);
    // The generator reaches every branch: clean messages, problems, and empty lines inside.
    expect(parsedOk).toBeGreaterThan(300);
    expect(problems).toBeGreaterThan(300);
    expect(emptyInside).toBeGreaterThan(20);
    expect(bareEnded).toBeGreaterThan(5);
    expect(someBare).toBeGreaterThan(20);
  });
});
