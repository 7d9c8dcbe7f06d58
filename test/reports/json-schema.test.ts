/**
 * The JSON report and reports/results-schema.json: reports of hand-made runs (every verdict, a
 * baseline, a case the plan no longer has) validate against the hand-written schema, checked
 * by a small JSON Schema validator written here for the keywords the schema uses (an unknown
 * keyword fails the test, so the schema cannot say more than is checked); broken documents are
 * rejected; the document carries the results and the model unchanged; the report.json of a
 * real one-case run on the embedded SBC validates too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../harness/cli/run-command.ts';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell, Verdict } from '../../harness/runner/verdict.ts';
import { buildReportModel, JSON_REPORT_VERSION, jsonReport, renderJson } from '../../reports/index.ts';
import { PLAN as REAL_PLAN } from '../../scenarios/index.ts';

type Schema = Record<string, unknown>;
interface JsonShape {
  results: { cells: Array<{ id: string }> };
}

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../reports/results-schema.json', import.meta.url), 'utf8'),
) as Schema;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs', '$comment']);
const KEYWORDS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'minLength',
  'pattern',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Validates `value` against `schema` (resolving #/$defs/ refs in `root`); returns the errors. */
function validate(schema: Schema, value: unknown, root: Schema = schema, path = '$'): string[] {
  const errors: string[] = [];
  for (const k of Object.keys(schema))
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k))
      throw new Error(`validator does not know keyword ${k} at ${path}`);
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    const target = (root.$defs as Record<string, Schema> | undefined)?.[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    errors.push(...validate(target, value, root, path));
  }
  const t = typeOf(value);
  if (typeof schema.type === 'string') {
    const ok = schema.type === t || (schema.type === 'number' && t === 'integer');
    if (!ok) return [...errors, `${path}: ${t}, expected ${schema.type}`];
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value))
    errors.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum)
    errors.push(`${path}: ${value} < ${schema.minimum}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength)
      errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (t === 'array' && schema.items)
    (value as unknown[]).forEach((v, i) => {
      errors.push(...validate(schema.items as Schema, v, root, `${path}[${i}]`));
    });
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[])
      if (!(r in obj)) errors.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validate(props[k], v, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${k}`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties as Schema, v, root, `${path}.${k}`));
    }
  }
  return errors;
}

function cell(id: string, verdict: Verdict, comment = ''): Cell {
  return {
    id,
    section: id.startsWith('T') ? '6.1' : '8.3',
    title: `title ${id}`,
    verdict,
    comment,
    checks: [
      { name: 'c', ok: verdict !== 'NOK', expected: 'e', observed: 'o', atMs: 1, evidence: ['x.pcap'] },
      // A check the engineer judged (real equipment), with their words.
      {
        name: 'display',
        ok: true,
        expected: '040555001',
        observed: 'confirmed',
        atMs: 2,
        by: 'engineer',
        comment: 'seen',
      },
    ],
    evidence: { pcap: `cases/${id}.pcap`, sip: `cases/${id}.sip.txt`, sipJson: `cases/${id}.sip.json` },
    data: {
      streams: [
        { from: 'a', to: 'b', codec: 'PCMA', packets: 50, lost: 0, jitterMs: 1.5, mos: 4.3, toneLevel: 7000 },
        {
          from: 'b',
          to: 'a',
          codec: 'PCMA',
          packets: 50,
          lost: 0,
          jitterMs: 1.5,
          mos: 4.3,
          toneLevel: 7000,
          delayMs: 12,
        },
      ],
      dtmf: [{ digit: '1', sentMode: 'rfc2833', sentAtMs: 10, receivedAs: 'rfc2833', receivedAtMs: 30 }],
    },
    answers: [{ question: 'q?', answer: 'yes' }],
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 812.5,
  };
}

function results(cells: Cell[]): ResultsFile {
  const summary = { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0, total: cells.length };
  for (const c of cells) summary[c.verdict]++;
  return {
    run: {
      id: 'run-s',
      startedAt: '2026-01-02T03:04:05.000Z',
      endedAt: '2026-01-02T03:05:05.000Z',
      resumedAt: ['2026-01-02T03:04:45.000Z'],
      harnessVersion: '0.1.0',
      profile: { name: 'embedded', file: 'p.yaml', method: 'embedded', tester: '', description: '' },
      sbc: { kind: 'embedded', model: 'ref', firmware: '' },
      pbx: { name: 'OXO', release: '' },
      provider: { name: 'sim' },
      options: { quick: true, workers: 2, only: '8-*', faults: ['one-way-audio'], interactive: false },
      host: { node: 'v20', platform: 'linux/x64' },
      actors: { '127.0.10.1': 'Provider' },
    },
    summary,
    cells,
  };
}

