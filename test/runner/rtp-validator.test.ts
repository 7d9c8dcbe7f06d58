/**
 * The RTP validator: each rule of RTP_RULES with packets that break it and packets that are
 * legal but unusual (which must pass), and docs/rtp-rules.md kept equal to the rule table.
 * Packets are built with the harness's own RTP and RFC 4733 encoders, the SDP is parsed by
 * its real SDP parser, and events come from its real telephone-event sender.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeTelephoneEvent, telephoneEventPackets } from '../../harness/media/dtmf/index.ts';
import { buildRtp, type PacketRecord } from '../../harness/media/rtp/index.ts';
import { RTP_RULES, RtpValidator } from '../../harness/runner/validator/index.ts';
import { parseSdp } from '../../harness/sip/index.ts';

const SBC = { address: '127.0.0.1', port: 20000 };
const LEG = { address: '127.0.0.2', port: 40000 };

function sdp(o: { port?: number; proto?: string; formats?: string; rtpmaps?: string[] } = {}) {
  const text = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.2',
    's=-',
    'c=IN IP4 127.0.0.2',
    't=0 0',
    `m=audio ${o.port ?? LEG.port} ${o.proto ?? 'RTP/AVP'} ${o.formats ?? '8 101'}`,
    ...(o.rtpmaps ?? ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16']),
    '',
  ].join('\r\n');
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`test SDP does not parse: ${r.error.reason}`);
  return r.value;
}

interface Pkt {
  pt?: number;
  seq: number;
  ts: number;
  ssrc?: number;
  marker?: boolean;
  payload?: Uint8Array;
  to?: { address: string; port: number };
}

/** A stream builder: our leg received these packets from the SBC, 20 ms apart. */
class Wire {
  readonly records: PacketRecord[] = [];
  private t = 1_700_000_000_000;
  add(p: Pkt): this {
    this.t += 20;
    this.records.push({
      direction: 'received',
      channel: 'rtp',
      atMs: this.t,
      wallMs: this.t,
      src: SBC,
      dst: p.to ?? LEG,
      bytes: buildRtp({
        payloadType: p.pt ?? 8,
        sequenceNumber: p.seq,
        timestamp: p.ts,
        ssrc: p.ssrc ?? 0x1234,
        marker: p.marker ?? false,
        payload: p.payload ?? new Uint8Array(160).fill(0xd5),
      }),
    });
    return this;
  }
  /** `n` PCMA packets of 20 ms from (seq, ts). */
  audio(n: number, seq: number, ts: number, ssrc?: number): this {
    for (let i = 0; i < n; i++)
      this.add({
        seq: (seq + i) & 0xffff,
        ts: (ts + 160 * i) >>> 0,
        ...(ssrc !== undefined ? { ssrc } : {}),
      });
    return this;
  }
  /** One RFC 4733 report. */
  event(
    seq: number,
    ts: number,
    o: { event?: number; end?: boolean; duration: number; marker?: boolean; pt?: number },
  ): this {
    return this.add({
      pt: o.pt ?? 101,
      seq,
      ts,
      marker: o.marker ?? false,
      payload: encodeTelephoneEvent({ event: o.event ?? 5, end: o.end ?? false, duration: o.duration }),
    });
  }
}

function judge(w: Wire, sdps = [sdp()]): { rules: string[]; v: RtpValidator } {
  const v = new RtpValidator();
  for (const s of sdps) v.observeSdp('provider', s);
  return { rules: v.judge(w.records).map((f) => f.rule), v };
}

/** A digit as our real sender makes it (marker first, E reports three times), from seq/ts. */
function digit(w: Wire, seq: number, ts: number, o: { durationMs?: number; pt?: number } = {}): number {
  const packets = telephoneEventPackets('5', { startTimestamp: ts, durationMs: o.durationMs ?? 100 });
  for (const p of packets)
    w.add({ pt: o.pt ?? 101, seq: seq++ & 0xffff, ts: p.timestamp, marker: p.marker, payload: p.payload });
  return seq;
}

