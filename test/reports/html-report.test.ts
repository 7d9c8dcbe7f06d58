/**
 * The HTML evidence report without a browser: the result tables carry each cell's mark in
 * its column, the ladder's lanes and labels follow the run's actors, hostile text is escaped,
 * big ladders are capped, damaged evidence files are named (never thrown), and the page is
 * self-contained (no URL it would fetch).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWav } from '../../harness/media/capture/wav-writer.ts';
import type { ResultsFile } from '../../harness/runner/results.ts';
import type { Cell, SipEvidenceMessage, Verdict } from '../../harness/runner/verdict.ts';
import { dtmfTimelineHtml } from '../../reports/html-dtmf-timeline.ts';
import { escapeHtml, safeRelativeHref } from '../../reports/html-escape.ts';
import { buildLadder, laneNames, messageLabel } from '../../reports/html-ladder.ts';
import {
  type EvidenceReader,
  HTML_MARK,
  legCodecs,
  renderHtml,
  runDirReader,
} from '../../reports/html-report.ts';
import { readWavPcm16, waveformSvg } from '../../reports/html-waveform.ts';
import { buildReportModel } from '../../reports/report-model.ts';

const ACTORS = {
  '127.0.10.1': 'Provider',
  '127.0.10.2': 'SBC WAN',
  '127.0.20.2': 'SBC LAN',
  '127.0.20.1': 'OXO Connect',
};

function msg(
  src: string,
  dst: string,
  summary: string,
  text = `${summary}\r\n\r\n`,
  wallMs = 1000,
): SipEvidenceMessage {
  return {
    wallMs,
    protocol: 'UDP',
    src: { address: src, port: 5060 },
    dst: { address: dst, port: 5060 },
    summary,
    text,
  };
}

function cell(id: string, verdict: Verdict, extra: Partial<Cell> = {}): Cell {
  return {
    id,
    section: '8.2',
    title: `Case ${id}`,
    verdict,
    comment: verdict === 'NOK' ? `comment of ${id}` : '',
    checks: [],
    evidence: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1200,
    ...extra,
  };
}

function results(cells: Cell[]): ResultsFile {
  const summary = { OK: 0, NOK: 0, 'N/A': 0, ERROR: 0, INCOMPLETE: 0, total: cells.length };
  for (const c of cells) summary[c.verdict]++;
  return {
    run: {
      id: 'run-test',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:01:00.000Z',
      harnessVersion: 'test',
      profile: {
        name: 'embedded',
        file: 'x.yaml',
        method: 'embedded',
        tester: 'T <tester>',
        description: '',
      },
      sbc: { kind: 'embedded', model: 'Ref SBC', firmware: '1.0' },
      pbx: { name: 'OXO', release: '' },
      provider: { name: 'Prov' },
      options: { quick: true, workers: 1, faults: [], interactive: false },
      host: { node: 'v20', platform: 'linux/x64' },
      actors: ACTORS,
    },
    summary,
    cells,
  };
}

function modelOf(cells: Cell[]) {
  return buildReportModel({
    results: results(cells),
    plan: cells.map((c) => ({ id: c.id, section: c.section, title: c.title, steps: [`step of ${c.id}`] })),
    sections: { '8.2': { title: 'Codecs', objective: 'objective text' } },
  });
}

function memoryReader(files: Record<string, string | Uint8Array>): EvidenceReader {
  return (p) => {
    const f = files[p];
    if (f === undefined) return { ok: false, error: 'ENOENT' };
    return { ok: true, bytes: typeof f === 'string' ? Buffer.from(f) : f };
  };
}

/** The marks of each result row: case id → the column (named by the table's header) holding the mark. */
function marksIn(html: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const t of html.matchAll(/<table class="results"[^>]*>(.*?)<\/table>/gs)) {
    const head = [...(t[1] ?? '').matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1] ?? '');
    for (const m of (t[1] ?? '').matchAll(/<tr data-case="([^"]*)"[^>]*>(.*?)<\/tr>/gs)) {
      // Top-level cells of the row: the Test Case cell holds a nested list, not a table.
      const tds = [...(m[2] ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1] ?? '');
      expect(tds.length).toBe(head.length);
      const marked = tds.flatMap((c, i) => (c.includes(HTML_MARK) ? [head[i] ?? '?'] : []));
      expect(marked.length).toBeLessThanOrEqual(1);
      out.set(m[1] ?? '', marked[0] ?? null);
    }
  }
  return out;
}

