/**
 * Questions to the engineer in interactive mode: actions the harness cannot perform (answer
 * on a real deskphone) and human checks (what does the display show?). Answers are recorded.
 */
import { createInterface } from 'node:readline/promises';

export interface Prompter {
  ask(question: string, choices?: string[]): Promise<string>;
}

/** Asks on a terminal. An answer outside `choices` is asked again (at most 5 times). */
export class TerminalPrompter implements Prompter {
  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
  ) {}

  async ask(question: string, choices?: string[]): Promise<string> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: false });
    try {
      for (let i = 0; i < 5; i++) {
        const hint = choices && choices.length > 0 ? ` [${choices.join('/')}]` : '';
        const answer = (await rl.question(`${question}${hint} `)).trim();
        if (!choices || choices.length === 0 || choices.includes(answer.toLowerCase())) return answer;
        this.output.write(`Please answer one of: ${choices.join(', ')}\n`);
      }
      throw new Error(`no valid answer to "${question}"`);
    } finally {
      rl.close();
    }
  }
}

/** Answers from a list, in order (tests, and scripted lab sessions). */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  constructor(private readonly answers: string[]) {}
  async ask(question: string): Promise<string> {
    this.asked.push(question);
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`no scripted answer for "${question}"`);
    return a;
  }
}
