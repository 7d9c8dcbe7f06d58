/**
 * SIP parse + serialize throughput against tshark, in one run:
 *
 *   node bin/run-ts.js bench/sip-parse.ts [messages=200000] [runs=3]
 *
 * The mix is a realistic call flow repeated with fresh Call-IDs, tags and branches: INVITE with
 * SDP, 180 Ringing, 200 OK with SDP, ACK, BYE, and a REGISTER with a digest Authorization (six
 * messages per round, ≈ 600 B average). Ours: `parseMessage` then `toBuffer()` on every message,
 * in process after a warm-up, median of `runs`. Peer: the same messages written as UDP packets
 * (port 5060) to a classic pcap and read by
 * `tshark -r f.pcap -Y sip -T fields -e sip.Method -e sip.Status-Code`, timed as a whole process
 * minus the same process on a 1-packet pcap (start-up: loading dissectors), median of `runs`.
 * tshark's figure includes its full dissection (Ethernet/IP/UDP/SIP/SDP), display filtering and
 * printing of fields, so it is not a like-for-like parser; it is a well-known reference point.
 * The run checks that tshark saw every message and that its methods/status codes agree with ours.
 * Ratio = ours / tshark in messages per second (above 1: we are faster).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PcapWriter } from '../harness/media/capture/index.ts';
import { parseMessage } from '../harness/sip/parser.ts';

const N = Math.min(Math.max(Math.floor(Number(process.argv[2] ?? 200_000)) || 200_000, 6), 1_000_000);
const RUNS = Math.min(Math.max(Math.floor(Number(process.argv[3] ?? 3)) || 3, 1), 9);
const deadline = Date.now() + 105_000;

const SDP = (ip: string, port: number) =>
  [
    'v=0',
    `o=- ${port} ${port} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 8 0 18 101`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:18 G729/8000',
    'a=fmtp:18 annexb=no',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');

function msg(start: string, headers: string[], body = ''): string {
  return `${start}\r\n${headers.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** One call flow plus a REGISTER, with identifiers derived from `i`. */
