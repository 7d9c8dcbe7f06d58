/**
 * The terminal prompter never waits for an answer that cannot come: when its input has ended
 * (stdin from /dev/null, a closed pipe, Ctrl-D) the question fails with a reason that makes the
 * case INCOMPLETE, and answers piped in ahead of the questions are each used, none lost.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  genericAdapter,
  InputEndedError,
  type Instruction,
  NotJudgedHere,
  TerminalPrompter,
} from '../../harness/runner/index.ts';

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { input, prompter: new TerminalPrompter(input, output), text: () => text };
}

const check: Instruction = {
  id: '8-3-2#1',
  caseId: '8-3-2',
  kind: 'check',
  side: 'oxo',
  text: 'Does the display show 040555001?',
  expected: '040555001',
  askedAtMs: 0,
};

describe('the terminal prompter', () => {
  it('fails at once, as not judged here, when its input ended before the question', async () => {
    const t = terminal();
    t.input.end();
    const asked = t.prompter.ask('Is the SBC set?', ['yes', 'no']);
    await expect(asked).rejects.toBeInstanceOf(InputEndedError);
    await expect(asked).rejects.toBeInstanceOf(NotJudgedHere);
    await expect(asked).rejects.toThrow(
      /standard input ended before the engineer answered "Is the SBC set\?"/,
    );
    await expect(t.prompter.instruct(check)).rejects.toBeInstanceOf(InputEndedError);
  });

  it('fails a pending question when its input ends while it waits', async () => {
    const t = terminal();
    const pending = t.prompter.instruct(check);
    const settled = pending.then(
      () => 'answered',
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 50));
    t.input.end();
    const e = await settled;
    expect(e).toBeInstanceOf(InputEndedError);
    expect((e as Error).message).toContain('Does the display show 040555001?');
  });

  it('uses every answer piped in ahead, in order, then fails once they are used up', async () => {
    const t = terminal();
    t.input.end('maybe\nyes\nok shows 040555001\nnok no ring back\n');
    expect(await t.prompter.ask('Is the SBC set?', ['yes', 'no'])).toBe('yes');
    expect(t.text()).toContain('Please answer one of: yes, no');
    expect(await t.prompter.instruct(check)).toMatchObject({ verdict: 'ok', comment: 'shows 040555001' });
    expect(await t.prompter.instruct(check)).toMatchObject({ verdict: 'nok', comment: 'no ring back' });
    await expect(t.prompter.ask('Again?', ['yes', 'no'])).rejects.toBeInstanceOf(InputEndedError);
  });

  it('makes an SBC setting that nobody could be asked for "not applied", not a harness error', async () => {
    const t = terminal();
    t.input.end();
    const profile = structuredClone(loadProfile());
    profile.sbc.kind = 'external';
    const r = await genericAdapter(t.prompter).apply({ codecOrder: ['G729', 'PCMA'] }, profile);
    expect(r.unapplied.map((u) => u.key)).toEqual(['codecOrder']);
    expect(r.unapplied[0]?.sentence).toContain('standard input ended before the engineer answered');
    expect(r.answers).toEqual([]);
  });
});
