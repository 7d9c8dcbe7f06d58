/**
 * DUT adapters put the SBC into the state a case asks for (its `sbc` precondition), or say that
 * they could not. `embedded` changes the embedded SBC's configuration directly; `kamailio-lab`
 * sets the lab over its control interface (kamailio-adapter.ts); `generic` is for any other
 * SBC: it cannot configure it, so it asks the engineer (--interactive) or reports the setting
 * as not applied. A setting not applied is never judged (docs/verdicts.md): the case runs with
 * the SBC as it is, its checks that depend on the setting are recorded but not judged, and the
 * cell is INCOMPLETE rather than OK or NOK.
 */
import type { Lab } from '../actors/index.ts';
import { adapterOf } from '../config/profile.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { SbcPrecondition } from './case-definition.ts';
import type { PreconditionKey } from './checks.ts';
import { kamailioLabAdapter } from './kamailio-adapter.ts';
import { InputEndedError, type Prompter } from './prompter.ts';

/** One SBC setting of a precondition that nobody applied, and the sentence for the cell. */
export interface Unapplied {
  key: PreconditionKey;
  sentence: string;
}

export interface AdapterOutcome {
  /** The profile the case runs with (the precondition applied where the adapter could). */
  profile: Profile;
  /** Sentences for the comment: what was applied or confirmed. */
  notes: string[];
  answers: Array<{ question: string; answer: string }>;
  /** The settings of the precondition that nobody applied (empty when all were). */
  unapplied: Unapplied[];
}

export interface DutAdapter {
  readonly name: string;
  apply(precondition: SbcPrecondition | undefined, profile: Profile): Promise<AdapterOutcome>;
  /**
   * Called once the case's lab is up, before the case runs (e.g. make a real SBC register its
   * line again at a fresh provider simulator). Returns sentences for the comment.
   */
  prepare?(lab: Lab): Promise<string[]>;
}

/** Each setting of a precondition in words, by key. */
export function describeSettings(p: SbcPrecondition): Array<[PreconditionKey, string]> {
  const parts: Array<[PreconditionKey, string]> = [];
  if (p.codecOrder) parts.push(['codecOrder', `codec order ${p.codecOrder.join(', ')}`]);
  if (p.srtpTowardProvider !== undefined)
    parts.push(['srtpTowardProvider', `SRTP toward the provider ${p.srtpTowardProvider ? 'on' : 'off'}`]);
  if (p.providerTransport)
    parts.push(['providerTransport', `${p.providerTransport.toUpperCase()} toward the provider`]);
  return parts;
}

/** Applies preconditions to the embedded SBC's configuration (a copy of the profile). */
export const embeddedAdapter: DutAdapter = {
  name: 'embedded',
  async apply(pre, profile) {
    const p: Profile = structuredClone(profile);
    if (pre?.codecOrder)
      p.sbc.codecOrder = pre.codecOrder.filter((c) =>
        profile.sbc.codecOrder.includes(c as never),
      ) as Profile['sbc']['codecOrder'];
    if (pre?.srtpTowardProvider !== undefined) {
      p.sbc.srtpTowardProvider = pre.srtpTowardProvider;
      p.provider.srtp = pre.srtpTowardProvider;
    }
    if (pre?.providerTransport) p.provider.transport = pre.providerTransport;
    return { profile: p, notes: [], answers: [], unapplied: [] };
  },
};

/**
 * Any SBC the harness cannot configure: with a prompter the engineer is asked to set the
 * precondition and confirms it; without one (or when the engineer cannot set it) each setting
 * is reported as not applied and the case runs with the SBC as it is.
 */
