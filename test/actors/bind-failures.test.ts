/**
 * Finding 2 of issue 15: a failed RTP port bind released nothing (the socket of a failed bind
 * stayed open, one file descriptor per attempt), and RTP ports came from 30000–59998, inside
 * Linux's ephemeral range (32768–60999). Every bind here fails for real, on a port another
 * socket of this test holds on loopback; the file descriptors of this process are counted
 * before and after.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SbcMediaEndpoint } from '../../harness/actors/sbc-media-endpoint.ts';
import { DEFAULT_RTP_PORT_RANGE, RtpSession } from '../../harness/media/rtp/index.ts';
import { ListenError, TransportLayer } from '../../harness/sip/index.ts';
import { systemClock } from '../../harness/support/clock.ts';

const ADDRESS = '127.0.89.1';
const held: Socket[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Binds a UDP socket on ADDRESS (0 = any free port) and keeps it until the test ends. */
async function hold(port: number): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, ADDRESS, () => resolve());
  });
  held.push(s);
  return s.address().port;
}

/** True when ADDRESS:port can be bound now (nothing of ours still holds it). */
async function free(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, ADDRESS, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      s.close();
    } catch {
      // never bound
    }
  }
}

/** An even port whose RTCP port (+1) this test holds: binding the pair fails on the RTCP half. */
async function pairWithRtcpTaken(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const rtcp = await hold(0);
    if (rtcp % 2 === 1 && (await free(rtcp - 1))) return rtcp - 1;
  }
  throw new Error('no odd ephemeral port with a free even one below it');
}

describe('RTP port binds release their sockets (issue 15, finding 2)', () => {
  it('the default RTP range lies outside the ephemeral ports of this host', () => {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const r = DEFAULT_RTP_PORT_RANGE;
    expect(r.max < (lo as number) || r.min > (hi as number), `${r.min}-${r.max} vs ${lo}-${hi}`).toBe(true);
  });

  it('RtpSession: a failed RTCP bind closes the RTP socket; no descriptor is left', async () => {
    const port = await pairWithRtcpTaken();
    const before = openFds();
    for (let i = 0; i < 40; i++) {
      await expect(
        RtpSession.open({ localAddress: ADDRESS, localPort: port, rtcpIntervalMs: 0 }),
      ).rejects.toThrow(/EADDRINUSE/);
    }
    expect(openFds(), 'descriptors after 40 failed binds').toBeLessThanOrEqual(before);
    expect(await free(port), 'the RTP port is free again').toBe(true);
  });

  it('RtpSession: a bad SRTP key after both binds closes both sockets', async () => {
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      await expect(
        RtpSession.open({
          localAddress: ADDRESS,
          rtcpIntervalMs: 0,
          srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: 'not base64!', remoteKey: 'x' },
        }),
      ).rejects.toThrow(/SRTP/);
    }
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('RtpSession picks its pair inside the default range', async () => {
    const sessions: RtpSession[] = [];
    try {
      for (let i = 0; i < 10; i++)
        sessions.push(await RtpSession.open({ localAddress: ADDRESS, rtcpIntervalMs: 0 }));
      for (const s of sessions) {
        expect(s.localPort % 2).toBe(0);
        expect(s.localPort).toBeGreaterThanOrEqual(DEFAULT_RTP_PORT_RANGE.min);
        expect(s.localRtcpPort).toBeLessThanOrEqual(DEFAULT_RTP_PORT_RANGE.max);
      }
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  });

  it('the SBC media endpoint: every failed attempt is released, then the error is thrown', async () => {
    const port = await pairWithRtcpTaken();
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      await expect(
        SbcMediaEndpoint.open({
          address: ADDRESS,
          clock: systemClock,
          name: 'lan',
          portRange: { min: port, max: port + 1 },
        }),
      ).rejects.toThrow(/EADDRINUSE/);
    }
    expect(openFds(), 'descriptors after 5×32 failed attempts').toBeLessThanOrEqual(before);
    expect(await free(port)).toBe(true);
    const ep = await SbcMediaEndpoint.open({ address: ADDRESS, clock: systemClock, name: 'wan' });
    try {
      expect(ep.localPort).toBeGreaterThanOrEqual(DEFAULT_RTP_PORT_RANGE.min);
      expect(ep.localPort + 1).toBeLessThanOrEqual(DEFAULT_RTP_PORT_RANGE.max);
    } finally {
      await ep.close();
    }
  });

  it('a SIP listener on a taken port: the error names protocol, address, port and code; nothing stays open', async () => {
    const port = await hold(0);
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      const t = new TransportLayer({
        listen: [
          { protocol: 'TCP', address: ADDRESS, port: 0 },
          { protocol: 'UDP', address: ADDRESS, port },
        ],
      });
      const err = await t.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ListenError);
      expect((err as ListenError).code).toBe('EADDRINUSE');
      expect((err as Error).message).toContain(`UDP ${ADDRESS}:${port}`);
    }
    // The TCP server closes asynchronously; give the loop a turn.
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBeLessThanOrEqual(before);
  });
});
