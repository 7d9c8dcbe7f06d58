/**
 * The live console's side of the engineer's questions (`run --ui`): it holds the open
 * instructions and questions, tells the console server when the list changes, and settles a
 * question when the page posts its answer. It knows nothing of HTTP: the server calls
 * {@link ConsolePrompter.answer} with the posted body, which is data from the network and is
 * checked here (an unknown question, a wrong verdict or a choice not offered is refused, never
 * thrown). A question cancelled through its AbortSignal (answered first on the terminal, or the
 * case ended) leaves the list.
 */
import type { EngineerAnswer, EngineerVerdict, Instruction, Prompter } from '../runner/index.ts';

/** A question open on the console, as the page receives it. */
export type OpenQuestion =
  | { id: string; kind: 'instruction'; instruction: Instruction; askedAtMs: number }
  | { id: string; kind: 'question'; text: string; choices: string[]; askedAtMs: number };

/** Why a posted answer was refused: `status` is the HTTP status the server sends. */
export type AnswerResult = { ok: true } | { ok: false; status: number; error: string };

/** Longest comment kept, characters. */
export const MAX_COMMENT_CHARS = 2000;

type Body = { verdict: EngineerVerdict; comment: string } | { answer: string };

interface Pending {
  q: OpenQuestion;
  settle: (body: Body) => void;
  fail: (err: Error) => void;
}

const VERDICTS: readonly EngineerVerdict[] = ['ok', 'nok', 'na'];

/** A comment as the engineer typed it, without control characters (newlines and tabs kept), bounded. */
export function cleanComment(v: unknown): string {
  if (typeof v !== 'string') return '';
  return v
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .trim()
    .slice(0, MAX_COMMENT_CHARS);
}

export class ConsolePrompter implements Prompter {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<() => void>();
  private seq = 0;
  private closedWith: Error | undefined;

  /** The questions open now, oldest first. */
  get open(): OpenQuestion[] {
    return [...this.pending.values()].map((p) => p.q);
  }

  /** Called whenever a question opens or closes. */
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  instruct(i: Instruction, signal?: AbortSignal): Promise<EngineerAnswer> {
    return this.put({ id: '', kind: 'instruction', instruction: i, askedAtMs: Date.now() }, signal).then(
      (body) => {
        if (!('verdict' in body)) throw new Error('an instruction was answered without a verdict');
        return { verdict: body.verdict, comment: body.comment, at: new Date().toISOString(), via: 'console' };
      },
    );
  }

  ask(question: string, choices?: string[], signal?: AbortSignal): Promise<string> {
    const q: OpenQuestion = {
      id: '',
      kind: 'question',
      text: question,
      choices: [...(choices ?? [])],
      askedAtMs: Date.now(),
    };
    return this.put(q, signal).then((body) => {
      if (!('answer' in body)) throw new Error('a question was answered without an answer');
      return body.answer;
    });
  }

  /**
   * Settles open question `id` with a posted body: `{verdict: "ok"|"nok"|"na", comment}` for an
   * instruction, `{answer}` (one of the choices, if any were offered) for a question.
   */
  answer(id: unknown, body: unknown): AnswerResult {
    if (typeof id !== 'string') return { ok: false, status: 400, error: 'no question id' };
    const p = this.pending.get(id);
    if (!p)
      return { ok: false, status: 409, error: 'this question is no longer open (answered or cancelled)' };
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (p.q.kind === 'instruction') {
      const verdict = typeof b.verdict === 'string' ? b.verdict.toLowerCase() : '';
      if (!VERDICTS.includes(verdict as EngineerVerdict))
        return { ok: false, status: 400, error: 'verdict must be ok, nok or na' };
      this.close(id);
      p.settle({ verdict: verdict as EngineerVerdict, comment: cleanComment(b.comment) });
      return { ok: true };
    }
    const answer = cleanComment(b.answer);
    let chosen = answer;
    if (p.q.choices.length > 0) {
      const match = p.q.choices.find((c) => c.toLowerCase() === answer.toLowerCase());
      if (match === undefined)
        return { ok: false, status: 400, error: `answer one of: ${p.q.choices.join(', ')}` };
      chosen = match;
    } else if (!answer) return { ok: false, status: 400, error: 'an empty answer' };
    this.close(id);
    p.settle({ answer: chosen });
    return { ok: true };
  }

  /** Ends every open question with an error (the console is going away); later questions fail at once. */
  shutdown(reason = 'the live console stopped'): void {
    this.closedWith = new Error(reason);
    for (const [id, p] of [...this.pending]) {
      this.close(id);
      p.fail(this.closedWith);
    }
  }

  private put(q: OpenQuestion, signal: AbortSignal | undefined): Promise<Body> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('question cancelled'));
    const id = String(++this.seq);
    q.id = id;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.close(id);
        reject(signal?.reason ?? new Error('question cancelled'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        q,
        settle: (body) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(body);
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      });
      this.changed();
    });
  }

  private close(id: string): void {
    if (this.pending.delete(id)) this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // a listener's failure is its own
      }
    }
  }
}
