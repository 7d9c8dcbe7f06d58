import { afterEach, describe, expect, it } from 'vitest';
import type { Encoder } from '../../codecs/codec.ts';
import { readCapture } from '../../harness/media/capture/index.ts';
import {
  evidenceToPcap,
  formatInlineKey,
  type PayloadFormat,
  RtpSession,
  type RtpSessionOptions,
  randomKeyMaterial,
  SendClock,
} from '../../harness/media/rtp/index.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

/** Test codec: one byte per sample (low byte), decoded back to the byte value + 1. */
const encoder: Encoder = { encode: (pcm) => Uint8Array.from(pcm, (s) => s & 0xff) };
const payloadMap = (): Map<number, PayloadFormat> =>
  new Map([
    [8, { name: 'PCMA', clockRate: 8000, decoder: { decode: (p) => Int16Array.from(p, (b) => b + 1) } }],
  ]);

const sessions: RtpSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function open(o: RtpSessionOptions): Promise<RtpSession> {
  const s = await RtpSession.open({ rtcpIntervalMs: 0, payloadMap: payloadMap(), ...o });
  sessions.push(s);
  return s;
}

/** Polls until `cond` holds; bounded to ~5 s of real time. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Plays `packets` of 20 ms on a virtual send clock (packets leave immediately, in order). */
function play(from: RtpSession, vc: VirtualClock, packets: number): void {
  let n = 0;
  from.startAudio({
    encoder,
    payloadType: 8,
    clockRate: 8000,
    ptimeMs: 20,
    next: (k) => (n++ < packets ? new Int16Array(k).fill(n) : null),
  });
  for (let i = 0; i <= packets; i++) vc.advance(20);
}