const PLAN = [{ id: '8-2-1', section: '8.3', title: 'Out', steps: ['dial', 'hang up'] }];
const SECTIONS = { '8.3': { title: 'Outgoing call', objective: 'o' } };

describe('JSON report and its schema', () => {
  const before = results([cell('8-2-1', 'OK'), cell('8-2-9', 'OK')]);
  const after = results([
    cell('8-2-1', 'NOK', 'broke'),
    cell('8-2-2', 'N/A', 'no INFO'),
    cell('T-1', 'ERROR', 'boom'),
  ]);
  const model = buildReportModel({ results: after, plan: PLAN, sections: SECTIONS, baseline: before });

  it('validates a report with every verdict, a baseline and an unknown case', () => {
    const doc = JSON.parse(renderJson(model)) as unknown;
    expect(validate(SCHEMA, doc)).toEqual([]);
    // The checks the engineer judged are named on each row.
    const rows = (doc as { model: { sections: Array<{ rows: Array<{ judgedByEngineer?: unknown }> }> } })
      .model.sections[0]!.rows;
    expect(rows[0]!.judgedByEngineer).toEqual([{ check: 'display', result: 'OK', comment: 'seen' }]);
    expect(doc).toEqual(JSON.parse(JSON.stringify(jsonReport(model))));
    expect(jsonReport(model)).toMatchObject({ format: 'sbc-harness-report', version: JSON_REPORT_VERSION });
    expect((doc as { results: unknown }).results).toEqual(JSON.parse(JSON.stringify(after)));
    expect(Object.keys((doc as { model: object }).model)).not.toContain('results');
  });

  it('validates the report of any mix of verdicts and comments', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom<Verdict>('OK', 'NOK', 'N/A', 'ERROR'), fc.string({ maxLength: 30 })),
          {
            maxLength: 10,
          },
        ),
        (specs) => {
          const r = results(specs.map(([v, c], i) => cell(`8-2-${i + 1}`, v, c)));
          expect(
            validate(
              SCHEMA,
              JSON.parse(renderJson(buildReportModel({ results: r, plan: PLAN, sections: SECTIONS }))),
            ),
          ).toEqual([]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rejects documents that break the schema (the validator can fail)', () => {
    type Obj = Record<string, unknown>;
    interface Doc {
      version: unknown;
      results: { cells: Obj[]; summary: Obj };
      model: Obj & { sections: Array<{ rows: Obj[] }>; features: Obj[]; header: Obj };
    }
    const good = () => JSON.parse(renderJson(model)) as Doc;
    const broken: Array<[string, (d: Doc) => void, RegExp]> = [
      ['wrong verdict', (d) => ((d.results.cells[0] as Obj).verdict = 'PASS'), /verdict.*not in/],
      ['missing comment', (d) => delete (d.results.cells[0] as Obj).comment, /missing comment/],
      [
        'bad mark',
        (d) => (((d.model.sections[0] as { rows: Obj[] }).rows[0] as Obj).mark = 'X'),
        /mark.*not in/,
      ],
      ['unknown feature result', (d) => ((d.model.features[0] as Obj).result = 'maybe'), /result.*not in/],
      ['extra model field', (d) => (d.model.extra = 1), /unexpected extra/],
      ['negative count', (d) => (d.results.summary.OK = -1), /< 0/],
      ['bad date', (d) => (d.model.header.date = 'yesterday'), /does not match/],
      ['wrong version', (d) => (d.version = 2), /not 1/],
      ['string duration', (d) => ((d.results.cells[0] as Obj).durationMs = '5'), /string, expected number/],
      [
        'engineer judgement without a result',
        (d) => {
          const row = (d.model.sections[0] as { rows: Obj[] }).rows[0] as Obj;
          row.judgedByEngineer = [{ check: 'display', result: 'maybe', comment: '' }];
        },
        /result.*not in/,
      ],
      [
        'a check judged by someone else',
        (d) => (((d.results.cells[0] as Obj).checks as Obj[])[1]!.by = 'intern'),
        /by: not "engineer"/,
      ],
    ];
    for (const [what, mutate, message] of broken) {
      const d = good();
      mutate(d);
      const errors = validate(SCHEMA, d);
      expect(errors.join('\n'), what).toMatch(message);
    }
  });

  it('validates the report.json a real run on the embedded SBC writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'json-report-'));
    try {
      const first = REAL_PLAN[0]?.id as string;
      await runCommand({ out: dir, only: first, quick: true }, () => {});
      const doc = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as JsonShape;
      expect(validate(SCHEMA, doc)).toEqual([]);
      expect(doc.results.cells.map((c) => c.id)).toEqual([first]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
