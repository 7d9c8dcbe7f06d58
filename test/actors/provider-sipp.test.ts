/**
 * The provider simulator against SIPp as the SBC: SIPp registers the line with -au/-ap
 * (challenged, then accepted; a wrong password is refused), and SIPp's built-in uac calls a
 * PSTN phone's number and is answered (180, 200, ACK, BYE).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Provider } from '../../harness/actors/provider.ts';
import { describeWithPeers } from '../support/peers.ts';
import { describeSipp, freePort, startSipp } from '../support/sipp.ts';

const PROVIDER = '127.0.10.1';
const SIPP = '127.0.10.2';
const TIMERS = { t1: 100, t2: 800, t4: 1000 };

const REGISTER_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="line registration with digest">
  <send retrans="500">
    <![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:line1@provider.test>;tag=[call_number]
To: <sip:line1@provider.test>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:line1@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 300
Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:line1@provider.test>;tag=[call_number]
To: <sip:line1@provider.test>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:line1@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Expires: 300
Content-Length: 0

    ]]>
  </send>
  <recv response="[$expected]" />
</scenario>
`;

const started: Array<{ stop(): Promise<void> }> = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function provider(): Promise<Provider> {
  const p = await Provider.start({
    address: PROVIDER,
    lines: [{ username: 'line1', password: 'sipp-secret' }],
    timers: TIMERS,
  });
  started.push(p);
  return p;
}

function scenario(expected: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'provider-sipp-'));
  dirs.push(dir);
  const file = join(dir, 'register.xml');
  writeFileSync(file, REGISTER_SCENARIO.replace('[$expected]', String(expected)));
  return file;
}

describeWithPeers(['sipp'], 'provider simulator with SIPp', () => {
  it('SIPp registers the line with -au/-ap: challenged, then accepted and bound', async () => {
    const p = await provider();
    const sipp = startSipp({
      scenario: scenario(200),
      transport: 'UDP',
      localIp: SIPP,
      localPort: await freePort(SIPP, 'UDP'),
      remote: `${PROVIDER}:${p.port()}`,
      extraArgs: ['-au', 'line1', '-ap', 'sipp-secret'],
    });
    const r = await sipp.done;
    expect(r.code, describeSipp(r)).toBe(0);
    expect(p.registrations.map((x) => [x.status, x.verdict])).toEqual([
      [401, 'no-credentials'],
      [200, 'ok'],
    ]);
    expect(p.registrations[1]?.expires).toBe(300);
    expect(p.registered('line1')[0]?.contact).toContain(SIPP);
  });

  it('SIPp with a wrong password is refused (403) and not bound', async () => {
    const p = await provider();
    const sipp = startSipp({
      scenario: scenario(403),
      transport: 'UDP',
      localIp: SIPP,
      localPort: await freePort(SIPP, 'UDP'),
      remote: `${PROVIDER}:${p.port()}`,
      extraArgs: ['-au', 'line1', '-ap', 'not-it'],
    });
    const r = await sipp.done;
    expect(r.code, describeSipp(r)).toBe(0);
    expect(p.registrations.map((x) => x.verdict)).toEqual(['no-credentials', 'wrong-password']);
    expect(p.registered('line1')).toHaveLength(0);
  });

  it("SIPp's uac calls a PSTN phone's number and is answered", async () => {
    const p = await provider();
    const phone = p.addPhone({ id: 'pstn1', number: '4930123456', displayName: 'PSTN one' });
    const sipp = startSipp({
      scenario: 'uac',
      transport: 'UDP',
      localIp: SIPP,
      localPort: await freePort(SIPP, 'UDP'),
      remote: `${PROVIDER}:${p.port()}`,
      extraArgs: ['-s', '4930123456', '-d', '200'],
    });
    const call = await phone.nextIncoming();
    expect(await call.established()).toBe(true);
    expect(call.requestUser).toBe('4930123456');
    await call.ended();
    expect(call.state).toBe('ended');
    const r = await sipp.done;
    expect(r.code, describeSipp(r)).toBe(0);
    expect(r.messages).toMatch(/SIP\/2\.0 200 OK/);
    expect(p.routes).toEqual([expect.objectContaining({ requestUser: '4930123456', routedTo: 'pstn1' })]);
  });
});