export function genericAdapter(prompter: Prompter | undefined): DutAdapter {
  /** What the engineer last confirmed having set, by key: a case that wants the same is not asked again. */
  const confirmed = new Map<PreconditionKey, string>();
  return {
    name: 'generic',
    async apply(pre, profile) {
      const p: Profile = structuredClone(profile);
      // A setting the profile already declares for this SBC needs nobody to apply it.
      const wanted = pre ? describeSettings(pre).filter(([key]) => !declared(key, pre, profile)) : [];
      // Nor does one the engineer set for an earlier case of this run and nothing changed since.
      const kept = wanted.filter(([key, s]) => confirmed.get(key) === s);
      const settings = wanted.filter(([key, s]) => confirmed.get(key) !== s);
      const keptNote =
        kept.length > 0
          ? [`SBC still set by the engineer since an earlier case: ${kept.map(([, s]) => s).join('; ')}.`]
          : [];
      if (pre && kept.length > 0)
        applyTo(
          p,
          only(
            pre,
            kept.map(([key]) => key),
          ),
          profile,
        );
      if (!pre || settings.length === 0) return { profile: p, notes: keptNote, answers: [], unapplied: [] };
      const what = settings.map(([, s]) => s).join('; ');
      const applied = () => applyTo(p, pre, profile);
      if (!prompter) {
        return {
          profile: p,
          notes: [],
          answers: [],
          unapplied: settings.map(([key, s]) => ({
            key,
            sentence: `SBC setting not applied: ${s} (sbc.adapter: generic cannot set it, and the run was not --interactive)`,
          })),
        };
      }
      const question = `Set the SBC to: ${what}. Done? (no = the SBC cannot be set so)`;
      let answer: string;
      try {
        answer = await prompter.ask(question, ['yes', 'no']);
      } catch (e) {
        if (!(e instanceof InputEndedError)) throw e;
        for (const [key] of settings) confirmed.delete(key);
        return {
          profile: p,
          notes: keptNote,
          answers: [],
          unapplied: settings.map(([key, s]) => ({
            key,
            sentence: `SBC setting not applied: ${s} (standard input ended before the engineer answered)`,
          })),
        };
      }
      if (answer.toLowerCase() === 'yes') {
        applied();
        for (const [key, st] of settings) confirmed.set(key, st);
        return {
          profile: p,
          notes: [...keptNote, `SBC set by the engineer: ${what}.`],
          answers: [{ question, answer }],
          unapplied: [],
        };
      }
      for (const [key] of settings) confirmed.delete(key);
      return {
        profile: p,
        notes: keptNote,
        answers: [{ question, answer }],
        unapplied: settings.map(([key, s]) => ({
          key,
          sentence: `SBC setting not applied: ${s} (the engineer answered that the SBC cannot be set so)`,
        })),
      };
    },
  };
}

/** The settings of `pre` under `keys` only. */
function only(pre: SbcPrecondition, keys: PreconditionKey[]): SbcPrecondition {
  return {
    ...(keys.includes('codecOrder') && pre.codecOrder ? { codecOrder: pre.codecOrder } : {}),
    ...(keys.includes('providerTransport') && pre.providerTransport
      ? { providerTransport: pre.providerTransport }
      : {}),
    ...(keys.includes('srtpTowardProvider') && pre.srtpTowardProvider !== undefined
      ? { srtpTowardProvider: pre.srtpTowardProvider }
      : {}),
  };
}

/** The engineer set the SBC as `pre` says: the simulators follow the same settings. */
function applyTo(p: Profile, pre: SbcPrecondition, profile: Profile): void {
  if (pre.codecOrder)
    p.sbc.codecOrder = pre.codecOrder.filter((c) =>
      profile.sbc.codecOrder.includes(c as never),
    ) as Profile['sbc']['codecOrder'];
  if (pre.providerTransport) p.provider.transport = pre.providerTransport;
  if (pre.srtpTowardProvider !== undefined) {
    p.sbc.srtpTowardProvider = pre.srtpTowardProvider;
    p.provider.srtp = pre.srtpTowardProvider;
  }
}

/**
 * Whether the profile already declares the SBC as the precondition wants it: its codec order
 * (`sbc.codecOrder`, as far as the SBC has the codecs), SRTP toward the provider
 * (`sbc.srtpTowardProvider`) or transport toward the provider (`provider.transport`).
 */
function declared(key: PreconditionKey, pre: SbcPrecondition, profile: Profile): boolean {
  switch (key) {
    case 'codecOrder': {
      const want = (pre.codecOrder ?? []).filter((c) => profile.sbc.codecOrder.includes(c as never));
      return want.join(',') === profile.sbc.codecOrder.join(',');
    }
    case 'srtpTowardProvider':
      return pre.srtpTowardProvider === profile.sbc.srtpTowardProvider;
    case 'providerTransport':
      return pre.providerTransport === profile.provider.transport;
  }
}

/** The adapter a profile names (`sbc.adapter`, or the default for its SBC kind). */
export function adapterFor(profile: Profile, prompter: Prompter | undefined): DutAdapter {
  switch (adapterOf(profile)) {
    case 'embedded':
      return embeddedAdapter;
    case 'kamailio-lab':
      return kamailioLabAdapter();
    case 'generic':
      return genericAdapter(prompter);
  }
}
