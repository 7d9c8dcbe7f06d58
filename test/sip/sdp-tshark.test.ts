/**
 * tshark's SDP dissector as an independent reader of the SDP we build: an offer and its
 * answer are put in SIP messages in a pcap, and tshark's fields must match our model.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildSdp, type SdpSession } from '../../harness/sip/sdp.ts';
import { decodeCryptoKey } from '../../harness/sip/sdp-crypto.ts';
import { SdpEndpoint } from '../../harness/sip/sdp-offer-answer.ts';
import { describeWithPeers } from '../support/peers.ts';

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A pcap (LINKTYPE_RAW, IPv4/UDP 5060) holding one datagram per payload. */
function pcap(payloads: string[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(101, 20);
  const records = payloads.map((p, i) => {
    const body = Buffer.from(p, 'latin1');
    const ip = Buffer.alloc(20);
    ip.writeUInt8(0x45, 0);
    ip.writeUInt16BE(20 + 8 + body.length, 2);
    ip.writeUInt16BE(i + 1, 4);
    ip.writeUInt8(64, 8);
    ip.writeUInt8(17, 9);
    Buffer.from(i % 2 === 0 ? [127, 0, 0, 1] : [127, 0, 0, 2]).copy(ip, 12);
    Buffer.from(i % 2 === 0 ? [127, 0, 0, 2] : [127, 0, 0, 1]).copy(ip, 16);
    ip.writeUInt16BE(ipv4Checksum(ip), 10);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(5060, 0);
    udp.writeUInt16BE(5060, 2);
    udp.writeUInt16BE(8 + body.length, 4);
    const pkt = Buffer.concat([ip, udp, body]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_767_225_600 + i, 0);
    rec.writeUInt32LE(pkt.length, 8);
    rec.writeUInt32LE(pkt.length, 12);
    return Buffer.concat([rec, pkt]);
  });
  return Buffer.concat([global, ...records]);
}

function sip(startLine: string, sdp: string): string {
  return [
    startLine,
    'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsdp1',
    'From: <sip:alice@127.0.0.1>;tag=1',
    'To: <sip:bob@127.0.0.2>',
    'Call-ID: sdp-tshark@127.0.0.1',
    'CSeq: 1 INVITE',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp, 'latin1')}`,
    '',
    sdp,
  ].join('\r\n');
}

const FIELDS = [
  'sdp.owner.sessionid',
  'sdp.owner.version',
  'sdp.connection_info.address',
  'sdp.media.port',
  'sdp.media.proto',
  'sdp.mime.type',
  'sdp.fmtp.parameter',
  'sdp.crypto.tag',
  'sdp.crypto.crypto_suite',
  'sdp.crypto.master_key',
  'sdp.media_attribute.field',
];

describeWithPeers(['tshark'], 'SDP read back by tshark', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdp-tshark-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('offer and answer fields match the model (codecs, PTs, SRTP keys, version)', async () => {
    const caller = new SdpEndpoint(
      {
        address: '192.0.2.10',
        media: [
          {
            port: 16384,
            codecs: ['PCMA', { name: 'G729', fmtp: 'annexb=no' }, 'G722'],
            telephoneEvent: { pt: 101 },
            ptime: 20,
            srtp: { suites: ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] },
          },
        ],
      },
      { sessionId: '4242', initialVersion: '7' },
    );
    const callee = new SdpEndpoint({
      address: '198.51.100.20',
      media: [{ port: 20000, codecs: ['G729', 'PCMA'], srtp: { suites: ['AES_CM_128_HMAC_SHA1_32'] } }],
    });
    const offer: SdpSession = caller.createOffer();
    const answer: SdpSession = callee.createAnswer(offer).answer;
    const file = join(dir, 'o-a.pcap');
    await writeFile(
      file,
      pcap([
        sip('INVITE sip:bob@127.0.0.2 SIP/2.0', buildSdp(offer)),
        sip('SIP/2.0 200 OK', buildSdp(answer)),
      ]),
    );
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-Y',
        'sdp',
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-E',
        'aggregator=,',
        ...FIELDS.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((line) => Object.fromEntries(line.split('|').map((v, i) => [FIELDS[i] as string, v])));
    expect(rows).toHaveLength(2);
    const [o, a] = rows as [Record<string, string>, Record<string, string>];
    expect(o['sdp.owner.sessionid']).toBe('4242');
    expect(o['sdp.owner.version']).toBe('7');
    expect(o['sdp.connection_info.address']).toBe('192.0.2.10');
    expect(o['sdp.media.port']).toBe('16384');
    expect(o['sdp.media.proto']).toBe('RTP/SAVP');
    expect(o['sdp.media_attribute.field']).toBe('rtpmap,rtpmap,rtpmap,rtpmap,fmtp,fmtp,crypto,crypto,ptime');
    expect(o['sdp.fmtp.parameter']).toBe('annexb=no,0-16');
    expect(o['sdp.mime.type']).toBe('PCMA,G729,G722,telephone-event');
    expect(o['sdp.crypto.tag']).toBe('1,2');
    expect(o['sdp.crypto.crypto_suite']).toBe('AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32');
    const offeredKey = decodeCryptoKey(offer.media[0]?.crypto[0] ?? { tag: 0, suite: '', keys: [] });
    expect(o['sdp.crypto.master_key']?.split(',')[0]?.replace(/:/g, '')).toBe(
      Buffer.from(offeredKey?.masterKey ?? []).toString('hex'),
    );
    expect(a['sdp.connection_info.address']).toBe('198.51.100.20');
    expect(a['sdp.media.port']).toBe('20000');
    expect(a['sdp.owner.version']).toBe('1');
    expect(a['sdp.mime.type']).toBe('G729,PCMA,telephone-event');
    expect(a['sdp.crypto.tag']).toBe('2');
    expect(a['sdp.crypto.crypto_suite']).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(a['sdp.fmtp.parameter'] ?? '').toContain('annexb=no');
  });
});