describe('RtpSession on loopback', () => {
  it('sends audio on the send clock, receives and decodes it, and exchanges SR/RR on port+1', async () => {
    const vc = new VirtualClock();
    const sendClock = new SendClock(vc);
    const a = await open({ localAddress: '127.0.0.1', sendClock });
    const b = await open({ localAddress: '127.0.0.2' });
    expect(a.localRtcpPort).toBe(a.localPort + 1);
    a.setRemote('127.0.0.2', b.localPort);
    b.setRemote('127.0.0.1', a.localPort);
    play(a, vc, 50);
    await until(() => (b.receiver.stream(a.ssrc)?.received ?? 0) >= 50);
    const st = b.receiver.stream(a.ssrc)!;
    expect(st.received).toBe(50);
    expect(st.lost).toBe(0);
    expect(st.markers).toBe(1);
    const audio = b.receiver.audio(a.ssrc)!;
    expect(audio.pcm.length).toBe(50 * 160);
    expect(audio.pcm[0]).toBe(2);
    expect(audio.pcm[49 * 160]).toBe(51);
    expect(a.counters.rtpPackets).toBe(50);

    expect(a.sendRtcpReport()).toBe(true);
    await until(() => b.rtcpReceived.length > 0);
    const sr = b.rtcpReceived[0]!.items[0]!;
    expect(sr.type).toBe('sr');
    if (sr.type === 'sr') expect(sr.sender.packetCount).toBe(50);
    expect(b.sendRtcpReport()).toBe(true);
    await until(() => a.rtcpReceived.length > 0);
    const rr = a.rtcpReceived[0]!.items[0]!;
    expect(rr.type).toBe('rr');
    if (rr.type === 'rr') {
      expect(rr.reports[0]!.ssrc).toBe(a.ssrc);
      expect(rr.reports[0]!.highestSequence).toBe(st.extendedHighestSeq);
      expect(rr.reports[0]!.lsr).not.toBe(0);
    }
  });

  it('follows a changed remote address (re-INVITE) and keeps bounded evidence that writes a valid pcap', async () => {
    const vc = new VirtualClock();
    const sendClock = new SendClock(vc);
    const a = await open({ localAddress: '127.0.0.1', sendClock, maxEvidence: 15 });
    const b = await open({ localAddress: '127.0.0.2' });
    const c = await open({ localAddress: '127.0.0.3', rtcpMux: true });
    a.setRemote('127.0.0.2', b.localPort);
    play(a, vc, 10);
    a.setRemote('127.0.0.3', c.localPort);
    play(a, vc, 10);
    await until(
      () =>
        (b.receiver.stream(a.ssrc)?.received ?? 0) >= 10 && (c.receiver.stream(a.ssrc)?.received ?? 0) >= 10,
    );
    expect(b.receiver.stream(a.ssrc)?.received).toBe(10);
    expect(c.receiver.stream(a.ssrc)?.received).toBe(10);
    expect(a.evidence.records.length).toBe(15);
    expect(a.evidence.dropped).toBe(5);
    expect(a.evidence.records[14]!.dst).toEqual({ address: '127.0.0.3', port: c.localPort });
    const pcap = readCapture(evidenceToPcap(c.evidence.records).toBuffer());
    expect(pcap.frames.length).toBe(c.evidence.records.length);
  });

  it('SRTP (AES_CM_128_HMAC_SHA1_32) over IPv6 with rtcp-mux; a replayed packet is rejected and counted', async () => {
    const vc = new VirtualClock();
    const sendClock = new SendClock(vc);
    const ka = formatInlineKey(randomKeyMaterial());
    const kb = formatInlineKey(randomKeyMaterial());
    const suite = 'AES_CM_128_HMAC_SHA1_32' as const;
    const a = await open({
      localAddress: '::1',
      rtcpMux: true,
      sendClock,
      srtp: { suite, localKey: ka, remoteKey: kb },
    });
    const b = await open({
      localAddress: '::1',
      rtcpMux: true,
      srtp: { suite, localKey: kb, remoteKey: ka },
    });
    a.setRemote('::1', b.localPort);
    b.setRemote('::1', a.localPort);
    play(a, vc, 20);
    await until(() => (b.receiver.stream(a.ssrc)?.received ?? 0) >= 20);
    expect(b.receiver.stream(a.ssrc)?.received).toBe(20);
    expect(b.receiver.audio(a.ssrc)?.pcm[160]).toBe(3);
    const wire = a.evidence.records.find((r) => r.channel === 'rtp')!.bytes;
    expect(wire.length).toBe(12 + 160 + 4);
    const lastSent = a.evidence.records.filter((r) => r.channel === 'rtp').at(-1)!.bytes;
    a.sendRawDatagram(wire);
    // A later, unseen sequence number (so not a replay) with the old tag: fails authentication.
    const tampered = lastSent.slice();
    const view = new DataView(tampered.buffer);
    view.setUint16(2, (view.getUint16(2) + 5) & 0xffff);
    a.sendRawDatagram(tampered);
    a.sendRtcpReport();
    await until(
      () =>
        b.receiver.counters.srtpReplayed >= 1 &&
        b.receiver.counters.srtpAuthFailed >= 1 &&
        b.rtcpReceived.length >= 1,
    );
    expect(b.receiver.counters).toMatchObject({ accepted: 20, srtpReplayed: 1, srtpAuthFailed: 1 });
    expect(b.rtcpReceived[0]!.items[0]!.type).toBe('sr');
    expect(b.counters.rtcpRejected).toBe(0);
  });

  it('sends RTCP reports on its own timer (randomised 0.5–1.5 × interval)', async () => {
    const vc = new VirtualClock();
    const a = await open({ localAddress: '127.0.0.1', clock: vc, rtcpIntervalMs: 1000 });
    const b = await open({ localAddress: '127.0.0.2' });
    a.setRemote('127.0.0.2', b.localPort);
    vc.advance(499);
    expect(a.counters.rtcpPackets).toBe(0);
    vc.advance(1001);
    // By 1.5 s the first report (due at 0.5–1.5 s) has gone; a second one can too (due 0.5–1.5 s later).
    expect(a.counters.rtcpPackets).toBeGreaterThanOrEqual(1);
    expect(a.counters.rtcpPackets).toBeLessThanOrEqual(2);
    vc.advance(1500 * 9);
    expect(a.counters.rtcpPackets).toBeGreaterThanOrEqual(10);
    expect(a.counters.rtcpPackets).toBeLessThanOrEqual(30);
    await until(() => b.rtcpReceived.length >= a.counters.rtcpPackets);
    expect(b.rtcpReceived.length).toBe(a.counters.rtcpPackets);
    expect(b.rtcpReceived[0]!.items[0]!.type).toBe('rr');
  });

  it('counts a send without a remote instead of throwing', async () => {
    const a = await open({ localAddress: '127.0.0.4' });
    expect(a.sendPayload({ payloadType: 0, payload: new Uint8Array(10) })).toBe(false);
    expect(a.counters.sendErrors).toBe(1);
  });

  it('counts a datagram its own socket refuses, with its code: a packet it never sent is not read as lost by the far side', async () => {
    const a = await open({ localAddress: '127.0.0.4' });
    const b = await open({ localAddress: '127.0.0.5' });
    a.setRemote('127.0.0.5', b.localPort);
    // Larger than a UDP datagram can be: the kernel refuses it (EMSGSIZE), in the completion.
    expect(a.sendPayload({ payloadType: 0, payload: new Uint8Array(70_000) })).toBe(true);
    await until(() => a.counters.sendFailures >= 1);
    expect(a.lastSendFailure).toBe('EMSGSIZE');
    // The socket closed under the session: Node throws at once; neither logged as sent nor counted.
    const logged = a.evidence.records.length;
    const packets = a.counters.rtpPackets;
    (a as unknown as { rtpSock: { close(): void } }).rtpSock.close();
    expect(a.sendPayload({ payloadType: 0, payload: new Uint8Array(160) })).toBe(false);
    expect(a.counters.sendFailures).toBe(2);
    expect(a.counters.sendErrors).toBe(2);
    expect(a.counters.unreachable).toBe(0);
    expect(a.lastSendFailure).toBe('ERR_SOCKET_DGRAM_NOT_RUNNING');
    expect(a.evidence.records.length).toBe(logged);
    expect(a.counters.rtpPackets).toBe(packets);
  });

  it('an RTCP report of ours that did not leave is a send error but not a failure of our media', async () => {
    const a = await open({ localAddress: '127.0.0.4' });
    const b = await open({ localAddress: '127.0.0.5' });
    a.setRemote('127.0.0.5', b.localPort);
    (a as unknown as { rtcpSock: { close(): void } }).rtcpSock.close();
    expect(a.sendRtcpReport()).toBe(false);
    expect(a.counters.sendErrors).toBe(1);
    expect(a.counters.sendFailures).toBe(0);
    expect(a.lastSendFailure).toBeUndefined();
    // RTP still goes.
    expect(a.sendPayload({ payloadType: 0, payload: new Uint8Array(160) })).toBe(true);
    await until(() => b.receiver.counters.datagrams >= 1);
    expect(a.counters.sendFailures).toBe(0);
  });

  it('counts apart a datagram that could not go where the far side said: not our failure, with the address', async () => {
    const a = await open({ localAddress: '127.0.0.4' });
    // The kernel refuses a broadcast destination without SO_BROADCAST (EACCES): nothing leaves.
    a.setRemote('255.255.255.255', 40000);
    a.sendPayload({ payloadType: 0, payload: new Uint8Array(160) });
    await until(() => a.counters.unreachable >= 1);
    expect(a.lastUnreachable).toBe('EACCES sending to 255.255.255.255:40000');
    // Port 0 (a stream an SDP rejected): Node throws before the kernel sees it.
    a.setRemote('127.0.0.5', 0);
    expect(a.sendPayload({ payloadType: 0, payload: new Uint8Array(160) })).toBe(false);
    expect(a.counters.unreachable).toBe(2);
    expect(a.lastUnreachable).toBe('ERR_SOCKET_BAD_PORT sending to 127.0.0.5:0');
    expect(a.counters.sendFailures).toBe(0);
    expect(a.counters.sendErrors).toBe(2);
    expect(a.lastSendFailure).toBeUndefined();
  });
});
