/**
 * `sbc-harness load`: its help, its refusals, and a small run against the embedded SBC with a
 * fault switched on, whose results.json and load-report.md name the failed calls.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../harness/runner/load-run.ts';
import { runCli } from '../support/run-cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('sbc-harness load', () => {
  it('--help names the options, the thresholds and what is not done', async () => {
    const { out } = await runCli(['load', '--help']);
    for (const o of [
      '--calls',
      '--concurrency',
      '--ramp',
      '--step-s',
      '--hold-s',
      '--direction',
      '--mix',
      '--duration-s',
      '--out',
      '--min-mos',
      '--max-setup-p95-ms',
      '--max-failed-calls',
      '--sbc-fault',
      '--sbc-personality',
    ])
      expect(out).toContain(o);
    expect(out).toMatch(/Not done yet/);
    expect(out).not.toMatch(/Not done yet.*call shapes/);
    for (const s of [
      'basic',
      'dtmf-rfc4733',
      'dtmf-inband',
      'dtmf-info',
      'hold',
      'transfer',
      'transfer-semi',
      'transfer-attended',
    ])
      expect(out).toMatch(new RegExp(`^  ${s}: `, 'm'));
  });

  it('refuses bad options with exit code 2 and a sentence', async () => {
    const r1 = await runCli(['load', '--calls', '0']);
    expect(r1.code).toBe(2);
    expect(r1.out).toMatch(/--calls must be/);
    const r2 = await runCli(['load', '--ramp', '2,4']);
    expect(r2.code).toBe(2);
    expect(r2.out).toMatch(/--step-s/);
    const r3 = await runCli(['load', '--direction', 'sideways']);
    expect(r3.code).toBe(2);
    const r4 = await runCli(['load', '--mix', 'basic:2,fax:1']);
    expect(r4.code).toBe(2);
    expect(r4.out).toMatch(/unknown shape "fax"/);
    // The default profile's OXO has no SIP INFO: it cannot be the one sending INFO digits.
    const r5 = await runCli(['load', '--mix', 'dtmf-info', '--direction', 'out']);
    expect(r5.code).toBe(2);
    expect(r5.out).toMatch(/oxo\.dtmf\.info: false/);
    // An unknown fault is refused before the run's header is printed or its folder is made.
    const none = join(mkdtempSync(join(tmpdir(), 'load-fault-')), 'never');
    dirs.push(dirname(none));
    const r6 = await runCli(['load', '--sbc-fault', 'no-such-fault', '--out', none]);
    expect(r6.code).toBe(2);
    expect(r6.out).toMatch(/unknown SBC fault "no-such-fault"; known faults: /);
    expect(r6.out).not.toMatch(/call\(s\), concurrency/);
    expect(existsSync(none)).toBe(false);
    // So is an unknown personality, and one for an SBC the harness does not play.
    const r7 = await runCli(['load', '--sbc-personality', 'no-such-one', '--out', none]);
    expect(r7.code).toBe(2);
    expect(r7.out).toMatch(/unknown SBC personality "no-such-one"; known personalities: .*hold-local/);
    const r8 = await runCli([
      'load',
      '--profile',
      join(ROOT, 'profiles/kamailio-alt.yaml'),
      '--sbc-personality',
      'hold-local',
      '--out',
      none,
    ]);
    expect(r8.code).toBe(2);
    expect(r8.out).toMatch(/--sbc-personality applies to the embedded SBC only/);
    expect(existsSync(none)).toBe(false);
  });

  it('--sbc-personality: the embedded SBC plays the legal behaviours named, every call still passes, and results.json and the report name them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'load-pers-'));
    dirs.push(out);
    const r = await runCli([
      'load',
      '--calls',
      '2',
      '--concurrency',
      '2',
      '--hold-s',
      '2',
      '--mix',
      'hold:1',
      '--sbc-personality',
      'hold-local',
      'update-for-hold',
      '--out',
      out,
    ]);
    expect(r.out).toMatch(/SBC embedded \(ephemeral ports; personalities: hold-local, update-for-hold\)/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as LoadResult;
    expect(res.sbc.personality).toEqual(['hold-local', 'update-for-hold']);
    // Both are legal (docs/sbc-personalities.md): neither fails a call.
    expect(res.calls.map((c) => c.failures)).toEqual([[], []]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'load-report.md'), 'utf8')).toMatch(
      /personalities: hold-local, update-for-hold/,
    );
  });

  it("prints the profile's warnings, as run does: an embedded SBC that offers plain RTP to a provider requiring SRTP", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'load-warn-'));
    dirs.push(dir);
    const file = join(dir, 'srtp.yaml');
    const base = readFileSync(join(ROOT, 'profiles/embedded.yaml'), 'utf8');
    writeFileSync(file, base.replace(/\n {2}srtp: false/, '\n  srtp: true'));
    const r = await runCli([
      'load',
      '--profile',
      file,
      '--calls',
      '1',
      '--concurrency',
      '1',
      '--hold-s',
      '1',
      '--out',
      join(dir, 'out'),
    ]);
    expect(r.out).toMatch(
      /^sbc-harness load: .*srtp\.yaml: provider\.srtp: true with sbc\.srtpTowardProvider: false/m,
    );
    // And the calls then fail as the warning says.
    const res = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as LoadResult;
    expect(res.calls[0]?.status).toBe(488);
  });

  it('--mix with a fault that breaks the hold: the per-shape line, results.json and the report name it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'load-mix-'));
    dirs.push(out);
    const r = await runCli([
      'load',
      '--calls',
      '2',
      '--concurrency',
      '2',
      '--hold-s',
      '1',
      '--mix',
      'basic:1,hold:1',
      '--sbc-fault',
      'reject-reinvite',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/mix basic:1,hold:1/);
    expect(r.out).toMatch(/per shape: basic 1 call\(s\), \d failed; hold 1 call\(s\), 1 failed/);
    expect(r.out).toMatch(/worst: call \d hold .*answered 488/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as LoadResult;
    expect(res.options.mix).toEqual({ basic: 1, hold: 1 });
    expect(res.calls.map((c) => c.shape).sort()).toEqual(['basic', 'hold']);
    expect(res.shapes.hold?.failedCalls).toBe(1);
    const md = readFileSync(join(out, 'load-report.md'), 'utf8');
    expect(md).toContain('| hold | 1 | 1 |');
  });

  it('a one-way-audio fault: exit 1, the failed calls in results.json and the report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'load-cli-'));
    dirs.push(out);
    const r = await runCli([
      'load',
      '--calls',
      '2',
      '--concurrency',
      '2',
      '--hold-s',
      '1',
      '--direction',
      'out',
      '--sbc-fault',
      'one-way-audio',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/step 1\/1 target 2|2 call\(s\), 2 failed/);
    expect(r.out).toMatch(/worst: call \d .*No audio from Premium Deskphone/);
    // The console says why the step missed, not only that it did.
    expect(r.out).toMatch(/^ {2}step 1 \(target 2\) missed: .*2 failed call/m);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as LoadResult;
    expect(res.schema).toBe('sbc-harness/load-results@1');
    expect(res.sbc.faults).toEqual(['one-way-audio']);
    // The SBC is named as the profile names it: a capacity figure traces back to a device.
    expect(res.sbc).toMatchObject({
      kind: 'embedded',
      model: 'sbc-harness reference SBC',
      profile: 'embedded',
    });
    expect(res.total.failedCalls).toBe(2);
    expect(res.knee).toBeUndefined();
    expect(readFileSync(join(out, 'load-chart.svg'), 'utf8')).toMatch(/^<svg /);
    const md = readFileSync(join(out, 'load-report.md'), 'utf8');
    expect(md).toMatch(/No step met every threshold/);
    expect(md).toMatch(/No audio from Premium Deskphone/);
    expect(md).toMatch(
      /^SBC: embedded \(sbc-harness reference SBC\) \(profile embedded; faults switched on: one-way-audio\);/m,
    );
  });

  it("takes the thresholds from the profile's load section, and a flag overrides one", async () => {
    const out = mkdtempSync(join(tmpdir(), 'load-thresholds-'));
    dirs.push(out);
    const profile = join(out, 'profile.yaml');
    writeFileSync(
      profile,
      `${readFileSync(join(ROOT, 'profiles', 'embedded.yaml'), 'utf8')}\nload:\n  minMos: 4.2\n  maxSetupP95Ms: 2500\n  maxFailedCalls: 3\n`,
    );
    const args = ['load', '--profile', profile, '--calls', '2', '--concurrency', '2', '--hold-s', '1'];
    await runCli([...args, '--sbc-fault', 'one-way-audio', '--out', join(out, 'a')]);
    const a = JSON.parse(readFileSync(join(out, 'a', 'results.json'), 'utf8')) as LoadResult;
    expect(a.thresholds).toEqual({ minMos: 4.2, maxSetupP95Ms: 2500, maxFailedCalls: 3 });
    await runCli([
      ...args,
      '--max-failed-calls',
      '1',
      '--sbc-fault',
      'one-way-audio',
      '--out',
      join(out, 'b'),
    ]);
    const b = JSON.parse(readFileSync(join(out, 'b', 'results.json'), 'utf8')) as LoadResult;
    expect(b.thresholds).toEqual({ minMos: 4.2, maxSetupP95Ms: 2500, maxFailedCalls: 1 });
  });

  it('Ctrl-C: no new calls, the calls in flight finish, results written, exit 130', {
    timeout: 60_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'load-int-'));
    dirs.push(out);
    const bin = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [bin, 'load', '--calls', '1000', '--concurrency', '2', '--hold-s', '1', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    let sent = false;
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
      // Once a call has finished, interrupt.
      if (!sent && /done [1-9]/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearTimeout(killer);
    expect(sent).toBe(true);
    expect(code).toBe(130);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as LoadResult;
    expect(res.stoppedBy).toBe('interrupted');
    expect(res.calls.length).toBeGreaterThan(0);
    expect(res.calls.length).toBeLessThan(1000);
    for (const c of res.calls) expect(c.endMs).toBeDefined();
  });
});
