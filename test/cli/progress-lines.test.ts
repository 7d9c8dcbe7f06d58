/**
 * Progress in the terminal while cases run (issue 11, item 4): live lines on a terminal (tested
 * through a pseudo-terminal made by util-linux's `script`), plain append-only lines otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressLines, progressMode } from '../../harness/cli/progress-lines.ts';
import { RunEvents } from '../../harness/runner/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));
const ESC = '\x1b';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'progress-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The environment of a child that must decide by its stdout alone (not by this CI's CI=true). */
function envWithoutCi(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete env.CI;
  return env;
}

describe('progress mode', () => {
  it('is live on a terminal, plain on a pipe, with CI=true or on a dumb terminal', () => {
    expect(progressMode({ isTTY: true }, {})).toBe('live');
    expect(progressMode({ isTTY: false }, {})).toBe('plain');
    expect(progressMode({}, {})).toBe('plain');
    expect(progressMode({ isTTY: true }, { CI: 'true' })).toBe('plain');
    expect(progressMode({ isTTY: true }, { TERM: 'dumb' })).toBe('plain');
  });
});

describe('plain lines', () => {
  it('say when a case starts, each new step, and every 30 s what a long wait waits for', () => {
    vi.useFakeTimers();
    const events = new RunEvents();
    let text = '';
    const p = new ProgressLines(events, { out: (s) => (text += s), mode: 'plain' });
    const t0 = Date.now();
    events.emit({ type: 'case-start', id: '8-3-1', title: 'Long call', expectedMs: 308_000, atMs: t0 });
    events.emit({ type: 'case-step', id: '8-3-1', step: 'waiting 5 min: the 5-minute call', atMs: t0 });
    events.emit({ type: 'case-step', id: '8-3-1', step: 'waiting 5 min: the 5-minute call', atMs: t0 });
    vi.advanceTimersByTime(65_000);
    p.print('8-3-1  OK    Long call\n');
    events.emit({ type: 'case-end', id: '8-3-1', cell: {} as never });
    vi.advanceTimersByTime(60_000);
    p.stop();
    expect(text).not.toContain(ESC);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('· 8-3-1 started: Long call (expected about 5 min 8 s)');
    expect(lines[1]).toBe('· 8-3-1 waiting 5 min: the 5-minute call'); // once, not twice
    expect(lines.slice(2, 4)).toEqual([
      '· 8-3-1 still waiting for the 5-minute call: 30 s of 5 min (case 30 s of about 5 min 8 s)',
      '· 8-3-1 still waiting for the 5-minute call: 1 min of 5 min (case 1 min of about 5 min 8 s)',
    ]);
    expect(lines.slice(4)).toEqual(['8-3-1  OK    Long call']); // nothing after the case ended
  });

  it('add nothing while the engineer is asked, and go on after the answer', () => {
    vi.useFakeTimers();
    const events = new RunEvents();
    let text = '';
    const p = new ProgressLines(events, { out: (s) => (text += s), mode: 'plain' });
    const t0 = Date.now();
    events.emit({ type: 'case-start', id: 'T-1', title: 'Init', expectedMs: 8_000, atMs: t0 });
    events.emit({
      type: 'instruction',
      instruction: {
        id: 'T-1#1',
        caseId: 'T-1',
        kind: 'check',
        side: 'oxo',
        text: 'Ringing?',
        askedAtMs: t0,
      },
    });
    const before = text;
    events.emit({ type: 'case-step', id: 'T-1', step: 'dialling', atMs: t0 });
    vi.advanceTimersByTime(90_000);
    expect(text).toBe(before);
    events.emit({
      type: 'answer',
      instructionId: 'T-1#1',
      answer: { verdict: 'ok', comment: '', at: new Date().toISOString(), via: 'terminal' },
    });
    vi.advanceTimersByTime(31_000);
    p.stop();
    expect(text.slice(before.length)).toMatch(
      /^· T-1 still at "dialling": 1 min 31 s \(case 1 min 31 s of about 8 s\)\n/,
    );
  });
});

