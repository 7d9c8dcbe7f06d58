/**
 * The call mix of a load run (`sbc-harness load --mix`): which of the plan's call shapes the
 * calls take, in what proportion, and in which order. Pure: no actor, no clock.
 *
 * `--mix basic:6,dtmf-rfc4733:1,hold:1` gives weights; the calls cycle through one round of
 * `sum(weights)` calls built by smooth weighted round-robin, so the shapes interleave (never six
 * basic calls in a row followed by the others) and the same options always give the same order.
 */

/** The call shapes of the load, drawn from the plan's own cases. */
export const LOAD_SHAPES = [
  'basic',
  'dtmf-rfc4733',
  'dtmf-inband',
  'dtmf-info',
  'hold',
  'transfer',
  'transfer-semi',
  'transfer-attended',
] as const;

export type LoadShapeName = (typeof LOAD_SHAPES)[number];

/** One sentence per shape, for `--help` and the report. */
export const LOAD_SHAPE_SUMMARY: Record<LoadShapeName, string> = {
  basic: 'audio both ways, then the caller hangs up',
  'dtmf-rfc4733':
    'the caller sends 159# as RFC 4733 events; the callee must decode each digit once, in order (as events, or as SIP INFO or inband where its leg has no telephone-event)',
  'dtmf-inband':
    'the caller sends 159# as inband tones; the callee must decode each digit once, in order (as tones, as RFC 4733 where its leg has telephone-event, or as SIP INFO where not)',
  'dtmf-info':
    'the caller sends 159# as SIP INFO; the callee must get each digit once, in order (as INFO, as RFC 4733 where its leg has telephone-event, or inband where not)',
  hold: 'the extension holds (re-INVITE a=sendonly) and resumes (a=sendrecv); audio both ways after the resume',
  transfer:
    'the extension transfers the PSTN party blind by REFER to a second PSTN phone; audio both ways between them',
  'transfer-semi':
    'the extension holds the PSTN party, calls a second PSTN phone and transfers while it rings (joined by the OXO, or by REFER with oxo.transferMode: refer); audio both ways between them',
  'transfer-attended':
    'the extension holds the PSTN party, calls a second PSTN phone, talks to it, then transfers (joined by the OXO, or by REFER with Replaces with oxo.transferMode: refer); audio both ways each time',
};

/** Weights per shape (only shapes with a weight above 0 take part). */
export type LoadMix = Partial<Record<LoadShapeName, number>>;

/** The default mix: the plan's basic call only. */
export const DEFAULT_LOAD_MIX: LoadMix = { basic: 1 };

/** Largest weight of one shape (a round of calls is at most 8 × this long). */
export const MAX_MIX_WEIGHT = 1000;

/** Parses `basic:6,hold:1` (a shape without a weight counts 1). Errors name the bad part. */
export function parseMix(text: string): { ok: true; mix: LoadMix } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const mix: LoadMix = {};
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) problems.push('--mix is empty; give shape:weight pairs, e.g. basic:6,hold:1');
  for (const part of parts) {
    const m = /^([a-z0-9-]+)(?::(.*))?$/.exec(part);
    const name = m?.[1];
    if (!m || !name || !(LOAD_SHAPES as readonly string[]).includes(name)) {
      problems.push(`--mix: unknown shape "${part.split(':')[0]}"; known shapes: ${LOAD_SHAPES.join(', ')}`);
      continue;
    }
    const w = m[2] === undefined ? 1 : Number(m[2]);
    if (!Number.isInteger(w) || w < 0 || w > MAX_MIX_WEIGHT) {
      problems.push(`--mix: the weight of ${name} must be a whole number from 0 to ${MAX_MIX_WEIGHT}`);
      continue;
    }
    if (mix[name as LoadShapeName] !== undefined) {
      problems.push(`--mix: ${name} is given twice`);
      continue;
    }
    mix[name as LoadShapeName] = w;
  }
  if (problems.length === 0 && !Object.values(mix).some((w) => (w ?? 0) > 0))
    problems.push('--mix: at least one shape needs a weight above 0');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, mix };
}

/** The shapes of a mix with a weight above 0, in {@link LOAD_SHAPES} order. */
export function mixShapes(mix: LoadMix): LoadShapeName[] {
  return LOAD_SHAPES.filter((s) => (mix[s] ?? 0) > 0);
}

/** `basic:6,hold:1`: the mix as `--mix` writes it (shapes in {@link LOAD_SHAPES} order). */
export function mixText(mix: LoadMix): string {
  return mixShapes(mix)
    .map((s) => `${s}:${mix[s]}`)
    .join(',');
}

/**
 * One round of the mix: `sum(weights)` shapes by smooth weighted round-robin (each pick adds
 * every weight to its shape's credit, takes the shape with the most credit, earliest in
 * {@link LOAD_SHAPES} on a tie, and takes the total off it). Deterministic.
 */
export function mixRound(mix: LoadMix): LoadShapeName[] {
  const shapes = mixShapes(mix);
  const total = shapes.reduce((s, n) => s + (mix[n] ?? 0), 0);
  const credit = new Map<LoadShapeName, number>(shapes.map((s) => [s, 0]));
  const round: LoadShapeName[] = [];
  for (let i = 0; i < total; i++) {
    let best: LoadShapeName | undefined;
    for (const s of shapes) {
      const c = (credit.get(s) as number) + (mix[s] as number);
      credit.set(s, c);
      if (best === undefined || c > (credit.get(best) as number)) best = s;
    }
    const b = best as LoadShapeName;
    credit.set(b, (credit.get(b) as number) - total);
    round.push(b);
  }
  return round;
}

/**
 * The shape of every call, by start index, and its direction: with `both`, a shape's own calls
 * alternate in, out, in… (its first call `in`), so every shape runs both ways whatever the
 * round's length. `fixed` forces one direction on a shape (e.g. SIP INFO digits when the OXO
 * has none: only the provider's phone can send them).
 */
export class MixSchedule {
  private readonly round: LoadShapeName[];
  private readonly seen = new Map<LoadShapeName, number>();

  constructor(
    mix: LoadMix,
    private readonly direction: 'in' | 'out' | 'both',
    private readonly fixed: Partial<Record<LoadShapeName, 'in' | 'out'>> = {},
  ) {
    this.round = mixRound(mix);
    if (this.round.length === 0) throw new Error('the mix has no shape with a weight above 0');
  }

  /** The shape and direction of the call started `index`-th (calls are asked for in order). */
  next(index: number): { shape: LoadShapeName; direction: 'in' | 'out' } {
    const shape = this.round[index % this.round.length] as LoadShapeName;
    const k = this.seen.get(shape) ?? 0;
    this.seen.set(shape, k + 1);
    const fixed = this.fixed[shape];
    const direction = fixed ?? (this.direction === 'both' ? (k % 2 === 0 ? 'in' : 'out') : this.direction);
    return { shape, direction };
  }
}
