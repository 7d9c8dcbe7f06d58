/**
 * Questions to the engineer in interactive mode: actions the harness cannot perform (answer
 * on a real deskphone) and human checks (what does the display show?). Answers are recorded.
 */
import { createInterface, type Interface as ReadlineInterface } from 'node:readline';
import { NotJudgedHere } from './case-context.ts';
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

/**
 * Asks on a terminal. An answer outside `choices` is asked again (at most 5 times). Lines are
 * read by one reader for the prompter's life and queued, so answers piped in ahead (a scripted
 * session: `printf 'ok\\nnok no tone\\n' | sbc-harness run --interactive`) are none of them lost;
 * the input is paused between questions, so it never keeps the process alive. When the input
 * ends (stdin from /dev/null, a pipe that closed, Ctrl-D) the pending question and every later
 * one fail at once with {@link InputEndedError}, so that a run never waits for an answer that
 * cannot come: the case is then reported as not run, with the reason.
 */
export class TerminalPrompter implements Prompter {
  private reader: ReadlineInterface | undefined;
  private readonly queued: string[] = [];
  private readonly waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private ended = false;

  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
  ) {}

  async ask(question: string, choices?: string[], signal?: AbortSignal): Promise<string> {
    for (let i = 0; i < 5; i++) {
      const hint = choices && choices.length > 0 ? ` [${choices.join('/')}]` : '';
      const answer = (await this.line(`${question}${hint} `, question, signal)).trim();
      if (!choices || choices.length === 0 || choices.includes(answer.toLowerCase())) return answer;
      this.output.write(`Please answer one of: ${choices.join(', ')}\n`);
    }
    throw new Error(`no valid answer to "${question}"`);
  }

  async instruct(i: Instruction, signal?: AbortSignal): Promise<EngineerAnswer> {
    this.output.write(`\n${instructionText(i)}\n`);
    for (let n = 0; n < 5; n++) {
      const a = parseEngineerAnswer(await this.line('> ', i.text, signal));
      if (a) return { ...a, at: new Date().toISOString(), via: 'terminal' };
      this.output.write('Please start the answer with ok, nok or na.\n');
    }
    throw new Error(`no valid answer to "${i.text}"`);
  }

  /** The next line of input, after writing `prompt`; fails once the input has ended. */
  private line(prompt: string, what: string, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.output.write(prompt);
    const early = this.queued.shift();
    if (early !== undefined) return Promise.resolve(early);
    const reader = this.open();
    if (this.ended || !reader) return Promise.reject(new InputEndedError(what));
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        const k = this.waiting.indexOf(w);
        if (k >= 0) this.waiting.splice(k, 1);
        if (this.waiting.length === 0) reader.pause();
        reject(signal?.reason);
      };
      const w = {
        resolve: (l: string) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(l);
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(new InputEndedError(what, e));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(w);
      reader.resume();
    });
  }

  /** The one reader of the input, made at the first question (undefined once the input ended). */
  private open(): ReadlineInterface | undefined {
    if (this.reader || this.ended) return this.reader;
    if ((this.input as { readableEnded?: boolean }).readableEnded) {
      this.ended = true;
      return undefined;
    }
    const reader = createInterface({ input: this.input, terminal: false });
    reader.on('line', (l) => {
      const w = this.waiting.shift();
      if (w) w.resolve(l);
      else this.queued.push(l);
      if (this.waiting.length === 0) reader.pause();
    });
    reader.on('close', () => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w.reject(new Error('input closed'));
    });
    this.reader = reader;
    return reader;
  }
}

/**
 * The terminal's input ended while (or before) the engineer was asked something. A case that
 * meets it is not judged here (INCOMPLETE with this message), never NOK.
 */
export class InputEndedError extends NotJudgedHere {
  override name = 'InputEndedError';
  constructor(what: string, cause?: Error) {
    super(
      `standard input ended before the engineer answered "${what}": run interactively on a terminal, answer in the live console (--ui), or simulate that side`,
      cause ? { cause } : undefined,
    );
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
