/**
 * The personality table of the embedded SBC (legal behaviour switches) kept equal to its docs,
 * to the tolerance table and to the CLI help, and kept apart from the fault switches. That
 * each personality is on the wire and leaves the plan OK is test/scenarios/personalities.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LabConfigError, personalityNames } from '../../harness/actors/lab.ts';
import { parseSbcConfig } from '../../harness/actors/sbc-config.ts';
import { SBC_FAULTS } from '../../harness/actors/sbc-faults.ts';
import { SBC_PERSONALITIES } from '../../harness/actors/sbc-personalities.ts';
import { personalityHelp } from '../../harness/cli/main.ts';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

describe('SBC personalities', () => {
  it('docs/sbc-personalities.md has exactly one table row and one section per personality, equal to the table', () => {
    const doc = read('docs/sbc-personalities.md');
    const rows = doc.split('\n').filter((l) => /^\| `[a-z0-9-]+` \|/.test(l));
    expect(rows).toEqual(SBC_PERSONALITIES.map((p) => `| \`${p.name}\` | ${p.summary} | ${p.reference} |`));
    for (const p of SBC_PERSONALITIES) {
      expect(doc).toContain(`## ${p.name}\n\n${p.summary}`);
      expect(doc).toContain(`**On the wire:** ${p.onTheWire}`);
    }
  });

  it('docs/tolerances.md names every personality, and the run help lists them', () => {
    const tolerances = read('docs/tolerances.md');
    const help = personalityHelp();
    for (const p of SBC_PERSONALITIES) {
      expect(tolerances, p.name).toContain(`\`${p.name}\``);
      expect(help, p.name).toContain(`  ${p.name} `);
      expect(help, p.name).toContain(p.summary);
    }
  });

  it('no personality shares a name with a fault switch', () => {
    const faults = new Set<string>(SBC_FAULTS.map((f) => f.name));
    for (const p of SBC_PERSONALITIES) expect(faults.has(p.name), p.name).toBe(false);
  });

  it('an unknown personality is refused with the known names; known ones pass through', () => {
    expect(personalityNames(['ruri-did', 'te-pt-96'])).toEqual(['ruri-did', 'te-pt-96']);
    expect(() => personalityNames(['one-way-audio'])).toThrow(LabConfigError);
    expect(() => personalityNames(['nope'])).toThrow(
      /unknown SBC personality "nope"; known personalities: rechallenge/,
    );
    const base = {
      lan: { address: '127.0.0.1', trunk: { username: 'u', password: 'p' } },
      wan: {
        address: '127.0.0.1',
        provider: { address: '127.0.0.1', domain: 'd' },
        line: { username: 'l', password: 'p' },
      },
    };
    const good = parseSbcConfig({ ...base, personalities: ['ssrc-change'] });
    expect(good.ok && good.config.personalities).toEqual(['ssrc-change']);
    const none = parseSbcConfig(base);
    expect(none.ok && none.config.personalities).toEqual([]);
    const bad = parseSbcConfig({ ...base, personalities: ['strip-telephone-event'] });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.issues.join('\n')).toMatch(/^personalities\.0:/);
  });
});