describe('live lines', () => {
  it('show each running case with elapsed / expected and its step, redrawn in place, cells printed above', () => {
    vi.useFakeTimers();
    const events = new RunEvents();
    let text = '';
    const p = new ProgressLines(events, { out: (s) => (text += s), mode: 'live', columns: () => 100 });
    const t0 = Date.now();
    events.emit({ type: 'case-start', id: '8-3-1', title: 'Long call', expectedMs: 308_000, atMs: t0 });
    events.emit({ type: 'case-start', id: 'T-1', title: 'Init', expectedMs: 8_000, atMs: t0 });
    events.emit({ type: 'case-step', id: '8-3-1', step: 'waiting 5 min: the 5-minute call', atMs: t0 });
    vi.advanceTimersByTime(3_000);
    expect(p.liveLines()).toEqual([
      '▶ 8-3-1  0:03 / ~5:08  Long call — waiting 5 min: the 5-minute call',
      '▶ T-1    0:03 / ~0:08  Init',
    ]);
    const mark = text.length;
    p.print('T-1    OK    Init\n');
    // Up over the two live lines, clear, the cell's line, then the live lines again.
    expect(text.slice(mark)).toBe(
      `${ESC}[2A\r${ESC}[JT-1    OK    Init\n▶ 8-3-1  0:03 / ~5:08  Long call — waiting 5 min: the 5-minute call\n▶ T-1    0:03 / ~0:08  Init\n`,
    );
    p.stop();
    expect(text.endsWith(`${ESC}[2A\r${ESC}[J`)).toBe(true); // the live lines are gone at the end
  });

  it('never wrap: a narrow terminal cuts the title and the step, not the times', () => {
    const events = new RunEvents();
    const p = new ProgressLines(events, { out: () => {}, mode: 'live', columns: () => 40 });
    events.emit({
      type: 'case-start',
      id: '8-3-1',
      title: 'ExtCall to Premium Deskphone Timeout, a title longer than forty characters',
      expectedMs: 308_000,
      atMs: Date.now(),
    });
    const [line] = p.liveLines();
    p.stop();
    expect(line).toMatch(/^▶ 8-3-1 {2}0:0\d \/ ~5:08 {2}ExtCall/);
    expect(line?.length).toBeLessThanOrEqual(39);
  });

  it('are cleared while a question is open and drawn again after the answer', () => {
    vi.useFakeTimers();
    const events = new RunEvents();
    let text = '';
    const p = new ProgressLines(events, { out: (s) => (text += s), mode: 'live', columns: () => 100 });
    const t0 = Date.now();
    events.emit({ type: 'case-start', id: 'T-1', title: 'Init', expectedMs: 8_000, atMs: t0 });
    events.emit({
      type: 'instruction',
      instruction: { id: 'T-1#1', caseId: 'T-1', kind: 'action', side: 'oxo', text: 'Answer', askedAtMs: t0 },
    });
    expect(text.endsWith(`${ESC}[1A\r${ESC}[J`)).toBe(true);
    const asked = text.length;
    vi.advanceTimersByTime(5_000);
    p.print('a log line\n');
    expect(text.slice(asked)).toBe('a log line\n'); // no redraw, no escape codes while asked
    events.emit({
      type: 'answer',
      instructionId: 'T-1#1',
      answer: { verdict: 'ok', comment: '', at: new Date().toISOString(), via: 'terminal' },
    });
    expect(text.slice(asked)).toBe('a log line\n▶ T-1    0:05 / ~0:08  Init\n');
    p.stop();
  });
});

describe('sbc-harness run', () => {
  it('on a terminal (a pseudo-terminal) shows the running case with its elapsed time', {
    timeout: 90_000,
  }, () => {
    const out = join(tmp(), 'run');
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run --only T-1 --workers 1 --out ${JSON.stringify(out)}`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], {
      encoding: 'utf8',
      env: envWithoutCi(),
      timeout: 80_000,
    });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT' && process.env.CI !== 'true') {
      console.warn('skipped: `script` (util-linux / bsdutils) is not installed; apt-get install bsdutils');
      return;
    }
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // The live line of T-1: its id and the elapsed against the expected time, then redrawn.
    expect(r.stdout).toMatch(/▶ T-1 {4}\d+:\d\d \/ ~0:08 {2}Initialisation/);
    expect(r.stdout).toContain(`${ESC}[1A\r${ESC}[J`);
    // The cell's line as without a terminal, where the live line was.
    expect(r.stdout).toMatch(/\x1b\[JT-1 {4}OK {4}Initialisation/);
  });

  it('on a pipe prints plain lines without escape codes', { timeout: 90_000 }, () => {
    const out = join(tmp(), 'run');
    const r = spawnSync(process.execPath, [BIN, 'run', '--only', 'T-1', '--workers', '1', '--out', out], {
      encoding: 'utf8',
      env: envWithoutCi(),
      timeout: 80_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stdout).toMatch(/\n· T-1 started: Initialisation[^\n]*\(expected about 8 s\)\n/);
    expect(r.stdout).toMatch(/\nT-1 {4}OK {4}Initialisation/);
  });
});
