/**
 * JUnit XML: well-formed (read back by a strict little XML reader written here), one testcase
 * per cell with NOK as <failure message=comment>, ERROR as <error>, N/A as <skipped
 * message=reason>, classname the section, time the duration, run properties; any comment text
 * (markup characters, quotes, control characters) survives escaping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell, Verdict } from '../../harness/runner/verdict.ts';
import { buildReportModel, renderJunit, xmlEscape } from '../../reports/index.ts';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, where: string): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s))
    throw new Error(`bad character data in ${where}`);
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (ENTITIES[e] as string),
  );
}

/** A strict reader for the XML subset JUnit needs: throws on anything not well-formed. */
function parseXml(xml: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(xml);
  if (!decl) throw new Error('no XML declaration');
  i = decl[0].length;
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const tagRe = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/y;
  while (i < xml.length) {
    const top = stack[stack.length - 1] as XmlElement;
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    top.text += decode(text, top.name);
    if (lt < 0) break;
    tagRe.lastIndex = lt;
    const m = tagRe.exec(xml);
    if (!m) throw new Error(`bad tag at ${lt}: ${xml.slice(lt, lt + 40)}`);
    const [whole, close, name, attrText, selfClose] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    i = lt + whole.length;
    if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      const key = a[1] as string;
      if (key in attrs) throw new Error(`duplicate attribute ${key}`);
      attrs[key] = decode(a[2] as string, `${name}@${key}`);
    }
    const el: XmlElement = { name, attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClose) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]?.name}> not closed`);
  const elements = root.children;
  if (elements.length !== 1 || root.text.trim()) throw new Error('not exactly one root element');
  return elements[0] as XmlElement;
}

const all = (el: XmlElement, name: string): XmlElement[] =>
  el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);

function cell(id: string, section: string, verdict: Verdict, comment: string, durationMs = 2500): Cell {
  return {
    id,
    section,
    title: `title <${id}>`,
    verdict,
    comment,
    checks:
      verdict === 'NOK'
        ? [
            {
              name: 'tone heard',
              ok: false,
              expected: 'a tone',
              observed: 'silence',
              failure: comment,
              atMs: 1,
            },
            { name: 'call established', ok: true, expected: '200', observed: '200', atMs: 2 },
          ]
        : [],
    evidence: {},
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs,
  };
}

function results(cells: Cell[]): ResultsFile {
  const summary = { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0, total: cells.length };
  for (const c of cells) summary[c.verdict]++;
  return {
    run: {
      id: 'run-j',
      startedAt: '2026-01-02T03:04:05.000Z',
      harnessVersion: '1.2.3',
      profile: { name: 'p & q', file: 'x', method: 'lab', tester: 'Zoë "Z"', description: '' },
      sbc: { kind: 'external', model: 'M<1>', firmware: 'F' },
      pbx: { name: 'OXO', release: 'R' },
      provider: { name: 'Telco' },
      options: { quick: true, workers: 1, faults: ['double-dtmf'], interactive: false },
      host: { node: 'v20', platform: 'linux' },
      actors: {},
    },
    summary,
    cells,
  };
}

const SECTIONS = {
  '8.3': { title: 'Outgoing call', objective: '' },
  '6.1': { title: 'Trunk', objective: '' },
};

describe('JUnit report', () => {
  const cells = [
    cell('8-2-1', '8.3', 'OK', 'fine', 1500),
    cell('8-2-2', '8.3', 'NOK', 'No audio from "A" reached <B> & C'),
    cell('8-2-3', '8.3', 'N/A', 'OXO does not support SIP INFO'),
    cell('T-1', '6.1', 'ERROR', 'Harness error: boom\n  at line 2'),
  ];
  const xml = renderJunit(buildReportModel({ results: results(cells), plan: [], sections: SECTIONS }));
  const root = parseXml(xml);
  const cases = all(root, 'testcase');

  it('has one testcase per cell, classname the section and time the duration', () => {
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    expect(cases.map((c) => c.attrs.name)).toEqual(cells.map((c) => `${c.id} ${c.title}`));
    expect(cases.map((c) => c.attrs.classname)).toEqual([
      '8.3 Outgoing call',
      '8.3 Outgoing call',
      '8.3 Outgoing call',
      '6.1 Trunk',
    ]);
    expect(cases.map((c) => Number(c.attrs.time))).toEqual([1.5, 2.5, 2.5, 2.5]);
    const suites = all(root, 'testsuite');
    expect(
      suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures, s.attrs.skipped, s.attrs.errors]),
    ).toEqual([
      ['8.3 Outgoing call', '3', '1', '1', '0'],
      ['6.1 Trunk', '1', '0', '0', '1'],
    ]);
  });

  it('turns NOK into failure, ERROR into error, N/A into skipped, with the comment as message', () => {
    const child = (i: number) => cases[i]?.children.filter((c) => c.name !== 'properties') ?? [];
    expect(child(0)).toEqual([]);
    expect(child(1).map((c) => c.name)).toEqual(['failure']);
    expect(child(1)[0]?.attrs.message).toBe('No audio from "A" reached <B> & C');
    // The failed check, not the passing one, is the failure's text.
    expect(child(1)[0]?.text).toMatch(/tone heard: expected a tone; observed silence/);
    expect(child(1)[0]?.text).not.toMatch(/call established/);
    expect(child(2).map((c) => [c.name, c.attrs.message])).toEqual([
      ['skipped', 'OXO does not support SIP INFO'],
    ]);
    expect(child(3).map((c) => [c.name, c.attrs.message])).toEqual([
      ['error', 'Harness error: boom\n  at line 2'],
    ]);
  });

  it('carries the run information as properties', () => {
    const props = Object.fromEntries(
      all(all(root, 'testsuite')[0] as XmlElement, 'property')
        .filter((p) => !cases.some((c) => all(c, 'property').includes(p)))
        .map((p) => [p.attrs.name, p.attrs.value]),
    );
    expect(props).toMatchObject({
      run: 'run-j',
      harnessVersion: '1.2.3',
      profile: 'p & q',
      tester: 'Zoë "Z"',
      sbc: 'M<1>',
      quick: 'true',
      faults: 'double-dtmf',
    });
  });

  it('escapes any text into well-formed XML that reads back (control characters replaced)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom<Verdict>('NOK', 'N/A', 'ERROR'),
        (text, v) => {
          const x = renderJunit(
            buildReportModel({
              results: results([cell('8-2-1', '8.3', v, text)]),
              plan: [],
              sections: SECTIONS,
            }),
          );
          const tc = all(parseXml(x), 'testcase')[0] as XmlElement;
          const el = tc.children.find((c) => c.name !== 'properties') as XmlElement;
          const expected = text.trim()
            ? text.trim().replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
            : v;
          expect(el.attrs.message).toBe(expected);
        },
      ),
      { numRuns: 150 },
    );
    expect(xmlEscape('a\u0000b\u0007c')).toBe('a\uFFFDb\uFFFDc');
  });

  it('marks a cell that changed since the baseline', () => {
    const before = results([cell('8-2-1', '8.3', 'OK', ''), cell('8-2-2', '8.3', 'OK', '')]);
    before.run.id = 'run-base';
    const after = results([cell('8-2-1', '8.3', 'OK', ''), cell('8-2-2', '8.3', 'NOK', 'broke')]);
    const x = parseXml(
      renderJunit(buildReportModel({ results: after, plan: [], sections: SECTIONS, baseline: before })),
    );
    const [same, changed] = all(x, 'testcase');
    expect(all(same as XmlElement, 'property')).toEqual([]);
    expect(all(changed as XmlElement, 'property').map((p) => [p.attrs.name, p.attrs.value])).toEqual([
      ['baseline', 'was OK (regression)'],
    ]);
    expect(
      all(x, 'property').some((p) => p.attrs.name === 'baselineRun' && p.attrs.value === 'run-base'),
    ).toBe(true);
  });

  it('rejects XML that is not well-formed (the reader can fail)', () => {
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a><b></a>')).toThrow();
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="1 & 2"/>')).toThrow();
    expect(() => parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a>x < y</a>')).toThrow();
  });
});
