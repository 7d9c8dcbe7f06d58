/**
 * Load agents (`sbc-harness load --agents N`, or one agent of a Kubernetes Indexed Job): how a
 * load is split between N agent processes, each owning a disjoint share of it.
 *
 * Every agent is given the whole run's options and its index, and works out its own share, so
 * that N identical pods differing only in JOB_COMPLETION_INDEX split a load without talking to
 * each other:
 * - calls: ⌊calls / N⌋, the first `calls mod N` agents one more;
 * - each step's target concurrency: split the same way (each agent needs at least 1);
 * - slots (provider phones `load-<slot>`, number +4940556 and the slot in 4 digits): agent i
 *   owns the range from i × ⌈max target / N⌉, as wide as its largest target, so no two agents
 *   share a phone or a number;
 * - RTP ports: each media leg binds an ephemeral port, which the OS never gives twice at once
 *   on one host (and pods each have their own addresses);
 * - SIP ports: with the embedded SBC each agent starts its own lab on ephemeral ports; with an
 *   external SBC, agents on one host shift the provider's and the OXO's ports by
 *   {@link AGENT_PORT_STRIDE} × i (`--port-offset`), which the SBC must route (docs/load.md).
 */
import type { Profile } from '../config/profile-schema.ts';

/** Most agents one load takes. */
export const MAX_LOAD_AGENTS = 64;
/** Port shift between two agents on one host with an external SBC. */
export const AGENT_PORT_STRIDE = 10;

/** An agent's share of a load. */
export interface AgentShare {
  index: number;
  count: number;
  calls: number;
  steps: number[];
  /** First slot of the agent's range. */
  slotBase: number;
}

/** The share of `n` that agent `index` of `count` takes. */
function part(n: number, index: number, count: number): number {
  return Math.floor(n / count) + (index < n % count ? 1 : 0);
}

/** What is wrong with splitting these options between `count` agents (empty: fine). */
export function agentShareProblems(
  o: { calls: number; steps: number[] },
  index: number,
  count: number,
): string[] {
  const p: string[] = [];
  if (!Number.isInteger(count) || count < 1 || count > MAX_LOAD_AGENTS)
    p.push(`the agent count must be a whole number from 1 to ${MAX_LOAD_AGENTS}`);
  else if (!Number.isInteger(index) || index < 0 || index >= count)
    p.push(`the agent index must be a whole number from 0 to ${count - 1}`);
  else {
    if (o.calls < count)
      p.push(`--calls ${o.calls} cannot be split between ${count} agents (at least 1 each)`);
    const low = o.steps.filter((c) => c < count);
    if (low.length > 0)
      p.push(`a concurrency of ${low[0]} cannot be split between ${count} agents (at least 1 each)`);
  }
  return p;
}

/** Agent `index`'s share of the whole run's calls and steps (check {@link agentShareProblems} first). */
export function agentShare(o: { calls: number; steps: number[] }, index: number, count: number): AgentShare {
  const width = Math.ceil(Math.max(...o.steps) / count);
  return {
    index,
    count,
    calls: part(o.calls, index, count),
    steps: o.steps.map((c) => part(c, index, count)),
    slotBase: index * width,
  };
}

/**
 * The profile an agent uses with an external SBC on a host shared with other agents: the
 * provider's and the OXO's SIP ports shifted by `offset` (the SBC routes each agent's range).
 */
export function profileWithPortOffset(profile: Profile, offset: number): Profile {
  if (offset === 0) return profile;
  return {
    ...profile,
    provider: {
      ...profile.provider,
      port: profile.provider.port + offset,
      tlsPort: profile.provider.tlsPort + offset,
    },
    oxo: { ...profile.oxo, port: profile.oxo.port + offset },
  };
}
