/**
 * A lab whose actors run on their own (`sbc-harness sim`, `sbc`, the wire fuzz): Lab.keepStandalone
 * bounds what nobody takes. Over the wire on loopback: REGISTERs sent to the provider simulator
 * leave at most STANDALONE_RECORDS records, while its running totals count every one; the media
 * evidence keeps at most STANDALONE_MEDIA_LEGS legs; and stopping the lab stops the trimming.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab, STANDALONE_MEDIA_LEGS, STANDALONE_RECORDS } from '../../harness/actors/lab.ts';
import { MediaEvidence } from '../../harness/actors/media-evidence.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { until } from '../support/sbc-rig.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

function register(i: number, host: string, port: number): string {
  return [
    `REGISTER sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-standalone-${i}`,
    'Max-Forwards: 70',
    `From: <sip:someone${i}@${host}>;tag=f${i}`,
    `To: <sip:someone${i}@${host}>`,
    `Call-ID: standalone-${i}@127.0.0.1`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:someone${i}@127.0.0.1:5999>`,
    'Expires: 60',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A provider-only lab on ephemeral ports that has answered `n` REGISTERs from 127.0.0.1. */
async function labAfterRegisters(n: number, standalone: boolean): Promise<Lab> {
  const lab = await Lab.start({
    profile: loadProfile(),
    only: ['provider'],
    register: false,
    ephemeralPorts: true,
  });
  labs.push(lab);
  const provider = lab.provider;
  if (!provider) throw new Error('no provider');
  if (standalone) lab.keepStandalone({ trimEveryMs: 200 });
  const host = lab.profile.provider.address;
  const port = provider.port('UDP');
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    for (let i = 0; i < n; i++) {
      sock.send(register(i, host, port), port, host);
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 20));
    }
    // Every REGISTER is answered (a challenge) and counted.
    await until(() => provider.counts.register >= n, 10_000);
  } finally {
    sock.close();
  }
  return lab;
}

describe('a standalone lab keeps little', () => {
  it('trims the provider records to the latest STANDALONE_RECORDS and keeps the totals', async () => {
    const n = STANDALONE_RECORDS + 60;
    const provider = (await labAfterRegisters(n, true)).provider;
    if (!provider) throw new Error('no provider');
    expect(provider.counts.register).toBe(n);
    expect(provider.counts.registerAccepted).toBe(0);
    await until(() => provider.registrations.length <= STANDALONE_RECORDS, 5000);
    expect(provider.registrations.length).toBe(STANDALONE_RECORDS);
    // The latest ones are kept.
    expect(provider.registrations.at(-1)?.callId).toBe(`standalone-${n - 1}@127.0.0.1`);
  });

  it('without keepStandalone, a lab keeps every record (a run reads them)', async () => {
    const n = STANDALONE_RECORDS + 20;
    const provider = (await labAfterRegisters(n, false)).provider;
    if (!provider) throw new Error('no provider');
    await new Promise((r) => setTimeout(r, 300));
    expect(provider.registrations.length).toBe(n);
  });

  it('media evidence forgets the oldest legs past its limit', () => {
    const ev = new MediaEvidence({ maxLegs: 100 });
    for (let i = 0; i < 20; i++) ev.track({ name: `leg${i}`, evidence: () => [] });
    expect(ev.tracked).toBe(20);
    ev.limit(STANDALONE_MEDIA_LEGS);
    expect(ev.tracked).toBe(STANDALONE_MEDIA_LEGS);
    expect(ev.forgotten).toBe(20 - STANDALONE_MEDIA_LEGS);
    ev.track({ name: 'one more', evidence: () => [] });
    expect(ev.tracked).toBe(STANDALONE_MEDIA_LEGS);
  });
});