function round(i: number): string[] {
  const cid = `${(i * 2654435761) >>> 0}-${i}@192.0.2.10`;
  const ft = `ft${i.toString(36)}`;
  const tt = `tt${(i * 7).toString(36)}`;
  const br = (k: number) => `z9hG4bK-${i.toString(36)}-${k}`;
  const via1 = `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${br(1)};rport`;
  const from = `From: "Provider Line ${i % 100}" <sip:+4930${1000000 + (i % 9000000)}@provider.example.net>;tag=${ft}`;
  const to = `To: <sip:+4989${2000000 + (i % 7000000)}@sbc.example.net>`;
  const toT = `${to};tag=${tt}`;
  const common = ['Max-Forwards: 70', 'User-Agent: sbc-harness-bench/1.0'];
  const contactA = 'Contact: <sip:provider@192.0.2.10:5060;transport=udp>';
  const contactB = 'Contact: <sip:oxo@198.51.100.20:5060;transport=udp>';
  const allow = 'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY';
  const ruri = `sip:+4989${2000000 + (i % 7000000)}@sbc.example.net;user=phone`;
  return [
    msg(
      `INVITE ${ruri} SIP/2.0`,
      [
        via1,
        ...common,
        from,
        to,
        `Call-ID: ${cid}`,
        'CSeq: 1 INVITE',
        contactA,
        allow,
        'Supported: 100rel, timer, replaces',
        'Session-Expires: 1800;refresher=uac',
        'P-Asserted-Identity: <sip:+49301234567@provider.example.net>',
        'Content-Type: application/sdp',
      ],
      SDP('192.0.2.10', 20000 + (i % 10000) * 2),
    ),
    msg('SIP/2.0 180 Ringing', [
      via1,
      from,
      toT,
      `Call-ID: ${cid}`,
      'CSeq: 1 INVITE',
      contactB,
      'Record-Route: <sip:sbc.example.net;lr>',
    ]),
    msg(
      'SIP/2.0 200 OK',
      [
        via1,
        from,
        toT,
        `Call-ID: ${cid}`,
        'CSeq: 1 INVITE',
        contactB,
        'Record-Route: <sip:sbc.example.net;lr>',
        allow,
        'Supported: timer',
        'Session-Expires: 1800;refresher=uac',
        'Content-Type: application/sdp',
      ],
      SDP('198.51.100.20', 30000 + (i % 10000) * 2),
    ),
    msg('ACK sip:oxo@198.51.100.20:5060;transport=udp SIP/2.0', [
      `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${br(2)};rport`,
      ...common,
      'Route: <sip:sbc.example.net;lr>',
      from,
      toT,
      `Call-ID: ${cid}`,
      'CSeq: 1 ACK',
    ]),
    msg('BYE sip:oxo@198.51.100.20:5060;transport=udp SIP/2.0', [
      `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${br(3)};rport`,
      ...common,
      'Route: <sip:sbc.example.net;lr>',
      from,
      toT,
      `Call-ID: ${cid}`,
      'CSeq: 2 BYE',
    ]),
    msg('REGISTER sip:provider.example.net SIP/2.0', [
      `Via: SIP/2.0/UDP 198.51.100.20:5060;branch=${br(4)};rport`,
      ...common,
      `From: <sip:trunk${i % 50}@provider.example.net>;tag=${ft}r`,
      `To: <sip:trunk${i % 50}@provider.example.net>`,
      `Call-ID: reg-${cid}`,
      `CSeq: ${(i % 1000) + 2} REGISTER`,
      'Contact: <sip:trunk@198.51.100.20:5060>;expires=3600',
      `Authorization: Digest username="trunk${i % 50}", realm="provider.example.net", nonce="${(i * 40503).toString(16)}a1b2c3d4e5f6", uri="sip:provider.example.net", response="${((i * 2246822519) >>> 0).toString(16).padStart(8, '0')}0123456789abcdef01234567", algorithm=MD5, qop=auth, nc=00000001, cnonce="${i.toString(16)}"`,
      'Expires: 3600',
    ]),
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const messages: Buffer[] = [];
for (let r = 0; messages.length < N; r++)
  for (const m of round(r)) if (messages.length < N) messages.push(Buffer.from(m));
const totalBytes = messages.reduce((s, b) => s + b.length, 0);

// What each message is, by construction (the cross-check against tshark's fields).
const KINDS = ['INVITE', '180', '200', 'ACK', 'BYE', 'REGISTER'];
const ourCount = new Map<string, number>();
for (let i = 0; i < N; i++) ourCount.set(KINDS[i % 6]!, (ourCount.get(KINDS[i % 6]!) ?? 0) + 1);

/** Ours: parse + serialize every message (each must parse and serialize back to its own bytes). */
function oursOnce(list: Buffer[]): number {
  const t0 = performance.now();
  let sink = 0;
  for (const b of list) {
    const r = parseMessage(b);
    if (!r.ok) throw new Error(`bench message rejected: ${r.code} ${r.reason}`);
    sink += r.message.toBuffer().length;
  }
  const ms = performance.now() - t0;
  const expected = list.reduce((s, b) => s + b.length, 0);
  if (sink !== expected) throw new Error(`serialized ${sink} bytes, expected ${expected}`);
  return ms;
}

const dir = mkdtempSync(join(tmpdir(), 'sip-parse-bench-'));
try {
  const write = (file: string, list: Buffer[]) => {
    const w = new PcapWriter({ link: 'ethernet' });
    const t0 = Date.UTC(2024, 0, 1);
    for (const [i, payload] of list.entries()) {
      w.addUdp({
        timeMs: t0 + i * 0.1,
        src: { address: '192.0.2.10', port: 5060 },
        dst: { address: '198.51.100.20', port: 5060 },
        payload,
      });
    }
    w.writeFile(file);
  };
  const big = join(dir, 'mix.pcap');
  const one = join(dir, 'one.pcap');
  write(big, messages);
  write(one, messages.slice(0, 1));
  const tshark = (file: string): { ms: number; out: string } => {
    const t0 = performance.now();
    const out = execFileSync(
      'tshark',
      ['-n', '-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code'],
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 100_000,
      },
    );
    return { ms: performance.now() - t0, out };
  };

  oursOnce(messages.slice(0, Math.min(N, 20_000))); // JIT warm-up
  tshark(one); // warm the file cache and plugin loading once
  // Interleaved rounds (ours, tshark start-up, tshark full) while they fit in the time budget.
  const oursMs: number[] = [];
  const startMs: number[] = [];
  const fullMs: number[] = [];
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = Date.now();
    oursMs.push(oursOnce(messages));
    startMs.push(tshark(one).ms);
    const r = tshark(big);
    fullMs.push(r.ms);
    out = r.out;
    if (Date.now() + (Date.now() - t0) > deadline) break;
  }
  const theirCount = new Map<string, number>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [method, status] = line.split('\t');
    // tshark prints the CSeq method in sip.Method for responses too; the status decides.
    const key = status ? status : method!;
    theirCount.set(key, (theirCount.get(key) ?? 0) + 1);
  }
  const same = [...ourCount].every(([k, v]) => theirCount.get(k) === v) && theirCount.size === ourCount.size;

  const ours = median(oursMs);
  const net = Math.max(median(fullMs) - median(startMs), 1);
  const oursRate = (N / ours) * 1000;
  const theirRate = (N / net) * 1000;
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(
    `SIP parse+serialize, ${f(N)} messages (${(totalBytes / N).toFixed(0)} B average), medians of ${oursMs.length} interleaved runs`,
  );
  console.log(
    `ours   parse+toBuffer: ${ours.toFixed(0)} ms  → ${f(oursRate)} msg/s  (${((totalBytes / ours) * 1e-3).toFixed(1)} MB/s)`,
  );
  console.log(
    `tshark whole run ${median(fullMs).toFixed(0)} ms − start-up ${median(startMs).toFixed(0)} ms = ${net.toFixed(0)} ms → ${f(theirRate)} msg/s`,
  );
  console.log(`ratio ours/tshark (msg/s): ${(oursRate / theirRate).toFixed(1)}`);
  console.log(
    `check: tshark saw ${out.split('\n').filter(Boolean).length} SIP messages; per method/status counts ${same ? 'agree' : 'DIFFER'}`,
  );
  console.log(`  ours:   ${JSON.stringify(Object.fromEntries(ourCount))}`);
  if (!same) console.log(`  tshark: ${JSON.stringify(Object.fromEntries(theirCount))}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