describe('RTP validator rules', () => {
  it('docs/rtp-rules.md mirrors RTP_RULES row by row', () => {
    const doc = readFileSync(new URL('../../docs/rtp-rules.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| `[a-z0-9-]+` \|/.test(l));
    expect(rows).toEqual(RTP_RULES.map((r) => `| \`${r.id}\` | ${r.rfc} | ${r.rule} | ${r.failure} |`));
    expect(new Set(RTP_RULES.map((r) => r.id)).size).toBe(RTP_RULES.length);
  });

  it('a clean call (audio, a digit with three end reports, audio) breaks no rule', () => {
    const w = new Wire().audio(20, 100, 8000);
    const next = digit(w, 120, 8000 + 160 * 20);
    w.audio(20, next, 8000 + 160 * 40);
    const { rules, v } = judge(w);
    expect(rules).toEqual([]);
    expect(v.stats.judged).toBe(w.records.length);
    expect(v.stats.telephoneEvents).toBeGreaterThan(3);
    expect(v.stats.streams).toBe(1);
  });

  describe('rtp-payload-type', () => {
    it('breaks: PCMU (PT 0) to a leg that negotiated PCMA and telephone-event only', () => {
      const w = new Wire().audio(5, 1, 0).add({ pt: 0, seq: 6, ts: 800 }).add({ pt: 0, seq: 7, ts: 960 });
      const { rules, v } = judge(w);
      expect(rules).toEqual(['rtp-payload-type']);
      expect(v.findings[0]?.count).toBe(2);
      expect(v.findings[0]?.detail).toMatch(/PT 0 arrived/);
    });
    it('breaks: comfort noise (PT 13) when our SDP did not list CN', () => {
      const w = new Wire().audio(5, 1, 0).add({ pt: 13, seq: 6, ts: 800, payload: new Uint8Array([40]) });
      expect(judge(w).rules).toEqual(['rtp-payload-type']);
    });
    it('passes: comfort noise listed, a codec of an earlier SDP, a dynamic number for telephone-event', () => {
      const w = new Wire()
        .audio(5, 1, 0)
        .add({ pt: 13, seq: 6, ts: 800, payload: new Uint8Array([40]) })
        .add({ pt: 0, seq: 7, ts: 2400 })
        .event(8, 2560, { duration: 160, marker: true, pt: 96 })
        .event(9, 2560, { duration: 320, end: true, pt: 96 });
      const first = sdp({ formats: '0 96', rtpmaps: ['a=rtpmap:96 telephone-event/8000'] });
      const second = sdp({ formats: '8 13 96', rtpmaps: ['a=rtpmap:96 telephone-event/8000'] });
      expect(judge(w, [first, second]).rules).toEqual([]);
    });
    it('does not judge packets to an address no SDP of ours declared', () => {
      const w = new Wire().add({ pt: 0, seq: 1, ts: 0, to: { address: '127.0.0.2', port: 40002 } });
      const { rules, v } = judge(w);
      expect(rules).toEqual([]);
      expect(v.stats.unmatched).toBe(1);
      expect(v.stats.judged).toBe(0);
    });
  });

  describe('rtp-sequence', () => {
    it('breaks: the sequence number steps back by 499 within one SSRC', () => {
      const w = new Wire().audio(10, 1000, 0).audio(10, 510, 1600);
      const { rules, v } = judge(w);
      expect(rules).toEqual(['rtp-sequence']);
      expect(v.findings[0]?.detail).toMatch(/499 back/);
    });
    it('passes: a forward gap of 1000, a late packet, a duplicate, the wrap at 65535, a new SSRC with new numbers', () => {
      const w = new Wire()
        .audio(5, 65533, 0) // 65533 … 1 across the wrap
        .audio(3, 1002, 160 * 1005) // 1000 lost
        .add({ seq: 1001, ts: 160 * 1004 }) // late
        .add({ seq: 1004, ts: 160 * 1007 })
        .add({ seq: 1004, ts: 160 * 1007 }) // duplicate
        .audio(5, 7, 99_000, 0x9999); // another SSRC far below
      expect(judge(w).rules).toEqual([]);
    });
  });

  describe('rtp-timestamp', () => {
    it('breaks: a packet one sequence number later has a timestamp 160 units earlier', () => {
      const w = new Wire().audio(5, 1, 16_000).add({ seq: 6, ts: 16_000 + 160 * 3 });
      expect(judge(w).rules).toEqual(['rtp-timestamp']);
    });
    it('passes: a talkspurt (contiguous numbers, timestamp jump, marker), an equal timestamp, events keeping their start', () => {
      const w = new Wire()
        .audio(5, 1, 0)
        .add({ seq: 6, ts: 160 * 50, marker: true })
        .add({ seq: 7, ts: 160 * 50 })
        .add({ seq: 8, ts: 160 * 51 })
        .event(9, 160 * 52, { duration: 160, marker: true })
        .add({ seq: 10, ts: 160 * 53 })
        .event(11, 160 * 52, { duration: 480, end: true })
        .add({ seq: 12, ts: 160 * 55 })
        .audio(10, 13, 160 * 56);
      expect(judge(w).rules).toEqual([]);
    });
    it('passes: a timestamp wrapping past 2^32', () => {
      expect(judge(new Wire().audio(5, 1, 0xffff_ff00)).rules).toEqual([]);
    });
  });

  describe('te-payload-type', () => {
    it('breaks: a telephone-event report under PT 102 when the leg negotiated it as 101', () => {
      const w = new Wire().audio(3, 1, 0).event(4, 480, { duration: 160, marker: true, pt: 102 });
      const { rules, v } = judge(w);
      expect(rules).toEqual(['te-payload-type']);
      expect(v.findings[0]?.detail).toMatch(/PT 102.*telephone-event as PT 101/);
    });
    it('breaks: telephone-events to a leg that negotiated none', () => {
      const w = new Wire().audio(3, 1, 0).event(4, 480, { duration: 160, marker: true, pt: 101 });
      const noTe = sdp({ formats: '8', rtpmaps: ['a=rtpmap:8 PCMA/8000'] });
      const { rules, v } = judge(w, [noTe]);
      expect(rules).toEqual(['te-payload-type']);
      expect(v.findings[0]?.detail).toMatch(/negotiated no telephone-event/);
    });
    it('passes: telephone-event under the number our answer gave it (97, not the usual 101)', () => {
      const w = new Wire().audio(3, 1, 0);
      const next = digit(w, 4, 480, { pt: 97 });
      w.audio(12, next, 480 + 160 * 20);
      const answer = sdp({
        formats: '8 97',
        rtpmaps: ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:97 telephone-event/8000'],
      });
      expect(judge(w, [answer]).rules).toEqual([]);
    });
  });

  describe('te-end-bit', () => {
    it('breaks: an event whose reports stop without E while the next ten packets arrive', () => {
      const w = new Wire().audio(3, 1, 0);
      for (let k = 0; k < 8; k++) w.event(4 + k, 480, { duration: 160 * (k + 1), marker: k === 0 });
      w.audio(12, 12, 480 + 160 * 9);
      const { rules, v } = judge(w);
      expect(rules).toEqual(['te-end-bit']);
      expect(v.findings[0]?.detail).toMatch(/no report with the E bit/);
    });
    it('breaks: a retransmission of the end report without the E bit', () => {
      const w = new Wire()
        .event(1, 0, { duration: 160, marker: true })
        .event(2, 0, { duration: 320, end: true })
        .event(3, 0, { duration: 320, end: false })
        .audio(3, 4, 480);
      const { rules, v } = judge(w);
      expect(rules).toEqual(['te-end-bit']);
      expect(v.findings[0]?.detail).toMatch(/later report of it .* has no E bit/);
    });
    it('passes: the end reports lost (a gap after the event), one end report instead of three, the stream ending mid-event', () => {
      const lost = new Wire().event(1, 0, { duration: 160, marker: true }).event(2, 0, { duration: 320 });
      lost.audio(12, 6, 800); // seq 3-5 (the three end reports) never arrived
      const once = new Wire()
        .event(1, 0, { duration: 160, marker: true })
        .event(2, 0, { duration: 320, end: true })
        .audio(12, 3, 480);
      const cut = new Wire()
        .audio(3, 1, 0)
        .event(4, 480, { duration: 160, marker: true })
        .event(5, 480, { duration: 320 });
      expect(judge(lost).rules).toEqual([]);
      expect(judge(once).rules).toEqual([]);
      expect(judge(cut).rules).toEqual([]);
    });
    it('passes: a long event split into segments, only the last with E (RFC 4733 §2.5.1.3)', () => {
      const w = new Wire();
      const packets = telephoneEventPackets('7', {
        startTimestamp: 1000,
        durationTs: 0xffff + 4000,
        ptimeMs: 50,
      });
      let seq = 1;
      for (const p of packets)
        w.add({ pt: 101, seq: seq++, ts: p.timestamp, marker: p.marker, payload: p.payload });
      w.audio(12, seq, 1000 + 0xffff + 4400);
      expect(packets.some((p) => p.timestamp !== 1000)).toBe(true);
      expect(judge(w).rules).toEqual([]);
    });
  });

  describe('te-timestamp', () => {
    it('breaks: each report of one event under a timestamp advancing like audio', () => {
      const w = new Wire().audio(3, 1, 0);
      for (let k = 0; k < 5; k++)
        w.event(4 + k, 480 + 160 * k, { duration: 160 * (k + 1), marker: k === 0, end: k === 4 });
      w.audio(12, 9, 480 + 160 * 5);
      const { rules, v } = judge(w);
      expect(rules).toEqual(['te-timestamp']);
      expect(v.findings[0]?.count).toBe(4);
    });
    it('passes: the same digit pressed twice (two events, two timestamps), and a new event after a lost end', () => {
      const w = new Wire();
      let seq = digit(w, 1, 0);
      seq = digit(w, seq, 2000);
      w.event(seq, 4000, { duration: 160, marker: true }).event(seq + 1, 4000, { duration: 320 });
      // its end reports are lost; the next press starts with a marker and a new timestamp
      w.event(seq + 5, 6000, { duration: 160, marker: true }).event(seq + 6, 6000, {
        duration: 320,
        end: true,
      });
      w.audio(12, seq + 7, 6400);
      expect(judge(w).rules).toEqual([]);
    });
    it('passes: a new press of the same digit without a marker after the end reports of the first were lost', () => {
      const w = new Wire()
        .event(1, 0, { duration: 160, marker: true })
        // seq 2-4 (the end reports) lost; the next press forgot its marker
        .event(5, 800, { duration: 160 })
        .event(6, 800, { duration: 320, end: true })
        .audio(12, 7, 1200);
      expect(judge(w).rules).toEqual([]);
    });
  });

  it('a rule broken on every packet of a long stream is one finding with a count', () => {
    const w = new Wire();
    for (let i = 0; i < 30_000; i++) w.add({ pt: 0, seq: i & 0xffff, ts: (160 * i) >>> 0 });
    const { rules, v } = judge(w);
    expect(rules).toEqual(['rtp-payload-type']);
    expect(v.findings[0]?.count).toBe(30_000);
    expect(v.findings[0]?.packets.length).toBeLessThanOrEqual(5);
  });

  it('bad input is data: datagrams that are not RTP are counted as skipped, never thrown on', () => {
    const w = new Wire().audio(3, 1, 0);
    const junk = (bytes: number[]): PacketRecord => ({
      direction: 'received',
      channel: 'rtp',
      atMs: 0,
      wallMs: 0,
      src: SBC,
      dst: LEG,
      bytes: new Uint8Array(bytes),
    });
    w.records.push(junk([]), junk([0x80]), junk([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    // A telephone-event report cut short (two bytes of payload) is not read as an event.
    w.add({ pt: 101, seq: 4, ts: 480, payload: new Uint8Array([5, 0]) });
    const { rules, v } = judge(w);
    expect(rules).toEqual([]);
    expect(v.stats.skipped).toBe(3);
  });

  it('an SRTP leg is judged on its header only: an encrypted payload is never read as an event', () => {
    const srtp = sdp({ proto: 'RTP/SAVP' });
    const w = new Wire().audio(3, 1, 0);
    // Encrypted event payloads (random bytes plus a tag) under the negotiated PT 101: not judged.
    for (let k = 0; k < 4; k++)
      w.add({
        pt: 101,
        seq: 4 + k,
        ts: 480,
        payload: new Uint8Array([1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]),
      });
    w.audio(12, 8, 1120).add({ pt: 0, seq: 20, ts: 1120 + 160 * 12 });
    const { rules, v } = judge(w, [srtp]);
    expect(rules).toEqual(['rtp-payload-type']);
    expect(v.stats.headerOnly).toBe(w.records.length);
    expect(v.stats.telephoneEvents).toBe(0);
  });
});
