/**
 * DUT adapters put the SBC into the state a case asks for. `embedded` changes the embedded
 * SBC's configuration directly; `manual` asks the engineer to set it and records the answer.
 * Device-specific adapters (a LANCOM over its API, say) implement the same interface.
 */
import type { Lab } from '../actors/index.ts';
import type { Profile } from '../config/profile-schema.ts';
import type { SbcPrecondition } from './case-definition.ts';
import type { Prompter } from './prompter.ts';

export interface AdapterOutcome {
  /** The profile the case runs with (the precondition applied where the adapter could). */
  profile: Profile;
  /** Sentences for the comment: what was applied, confirmed, or could not be. */
  notes: string[];
  answers: Array<{ question: string; answer: string }>;
}

export interface DutAdapter {
  readonly name: string;
  apply(precondition: SbcPrecondition | undefined, profile: Profile): Promise<AdapterOutcome>;
  /**
   * Called once the case's lab is up, before the case runs (e.g. make a real SBC register its
   * line again at the fresh provider simulator). Returns sentences for the comment.
   */
  prepare?(lab: Lab): Promise<string[]>;
}

function describe(p: SbcPrecondition): string {
  const parts: string[] = [];
  if (p.codecOrder) parts.push(`codec order ${p.codecOrder.join(', ')}`);
  if (p.srtpTowardProvider !== undefined)
    parts.push(`SRTP toward the provider ${p.srtpTowardProvider ? 'on' : 'off'}`);
  if (p.providerTransport) parts.push(`${p.providerTransport.toUpperCase()} toward the provider`);
  return parts.join('; ');
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
    return { profile: p, notes: [], answers: [] };
  },
};

/** Asks the engineer to set the precondition on a real SBC and records the confirmation. */
export function manualAdapter(prompter: Prompter | undefined): DutAdapter {
  return {
    name: 'manual',
    async apply(pre, profile) {
      const p: Profile = structuredClone(profile);
      if (!pre || Object.keys(pre).length === 0) return { profile: p, notes: [], answers: [] };
      if (pre.providerTransport) p.provider.transport = pre.providerTransport;
      if (pre.srtpTowardProvider !== undefined) p.provider.srtp = pre.srtpTowardProvider;
      const what = describe(pre);
      if (!prompter) {
        return {
          profile: p,
          notes: [`SBC precondition (${what}) not confirmed: non-interactive run against an external SBC`],
          answers: [],
        };
      }
      const question = `Set the SBC to: ${what}. Done? (no = the SBC cannot be set so)`;
      const answer = await prompter.ask(question, ['yes', 'no']);
      const notes =
        answer.toLowerCase() === 'yes'
          ? [`SBC set by the engineer: ${what}`]
          : [`The SBC cannot be set as the case asks (${what}); tested with its own settings`];
      return { profile: p, notes, answers: [{ question, answer }] };
    },
  };
}
