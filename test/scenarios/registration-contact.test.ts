/**
 * T-3 judges the registered Contact by RFC 3261 §19.1.1 and RFC 3263: an SBC that registers
 * with a host name (a real SBC's FQDN setting, here the embedded SBC's `sbc.wan.contactHost`)
 * holds a binding to its WAN address when the name resolves to it, and calls still cross it; a
 * name that resolves elsewhere is NOK, and one that cannot be resolved here is not judged.
 * Names used: "localhost" only (the hosts file), so no DNS query leaves the machine.
 */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../harness/config/profile.ts';
import { contactAt, contactHostOf } from '../../scenarios/contact-host.ts';
import { quickPlanCells } from '../support/quick-plan.ts';

function run(only: string, wan: string, contactHost: string) {
  const profile = loadProfile();
  profile.sbc.wan.address = wan;
  profile.sbc.wan.contactHost = contactHost;
  return quickPlanCells(only, { profile });
}

describe('T-3 and a Contact with a host name', () => {
  it('a name that resolves to the WAN address: T-3 OK, and calls in both directions still cross the SBC', {
    timeout: 120_000,
  }, async () => {
    const cells = await run('T-3,8-3-2,8-1-1', '127.0.0.1', 'localhost');
    const t3 = cells.get('T-3');
    expect(t3?.verdict, t3?.comment).toBe('OK');
    const binding = t3?.checks.find((c) => c.name.startsWith('the provider holds a binding'));
    expect(binding?.observed).toMatch(
      /^<?sip:\+4930123456@localhost:\d+>?.*\(localhost resolves to [^)]*127\.0\.0\.1/,
    );
    for (const id of ['8-3-2', '8-1-1'])
      expect(cells.get(id)?.verdict, `${id}: ${cells.get(id)?.comment}`).toBe('OK');
  });

  it('a name that resolves elsewhere: T-3 NOK, naming what it resolves to', {
    timeout: 120_000,
  }, async () => {
    const cells = await run('T-3', '127.0.10.2', 'localhost');
    const t3 = cells.get('T-3');
    expect(t3?.verdict).toBe('NOK');
    expect(t3?.comment).toMatch(
      /registered contact .*localhost.* \(localhost resolves to [^)]*127\.0\.0\.1[^)]*\), not its WAN address 127\.0\.10\.2/,
    );
  });

  it('contactAt: an address in any spelling, a name not resolved here is not judged', async () => {
    const none = async () => {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    expect(contactHostOf('<sip:+49301@[2001:db8::1]:5060;transport=tcp>')).toBe('2001:db8::1');
    expect(contactHostOf('sips:sbc.example.com;ob')).toBe('sbc.example.com');
    expect(contactHostOf('"SBC <main>" <sip:+49301@SBC.Example.com:5061;transport=tls>')).toBe(
      'SBC.Example.com',
    );
    // A user part may hold ";" (RFC 3261 §25.1, user-unreserved): the host is what follows "@".
    expect(contactHostOf('<sip:1.2.3.4;x=a@b.example>')).toBe('b.example');
    expect(contactHostOf('*')).toBeUndefined();
    expect((await contactAt('<sip:u@[2001:DB8:0:0::1]:5060>', '2001:db8::1', none)).verdict).toBe('same');
    expect((await contactAt('<sip:u@127.0.10.3:5060>', '127.0.10.2', none)).verdict).toBe('other');
    expect(await contactAt('<sip:u@sbc.example.com:5060>', '127.0.10.2', none)).toEqual({
      verdict: 'unresolved',
      host: 'sbc.example.com',
      why: 'ENOTFOUND',
    });
    expect(
      (await contactAt('<sip:u@sbc.example.com>', '127.0.10.2', async () => ['127.0.10.9', '127.0.10.2']))
        .verdict,
    ).toBe('same');
    expect((await contactAt('<tel:+4930123456>', '127.0.10.2', none)).verdict).toBe('unreadable');
  });
});
