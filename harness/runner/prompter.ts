/**
 * Questions to the engineer in interactive mode: actions the harness cannot perform (answer
 * on a real deskphone) and human checks (what does the display show?). Answers are recorded.
 */
import { createInterface } from 'node:readline/promises';
import { type EngineerAnswer, type Instruction, parseEngineerAnswer } from './engineer.ts';

export interface Prompter {
  ask(question: string, choices?: string[], signal?: AbortSignal): Promise<string>;
  /** Puts an instruction or a check to the engineer (real equipment) and waits for the answer. */
  instruct(i: Instruction, signal?: AbortSignal): Promise<EngineerAnswer>;
}

/** How an instruction reads on a terminal. */
export function instructionText(i: Instruction): string {
  const who = i.side === 'oxo' ? 'PBX side' : i.side === 'provider' ? 'provider side' : 'SBC';
  const head =
    i.kind === 'check'
      ? `[${i.caseId}] CHECK (${who}): ${i.text}${i.expected ? ` Expected: ${i.expected}.` : ''}`
      : i.kind === 'setting'
        ? `[${i.caseId}] SET (${who}): ${i.text}`
        : `[${i.caseId}] DO (${who}): ${i.text}`;
  const how =
    i.kind === 'check'
      ? 'Answer ok, nok or na, then a comment if you like ("nok display blank").'
      : 'Answer ok when done, nok if it could not be done (with why), na if it does not apply to this product.';
  return `${head}\n  ${how}`;
}

/** Asks on a terminal. An answer outside `choices` is asked again (at most 5 times). */
export class TerminalPrompter implements Prompter {
  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
  ) {}

  async ask(question: string, choices?: string[], signal?: AbortSignal): Promise<string> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: false });
    try {
      for (let i = 0; i < 5; i++) {
        const hint = choices && choices.length > 0 ? ` [${choices.join('/')}]` : '';
        const answer = (await rl.question(`${question}${hint} `, signal ? { signal } : {})).trim();
        if (!choices || choices.length === 0 || choices.includes(answer.toLowerCase())) return answer;
        this.output.write(`Please answer one of: ${choices.join(', ')}\n`);
      }
      throw new Error(`no valid answer to "${question}"`);
    } finally {
      rl.close();
    }
  }

  async instruct(i: Instruction, signal?: AbortSignal): Promise<EngineerAnswer> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: false });
    try {
      this.output.write(`\n${instructionText(i)}\n`);
      for (let n = 0; n < 5; n++) {
        const line = await rl.question('> ', signal ? { signal } : {});
        const a = parseEngineerAnswer(line);
        if (a) return { ...a, at: new Date().toISOString(), via: 'terminal' };
        this.output.write('Please start the answer with ok, nok or na.\n');
      }
      throw new Error(`no valid answer to "${i.text}"`);
    } finally {
      rl.close();
    }
  }
}

/**
 * Answers from a list, in order (tests, and scripted lab sessions). Instructions take answers
 * of the form "ok", "nok comment" or "na comment".
 */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  constructor(private readonly answers: string[]) {}
  async ask(question: string): Promise<string> {
    this.asked.push(question);
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`no scripted answer for "${question}"`);
    return a;
  }
  async instruct(i: Instruction): Promise<EngineerAnswer> {
    this.asked.push(i.text);
    const line = this.answers.shift();
    if (line === undefined) throw new Error(`no scripted answer for "${i.text}"`);
    const a = parseEngineerAnswer(line);
    if (!a) throw new Error(`scripted answer "${line}" to "${i.text}" is not ok, nok or na`);
    return { ...a, at: new Date().toISOString(), via: 'script' };
  }
}
