/**
 * The generic adapter asks the engineer to set the SBC for a case, and does not ask again for a
 * later case that wants the same setting when nothing changed it since; a different setting,
 * or the first again after another, is asked.
 */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { genericAdapter, ScriptedPrompter } from '../../harness/runner/index.ts';

describe('the generic adapter', () => {
  it('asks for a setting only when it differs from the one the engineer last made', async () => {
    const profile = structuredClone(loadProfile());
    profile.sbc.kind = 'external';
    const prompter = new ScriptedPrompter(['yes', 'yes', 'yes']);
    const adapter = genericAdapter(prompter);
    const g729 = { codecOrder: ['G729', 'PCMA', 'PCMU'] };
    const g723 = { codecOrder: ['G723', 'PCMA', 'PCMU'] };
    const first = await adapter.apply(g729, profile);
    const again = await adapter.apply(g729, profile);
    await adapter.apply(g723, profile);
    const back = await adapter.apply(g729, profile);
    expect(prompter.asked).toHaveLength(3);
    expect(first.unapplied).toEqual([]);
    expect(again.unapplied).toEqual([]);
    expect(again.answers).toEqual([]);
    expect(again.notes.join(' ')).toContain('still set by the engineer');
    expect(again.profile.sbc.codecOrder).toEqual(['G729', 'PCMA', 'PCMU']);
    expect(back.answers).toHaveLength(1);
  });

  it('asks again after the engineer could not set it', async () => {
    const profile = structuredClone(loadProfile());
    profile.sbc.kind = 'external';
    const prompter = new ScriptedPrompter(['no', 'yes']);
    const adapter = genericAdapter(prompter);
    const pre = { codecOrder: ['G729', 'PCMA'] };
    const refused = await adapter.apply(pre, profile);
    const second = await adapter.apply(pre, profile);
    expect(refused.unapplied.map((u) => u.key)).toEqual(['codecOrder']);
    expect(second.unapplied).toEqual([]);
    expect(prompter.asked).toHaveLength(2);
  });
});
