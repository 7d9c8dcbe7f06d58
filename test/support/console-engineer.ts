/**
 * A test playing the engineer on the live console (`run --ui`) in Chromium: it reads each open
 * card from the page as a person would (the instruction's case, kind, side, text and expected
 * observation, or a question and its choices), asks `decide` what to do (a test may first carry
 * the instruction out on a separate simulator: answer, press digits, hang up), then types the
 * comment and clicks the button. Bounded in count and time; stops when `until` settles.
 */
import type { Page } from 'playwright-core';

/** An open card as the page shows it. */
export interface PageCard {
  /** The console's question id (data-id). */
  id: string;
  /** "instruction" (OK / NOK / N/A) or "question" (choices). */
  type: 'instruction' | 'question';
  caseId: string;
  /** action, check or setting (instructions). */
  kind: string;
  text: string;
  /** "Expected: …" of a check, without the prefix. */
  expected: string;
  /** The choice buttons of a question. */
  choices: string[];
}

/** What the engineer does with a card: a verdict (instructions) or a choice (questions). */
export type PageAnswer = { verdict: 'ok' | 'nok' | 'na'; comment?: string } | { choice: string };

export interface EngineerOptions {
  /** Stop once this settles (the run's promise). */
  until: Promise<unknown>;
  /** At most this many cards (default 200). */
  maxCards?: number;
  /** Give up after this long overall (default 10 minutes). */
  timeoutMs?: number;
}

/** Reads the first open card the page shows that is not in `done`. */
async function nextCard(page: Page, done: ReadonlySet<string>): Promise<PageCard | undefined> {
  return page.$$eval(
    '#open .question:not(.sent)',
    (cards, skip) =>
      cards
        .map((c) => ({
          id: c.getAttribute('data-id') ?? '',
          type: (c.hasAttribute('data-kind') ? 'instruction' : 'question') as 'instruction' | 'question',
          caseId: c.getAttribute('data-case') ?? '',
          kind: c.getAttribute('data-kind') ?? '',
          text: (c.querySelector('.text')?.textContent ?? '').trim(),
          expected: (c.querySelector('.expected')?.textContent ?? '').replace(/^Expected:\s*/, '').trim(),
          choices: [...c.querySelectorAll('button[data-choice]')].map(
            (b) => b.getAttribute('data-choice') ?? '',
          ),
        }))
        .find((c) => !skip.includes(c.id)),
    [...done],
  );
}

/**
 * Answers the console's cards until `until` settles; returns the cards answered, in order.
 * A card the page withdraws meanwhile (answered on the terminal, case ended) is skipped.
 */
export async function playEngineer(
  page: Page,
  decide: (card: PageCard) => Promise<PageAnswer> | PageAnswer,
  o: EngineerOptions,
): Promise<Array<{ card: PageCard; answer: PageAnswer }>> {
  let finished = false;
  void o.until.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  const done = new Set<string>();
  const answered: Array<{ card: PageCard; answer: PageAnswer }> = [];
  while (!finished && answered.length < (o.maxCards ?? 200)) {
    if (Date.now() > deadline) throw new Error(`the engineer gave up after ${o.timeoutMs ?? 600_000} ms`);
    const card = await nextCard(page, done);
    if (!card) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    done.add(card.id);
    const answer = await decide(card);
    const el = page.locator(`#open .question[data-id="${card.id}"]`);
    if ((await el.count()) === 0) continue; // withdrawn meanwhile
    if ('choice' in answer) await el.locator(`button[data-choice="${answer.choice}"]`).click();
    else {
      if (answer.comment) await el.locator('textarea.comment').fill(answer.comment);
      await el.locator(`button[data-verdict="${answer.verdict}"]`).click();
    }
    answered.push({ card, answer });
  }
  return answered;
}