describe('ladder', () => {
  it('orders lanes Provider | SBC WAN | SBC LAN | OXO Connect and gives an unknown address its own lane', () => {
    const msgs = [
      msg('127.0.20.1', '127.0.20.2', 'INVITE sip:a SIP/2.0'),
      msg('10.9.9.9', '127.0.10.2', 'OPTIONS sip:x SIP/2.0'),
    ];
    const { lanes, laneOf } = laneNames(msgs, ACTORS);
    expect(lanes).toEqual(['Provider', 'SBC WAN', 'SBC LAN', 'OXO Connect', '10.9.9.9']);
    expect(laneOf('::ffff:127.0.10.1')).toBe(0);
    expect(laneOf('10.9.9.9')).toBe(4);
  });

  it('labels requests by method, responses by status, and marks SDP bodies', () => {
    expect(
      messageLabel({
        summary: 'INVITE sip:x SIP/2.0',
        text: 'INVITE sip:x SIP/2.0\r\nContent-Type: application/sdp\r\n\r\nv=0',
      }),
    ).toBe('INVITE (SDP)');
    expect(messageLabel({ summary: 'SIP/2.0 180 Ringing', text: '' })).toBe('180 Ringing');
    expect(messageLabel({ summary: '', text: '\u0000\u0001', error: 'bad start line' })).toBe('unparsable');
  });

  it('draws one arrow per message, each pointing at its full text, and caps long ladders', () => {
    const msgs = Array.from({ length: 30 }, (_, i) =>
      msg(
        i % 2 ? '127.0.10.2' : '127.0.10.1',
        i % 2 ? '127.0.10.1' : '127.0.10.2',
        `MESSAGE sip:${i} SIP/2.0`,
        `body ${i}`,
        1000 + i,
      ),
    );
    const l = buildLadder(msgs, ACTORS, { idPrefix: 'c1', maxMessages: 12 });
    expect(l.drawn).toBe(12);
    expect(l.omitted).toBe(18);
    expect(l.svg.match(/<g class="msg /g)?.length).toBe(12);
    expect(l.texts.match(/<pre class="sip-text"/g)?.length).toBe(12);
    const targets = [...l.svg.matchAll(/data-msg="([^"]+)"/g)].map((m) => m[1]);
    for (const t of targets) expect(l.texts).toContain(`id="${t}"`);
    expect(l.texts).toContain('body 11');
    expect(l.texts).not.toContain('body 12');
    expect(l.svg).toContain('+0.011 s');
  });

  it('splits a long ladder into drawings that each repeat the lane heads, so it prints', () => {
    const msgs = Array.from({ length: 30 }, (_, i) =>
      msg('127.0.10.1', '127.0.20.1', `INFO sip:${i} SIP/2.0`, '', 1000 + i),
    );
    const l = buildLadder(msgs, ACTORS, { idPrefix: 'p', rowsPerPart: 12 });
    const parts = l.svg.split('</svg>').filter(Boolean);
    expect(parts.map((p) => p.match(/<g class="msg /g)?.length)).toEqual([12, 12, 6]);
    for (const p of parts) expect(p).toContain('>OXO Connect<');
    expect(parts[2]).toContain('+0.029 s');
    expect(l.svg).toContain('messages 25 to 30 of 30');
  });

  it('skips entries that are not messages and never throws on any JSON', () => {
    const l = buildLadder(
      [null, 3, { src: {} }, msg('127.0.10.1', '127.0.10.2', 'BYE sip:x SIP/2.0')],
      ACTORS,
      { idPrefix: 'x' },
    );
    expect(l.invalid).toBe(3);
    expect(l.drawn).toBe(1);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = buildLadder(v, ACTORS, { idPrefix: 'p' });
        expect(r.drawn + r.invalid).toBeGreaterThanOrEqual(0);
        expect(r.svg).not.toMatch(/<script/i);
      }),
      { numRuns: 300 },
    );
  });
});

describe('escaping', () => {
  it('escapes markup and control characters, and links only relative paths inside the run', () => {
    expect(escapeHtml('<a href="x">&\'</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml('a\u0000b')).toBe('a\ufffdb');
    expect(safeRelativeHref('cases/8-1-1 x.pcap')).toBe('cases/8-1-1%20x.pcap');
    expect(safeRelativeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeRelativeHref('../etc/passwd')).toBeUndefined();
    expect(safeRelativeHref('/etc/passwd')).toBeUndefined();
  });
});

describe('renderHtml', () => {
  const hostile = '</pre><script>alert("x")</script> & <b>';
  const sip = [
    msg(
      '127.0.10.1',
      '127.0.10.2',
      'INVITE sip:+49@sbc SIP/2.0',
      `INVITE sip:+49@sbc SIP/2.0\r\nSubject: ${hostile}\r\n\r\n`,
    ),
    msg('127.0.10.2', '127.0.10.1', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK\r\n\r\n', 1050),
  ];
  const wav = encodeWav(
    Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 700 * i) / 8000))),
    8000,
  );
  const cells = [
    cell('8-1-1', 'OK', {
      evidence: { sipJson: 'cases/8-1-1.sip.json', pcap: 'cases/8-1-1.pcap', audio: ['cases/8-1-1.wav'] },
      checks: [{ name: 'codec on the provider leg', ok: true, expected: 'G722', observed: 'G722', atMs: 1 }],
      data: {
        streams: [
          {
            from: 'pstn',
            to: 'desk',
            codec: 'PCMA',
            packets: 99,
            lost: 1,
            jitterMs: 2.5,
            mos: 4.1,
            toneLevel: 7000,
            delayMs: 312,
          },
          {
            from: 'desk',
            to: 'pstn',
            codec: 'PCMA',
            packets: 99,
            lost: 0,
            jitterMs: 1,
            mos: 4.4,
            toneLevel: 6000,
          },
        ],
        dtmf: [
          { digit: '1', sentMode: 'RFC 2833', sentAtMs: 100, receivedAs: '1', receivedAtMs: 160 },
          { digit: '5', sentMode: 'RFC 2833', sentAtMs: 300 },
        ],
      },
    }),
    cell('8-1-2', 'NOK', { comment: hostile, evidence: { sipJson: 'cases/missing.sip.json' } }),
    cell('8-1-3', 'N/A', { comment: 'no G.723 here' }),
    cell('8-1-4', 'ERROR', { comment: 'harness broke', evidence: { sipJson: 'cases/8-1-4.sip.json' } }),
  ];
  const read = memoryReader({
    'cases/8-1-1.sip.json': JSON.stringify(sip),
    'cases/8-1-1.wav': wav,
    'cases/8-1-4.sip.json': '{ not json',
  });
  const html = renderHtml(modelOf(cells), read);

  it('puts each cell’s mark in its column, and none for ERROR', () => {
    const marks = marksIn(html);
    expect(Object.fromEntries(marks)).toEqual(
      Object.fromEntries(cells.map((c) => [c.id, c.verdict === 'ERROR' ? null : c.verdict])),
    );
  });

  it('escapes hostile text everywhere it appears', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;');
    expect(html.match(/<script>/g)?.length).toBe(1);
  });

  it('draws the ladder, the stream table, the codecs, the DTMF timeline and the waveform', () => {
    const ev = html.slice(html.indexOf('id="ev-8-1-1"'), html.indexOf('id="ev-8-1-2"'));
    expect(ev).toContain('<svg class="ladder"');
    expect(ev.match(/<g class="msg /g)?.length).toBe(2);
    expect(ev).toContain('>Provider<');
    expect(ev).toContain('>200 OK<');
    expect(ev).toMatch(
      /<td>99<\/td><td>1<\/td><td>1\.0 %<\/td><td>2\.5 ms<\/td><td>312 ms<\/td><td>4\.10<\/td><td>7000<\/td>/,
    );
    // A stream whose delay could not be measured shows a dash.
    expect(ev).toMatch(/<td>1\.0 ms<\/td><td>—<\/td><td>4\.40<\/td><td>6000<\/td>/);
    expect(ev).toContain('<th>One-way delay</th>');
    expect(ev).toContain('the provider leg: <strong>G722</strong>');
    expect(ev).toContain('class="dtmf-timeline"');
    expect(ev).toContain('not received');
    expect(ev).toContain('<figure class="waveform">');
    expect(ev).toContain('1.00 s at 8000 Hz');
    expect(ev).toContain('href="cases/8-1-1.pcap"');
  });

  it('shows a broken SIP rule with its RFC and the offending message, escaped', () => {
    const rule = cell('8-4-1', 'NOK', {
      checks: [
        {
          name: 'SIP rule answer-to-offer on the OXO leg (SBC LAN side)',
          ok: false,
          expected: 'An SDP offer in an INVITE gets its answer in the 2xx (RFC 3264 §4)',
          observed: 'the 200 has no SDP answer',
          failure: 'The SBC answered an SDP offer with a 2xx without SDP (RFC 3264 offer/answer)',
          evidence: [
            'rule answer-to-offer, RFC 3264 §4: An SDP offer gets its answer in the 2xx.',
            `offending message (received 2026-01-01T00:00:00.000Z):\nSIP/2.0 200 OK\r\nSubject: ${hostile}\r\n`,
          ],
          atMs: 1,
        },
      ],
    });
    const page = renderHtml(modelOf([rule]), memoryReader({}));
    const ev = page.slice(page.indexOf('id="ev-8-4-1"'));
    expect(ev).toContain('evidence: rule answer-to-offer, RFC 3264 §4');
    expect(ev).toMatch(
      /<details class="evidence-message" open><summary>offending message \(received [^<]*\):<\/summary><pre>SIP\/2\.0 200 OK/,
    );
    expect(ev).toContain('&lt;/pre&gt;&lt;script&gt;');
    expect(ev).not.toContain('<script>alert');
  });

  it('names unreadable evidence instead of throwing, and omits the waveform when there is no audio', () => {
    const nok = html.slice(html.indexOf('id="ev-8-1-2"'), html.indexOf('id="ev-8-1-3"'));
    expect(nok).toContain('cases/missing.sip.json could not be read: ENOENT');
    expect(nok).not.toContain('<figure');
    const err = html.slice(html.indexOf('id="ev-8-1-4"'));
    expect(err).toContain('cases/8-1-4.sip.json is not JSON');
  });

  it('is self-contained: nothing it would fetch', () => {
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('notes the messages a capped ladder leaves out', () => {
    const many = Array.from({ length: 50 }, (_, i) =>
      msg('127.0.10.1', '127.0.10.2', `OPTIONS sip:${i} SIP/2.0`),
    );
    const h = renderHtml(
      modelOf([cell('8-1-1', 'OK', { evidence: { sipJson: 's.json' } })]),
      memoryReader({ 's.json': JSON.stringify(many) }),
      {
        maxLadderMessages: 10,
      },
    );
    expect(h).toContain('40 more messages not drawn (the first 10 are)');
    expect(h.match(/<g class="msg /g)?.length).toBe(10);
  });
  it('keeps a large run reasonable: a budget of messages and text for the whole page', () => {
    const many = JSON.stringify(
      Array.from({ length: 50 }, (_, i) =>
        msg('127.0.10.1', '127.0.10.2', `OPTIONS sip:${i} SIP/2.0`, `text-${i}-${'x'.repeat(100)}`),
      ),
    );
    const cs = ['8-1-1', '8-1-2', '8-1-3', '8-1-4'].map((id) =>
      cell(id, 'OK', { evidence: { sipJson: 's.json' } }),
    );
    const h = renderHtml(modelOf(cs), memoryReader({ 's.json': many }), {
      maxPageMessages: 120,
      maxPageChars: 5000,
    });
    const arrows = (id: string) => {
      const from = h.indexOf(`id="ev-${id}"`);
      const to = h.indexOf('</section>', from);
      return h.slice(from, to).match(/<g class="msg /g)?.length ?? 0;
    };
    expect(cs.map((c) => arrows(c.id))).toEqual([50, 50, 20, 0]);
    expect(h).toContain('30 more messages not drawn (the first 20 are)');
    expect(h).toContain('Not drawn: the page already holds 120 messages');
    expect(h.match(/text left out to keep the page small/g)?.length).toBeGreaterThan(50);
    expect(h).toContain('text-0-');
  });
});

describe('evidence helpers', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads files below the run folder only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'html-report-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'a.txt'), 'hello');
    const read = runDirReader(dir);
    const a = read('a.txt');
    expect(a.ok && Buffer.from(a.bytes).toString()).toBe('hello');
    expect(read('../a.txt')).toMatchObject({ ok: false });
    expect(read('/etc/hostname')).toMatchObject({ ok: false, error: 'absolute path refused' });
    expect(read('missing')).toMatchObject({ ok: false, error: 'ENOENT' });
  });

  it('reads WAV files back and refuses garbage with a reason', () => {
    const pcm = Int16Array.from([0, 1000, -1000, 32767, -32768]);
    const r = readWavPcm16(encodeWav(pcm, 16000));
    expect(r.ok && r.wav.sampleRate).toBe(16000);
    expect(r.ok && Array.from(r.wav.samples)).toEqual(Array.from(pcm));
    expect(readWavPcm16(new Uint8Array(5))).toMatchObject({ ok: false });
    const truncated = readWavPcm16(encodeWav(pcm, 8000).slice(0, 44 + 5));
    expect(truncated.ok && truncated.wav.samples.length).toBe(2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const x = readWavPcm16(b);
        if (x.ok) expect(waveformSvg(x.wav, { label: 'f' })).toContain('<svg');
      }),
      { numRuns: 300 },
    );
  });

  it('draws a waveform whose peak follows the signal', () => {
    const loud = waveformSvg(
      { sampleRate: 8000, channels: 1, samples: Int16Array.from({ length: 800 }, () => 16384) },
      { label: 'x' },
    );
    expect(loud).toContain('peak -6.0 dBFS');
    const silent = waveformSvg({ sampleRate: 8000, channels: 1, samples: new Int16Array(0) }, { label: 'x' });
    expect(silent).toContain('0.00 s');
  });

  it('builds the DTMF table from valid rows only, and the leg codecs from checks and streams', () => {
    expect(dtmfTimelineHtml([{ digit: 3 }, 'x'])).toBe('');
    const t = dtmfTimelineHtml([{ digit: '#', sentMode: 'inband', receivedAs: '#' }]);
    expect(t).toContain('<td>#</td><td>inband</td>');
    expect(t).not.toContain('<svg');
    expect(
      legCodecs({
        checks: [{ name: 'codec on the IVR leg', ok: false, expected: 'G722', observed: 'PCMA', atMs: 0 }],
        data: {
          streams: [
            { from: 'a', to: 'b', codec: 'G729', packets: 1, lost: 0, jitterMs: 0, mos: 4, toneLevel: 1 },
          ],
        },
      }),
    ).toEqual([
      { leg: 'the IVR leg', codec: 'PCMA', ok: false },
      { leg: 'a → b', codec: 'G729' },
    ]);
  });
});
