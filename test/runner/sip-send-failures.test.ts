/**
 * SIP of ours that could not leave this host (harness/runner/sip-send-failures.ts), on the
 * embedded SBC's lab: this host's own failure is told from one about where the message went;
 * a failed case names the second as the reason a message never reached the SBC, a passing case
 * is left as it is. The failures are real: a broadcast address without SO_BROADCAST (EACCES)
 * and closed sockets (ERR_SOCKET_DGRAM_NOT_RUNNING).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import {
  profileSbcHosts,
  runPlan,
  SipSendWatch,
  simulatorSipSenders,
  testCase,
} from '../../harness/runner/index.ts';
import { SipRequest, type SipSendFailure } from '../../harness/sip/index.ts';
import { closeSipSocketsUnder } from '../support/own-sip-failure.ts';

const labs: Lab[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const BROADCAST = { protocol: 'UDP' as const, address: '255.255.255.255', port: 5060 };
const settle = () => new Promise((r) => setTimeout(r, 30));

function options(callId: string): SipRequest {
  const m = new SipRequest('OPTIONS', 'sip:sbc@255.255.255.255');
  m.append('Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${callId}`);
  m.append('From', '<sip:a@h>;tag=s1');
  m.append('To', '<sip:sbc@h>');
  m.append('Call-ID', callId);
  m.append('CSeq', '1 OPTIONS');
  return m;
}

async function lab(): Promise<Lab> {
  const l = await Lab.start({ profile: loadProfile(), ephemeralPorts: true });
  labs.push(l);
  return l;
}

describe('SipSendWatch', () => {
  it('tells where a message went from this host’s own failure, per call, from its mark on', async () => {
    const l = await lab();
    const provider = l.provider!.ua.transport;
    provider.post(options('before-the-watch'), BROADCAST);
    await settle();
    const watch = new SipSendWatch(simulatorSipSenders(l), profileSbcHosts(l));
    provider.post(options('call-1'), BROADCAST);
    l.oxo!.ua.transport.post(options('call-2'), BROADCAST);
    await settle();
    expect(watch.own()).toEqual([]);
    expect(watch.elsewhere()).toEqual([
      'the provider simulator: OPTIONS sip:sbc@255.255.255.255 SIP/2.0 to 255.255.255.255:5060 over UDP not sent (EACCES)',
      'the OXO simulator: OPTIONS sip:sbc@255.255.255.255 SIP/2.0 to 255.255.255.255:5060 over UDP not sent (EACCES)',
    ]);
    expect(watch.elsewhere(new Set(['call-2']))).toEqual([expect.stringMatching(/^the OXO simulator: /)]);
    expect(watch.elsewhere(new Set(['another-call']))).toEqual([]);
    // A socket of ours that is closed: our own failure, never where the message went.
    closeSipSocketsUnder(l.oxo!.ua);
    l.oxo!.ua.transport.post(options('call-2'), { protocol: 'UDP', address: '127.0.0.1', port: 9 });
    await settle();
    expect(watch.own(new Set(['call-2']))).toEqual([
      'the OXO simulator: OPTIONS sip:sbc@255.255.255.255 SIP/2.0 to 127.0.0.1:9 over UDP not sent (ERR_SOCKET_DGRAM_NOT_RUNNING)',
    ]);
    expect(watch.elsewhere(new Set(['call-2']))).toHaveLength(1);
  });

  it('a name of the profile’s own SBC addresses that did not resolve is this host’s; another name is where it went', () => {
    const watch = new SipSendWatch([], new Set(['sbc.lab.example']));
    const f = (address: string, code: string): SipSendFailure => ({
      seq: 1,
      atMs: 0,
      code,
      protocol: 'UDP',
      address,
      port: 5060,
    });
    expect(watch.isOwn(f('SBC.lab.example', 'ENOTFOUND'))).toBe(true);
    expect(watch.isOwn(f('contact.sbc.example', 'ENOTFOUND'))).toBe(false);
    expect(watch.isOwn(f('sbc.lab.example', 'ECONNREFUSED'))).toBe(false);
    expect(watch.isOwn(f('10.0.0.1', 'ENOBUFS'))).toBe(true);
    expect(watch.isOwn(f('10.0.0.1', 'EMFILE'))).toBe(true);
    expect(watch.isOwn({ ...f('10.0.0.1', 'no UDP listener is configured'), harness: true })).toBe(true);
  });
});

describe('a case with SIP of ours that could not go where it had to', () => {
  const base = {
    profile: loadProfile(),
    profileFile: 'profiles/embedded.yaml',
    harnessVersion: 'test',
    quick: true,
    caseTimeoutMs: 10_000,
  };
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'sip-send-'));
    dirs.push(d);
    return d;
  };
  const sendsToBroadcast = (id: string, passes: boolean) =>
    testCase({
      id,
      section: '6.1',
      title: 'a message to a broadcast address',
      steps: ['the provider sends where nothing can go'],
      async run(ctx) {
        ctx.lab.provider!.ua.transport.post(options(`case-${id}`), BROADCAST);
        await settle();
        ctx.check.that('the case’s own check', passes, {
          expected: 'pass',
          observed: passes ? 'pass' : 'fail',
        });
      },
    });

  it('a failed case names it as a failed check: a NOK with the reason, not an ERROR', async () => {
    const r = await runPlan({ ...base, cases: [sendsToBroadcast('T-92', false)], outDir: tmp() });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('NOK');
    expect(cell.comment).toMatch(
      /Our SIP could not be sent where it had to go, so the SBC never got it \(the provider simulator: OPTIONS sip:sbc@255\.255\.255\.255 SIP\/2\.0 to 255\.255\.255\.255:5060 over UDP not sent \(EACCES\)\)/,
    );
  });

  it('a case that passed is left OK', async () => {
    const r = await runPlan({ ...base, cases: [sendsToBroadcast('T-93', true)], outDir: tmp() });
    const cell = r.results.cells[0]!;
    expect(cell.verdict).toBe('OK');
    expect(cell.checks.map((c) => c.name)).not.toContain('our SIP could be sent where it had to go');
  });
});
