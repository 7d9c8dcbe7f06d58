/**
 * Several places to answer the engineer's questions at once (the terminal over SSH and the live
 * console in a browser): each question is put to every prompter, the first answer wins, and the
 * others' pending questions are cancelled through their AbortSignal. A prompter that fails
 * (its input closed, say) does not end the question while another may still answer; the
 * question fails only when every prompter failed.
 */
import type { EngineerAnswer, Instruction } from './engineer.ts';
import type { Prompter } from './prompter.ts';

/** One of the combined prompters, with a name for the winner's note ("console", "terminal"). */
export interface NamedPrompter {
  name: string;
  prompter: Prompter;
}

/** Told who answered a question first (e.g. to note on the terminal that the console answered). */
export type AnsweredBy = (winner: string, question: string, answer: string) => void;

export class FirstAnswerPrompter implements Prompter {
  constructor(
    private readonly prompters: readonly NamedPrompter[],
    private readonly onAnswered?: AnsweredBy,
  ) {
    if (prompters.length === 0) throw new Error('FirstAnswerPrompter needs at least one prompter');
  }

  ask(question: string, choices?: string[], signal?: AbortSignal): Promise<string> {
    return this.race(question, signal, (p, s) => p.ask(question, choices, s)).then(([who, a]) => {
      this.onAnswered?.(who, question, a);
      return a;
    });
  }

  instruct(i: Instruction, signal?: AbortSignal): Promise<EngineerAnswer> {
    return this.race(i.text, signal, (p, s) => p.instruct(i, s)).then(([who, a]) => {
      this.onAnswered?.(who, i.text, `${a.verdict}${a.comment ? ` ${a.comment}` : ''}`);
      return a;
    });
  }

  /** Puts the question to every prompter; the first to answer wins and the others are cancelled. */
  private race<T>(
    what: string,
    outer: AbortSignal | undefined,
    put: (p: Prompter, signal: AbortSignal) => Promise<T>,
  ): Promise<[string, T]> {
    return new Promise<[string, T]>((resolve, reject) => {
      const controllers = this.prompters.map(() => new AbortController());
      const errors: unknown[] = [];
      let settled = false;
      const cancelAll = (except?: number) => {
        controllers.forEach((c, k) => {
          if (k !== except && !c.signal.aborted) c.abort(new Error(`answered elsewhere: "${what}"`));
        });
      };
      const onOuterAbort = () => {
        if (settled) return;
        settled = true;
        cancelAll();
        reject(outer?.reason ?? new Error(`question cancelled: "${what}"`));
      };
      if (outer?.aborted) {
        onOuterAbort();
        return;
      }
      outer?.addEventListener('abort', onOuterAbort, { once: true });
      this.prompters.forEach((np, k) => {
        let p: Promise<T>;
        try {
          p = put(np.prompter, (controllers[k] as AbortController).signal);
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(
          (value) => {
            if (settled) return;
            settled = true;
            outer?.removeEventListener('abort', onOuterAbort);
            cancelAll(k);
            resolve([np.name, value]);
          },
          (err: unknown) => {
            errors.push(err);
            if (settled || errors.length < this.prompters.length) return;
            settled = true;
            outer?.removeEventListener('abort', onOuterAbort);
            reject(errors[0]);
          },
        );
      });
    });
  }
}
