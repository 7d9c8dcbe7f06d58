/**
 * Audio from another call, told by the loudness marks of the audio check's tones
 * (harness/runner/checks.ts): through the embedded SBC with fault cross-media, two calls up at
 * once, each provider phone hears the other call's extension. Two checks with the same seeds
 * (the plan's own: every Checks starts at the same one) play the same marked tone, the second
 * 400 ms after the first and inside it: the later call's phone then hears its extension's marks
 * 400 ms before they were sent, which no audio can do (a failure naming it, not a measured
 * delay). The same two checks without the fault pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Call, Lab } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { Checks } from '../../harness/runner/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function twoCalls(faults: string[]) {
  const lab = await Lab.start({ profile: loadProfile(), ephemeralPorts: true, faults });
  labs.push(lab);
  const legs: Array<{ pstn: Call; desk: Call }> = [];
  for (const [phone, ext] of [
    ['pstn1', 'deskphone1'],
    ['pstn2', 'deskphone2'],
  ] as const) {
    const e = lab.oxo!.extension(ext);
    const incoming = e.nextIncoming();
    const pstn = await lab.provider!.phone(phone).call(e.did);
    expect(await pstn.established()).toBe(true);
    const desk = await incoming;
    expect(await desk.established()).toBe(true);
    legs.push({ pstn, desk });
  }
  await sleep(300);
  return legs;
}

/** The audio check of the plan on both calls, the second started 400 ms after the first. */
async function checkBoth(legs: Array<{ pstn: Call; desk: Call }>) {
  const checks = legs.map(() => new Checks(systemClock));
  const run = legs.map(async ({ pstn, desk }, i) => {
    // The second check lies inside the first: its phone hears the first call's tone throughout.
    if (i > 0) await sleep(400);
    await checks[i]!.audio(
      { call: pstn, name: `pstn${i + 1}` },
      { call: desk, name: `desk${i + 1}` },
      { ms: i === 0 ? 2500 : 1500 },
    );
  });
  await Promise.all(run);
  return checks.map((c) => c.failed.map((f) => f.failure ?? f.name));
}

describe('audio from another call, by its marks', () => {
  it('heard before it was sent: a failure that says so, not a delay', async () => {
    const failures = await checkBoth(await twoCalls(['cross-media']));
    expect(failures[1]!.join('\n')).toMatch(
      /^The audio pstn2 heard is not desk2's: it matches desk2's tone (3\d\d|4\d\d) ms before desk2 sent it, and audio never arrives before it leaves/m,
    );
    // The earlier call's phone heard the later one's tone, over before its own check ended.
    expect(failures[0]!.join('\n')).toMatch(/^No audio from desk1 reached pstn1/m);
  });

  it('the same checks without the fault pass', async () => {
    const failures = await checkBoth(await twoCalls([]));
    expect(failures).toEqual([[], []]);
  });
});
