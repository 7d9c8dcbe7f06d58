/**
 * What SRTP costs per packet (AES_CM_128_HMAC_SHA1_80, RFC 3711), ours against ffmpeg's in the
 * same run: a G.711 packet of 20 ms (12-byte header, 160-byte payload), as every SRTP leg of
 * the plan and the load sends 50 of a second and receives 50.
 *
 *   node bin/run-ts.js bench/srtp-cost.ts [packets=150000] [runs=5]
 *
 * ours         SrtpContext.protectRtp and unprotectRtp (harness/media/rtp/srtp-context.ts),
 *              in this process: CPU (process.cpuUsage) over `packets` packets, a fresh context
 *              per run, after a warm-up.
 * per-packet   the way the context protected a packet before December 2026, as a reference
 *   cipher     in the same run: an AES-CTR cipher made per packet (aesCmXor) and an HMAC with
 *              the raw key bytes, each packet in a buffer of its own.
 * ffmpeg       its SRTP muxer: `ffmpeg -f lavfi -i sine… -c:a pcm_alaw -f rtp` to
 *              srtp://127.0.0.1 (AES_CM_128_HMAC_SHA1_80) and, alternated, the same to rtp://;
 *              the difference of the two whole-process CPU times (bash's `times`), divided by
 *              the packets, is what protecting a packet costs it. The packets go to a UDP sink
 *              of this process on loopback.
 *
 * Prints a markdown table of medians. Loopback only; each ffmpeg run is bounded (60 s).
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { aesCmXor, deriveSessionKeys, SrtpContext } from '../harness/media/rtp/index.ts';

const num = (v: string | undefined, dflt: number, lo: number, hi: number) => {
  const n = Math.round(Number(v ?? dflt));
  return Math.min(Math.max(Number.isFinite(n) ? n : dflt, lo), hi);
};
const PACKETS = num(process.argv[2], 150_000, 10_000, 1_000_000);
const RUNS = num(process.argv[3], 5, 1, 15);
const PAYLOAD = 160;
const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

const masterKey = new Uint8Array(randomBytes(16));
const masterSalt = new Uint8Array(randomBytes(14));

/** A G.711 RTP packet of SSRC 0x5eed, sequence `seq`. */
function rtpPacket(seq: number): Uint8Array {
  const p = new Uint8Array(12 + PAYLOAD);
  const dv = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = 8;
  dv.setUint16(2, seq & 0xffff);
  dv.setUint32(4, seq * 160);
  dv.setUint32(8, 0x5eed);
  for (let i = 12; i < p.length; i++) p[i] = (i * 7 + seq) & 0xff;
  return p;
}

/** `p` with sequence number `i` (mod 2^16): the stream's packets in order, across wraps. */
function withSeq(p: Uint8Array, i: number): Uint8Array {
  p[2] = (i >>> 8) & 0xff;
  p[3] = i & 0xff;
  return p;
}

/** CPU µs per packet of `f` over `packets`. */
function cpuPerPacket(packets: number, f: (i: number) => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < packets; i++) f(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / packets;
}

/** Ours: protect, then unprotect what was protected, µs per packet each. */
function oursRun(packets: number, plain: Uint8Array[]): { protect: number; unprotect: number } {
  const key = { masterKey, masterSalt };
  const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
  const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', key);
  const sent: Uint8Array[] = new Array(packets);
  const protect = cpuPerPacket(packets, (i) => {
    sent[i] = tx.protectRtp(withSeq(plain[i % plain.length] as Uint8Array, i)) as Uint8Array;
  });
  let failed = 0;
  const unprotect = cpuPerPacket(packets, (i) => {
    if (!rx.unprotectRtp(sent[i] as Uint8Array).ok) failed++;
  });
  if (failed > 0) throw new Error(`${failed} packets did not unprotect`);
  return { protect, unprotect };
}

/** The reference: a cipher made per packet and an HMAC with the raw key, as the context did before. */
function perPacketCipherRun(packets: number, plain: Uint8Array[]): number {
  const keys = deriveSessionKeys(masterKey, masterSalt).srtp;
  return cpuPerPacket(packets, (i) => {
    const p = plain[i % plain.length] as Uint8Array;
    const enc = aesCmXor(keys.encKey, keys.salt, 0x5eed, i, p.subarray(12));
    const body = Buffer.concat([p.subarray(0, 12), enc]);
    const roc = Buffer.alloc(4);
    const tag = createHmac('sha1', keys.authKey).update(body).update(roc).digest().subarray(0, 10);
    new Uint8Array(Buffer.concat([body, tag]));
  });
}

/** ffmpeg's whole-process CPU ms (user + sys of its children, from bash's `times`) for `packets` to `url`. */
function ffmpegCpuMs(packets: number, url: string, srtp: boolean): Promise<number | undefined> {
  const seconds = (packets * 20) / 1000;
  const key = Buffer.concat([masterKey, masterSalt]).toString('base64');
  const args = [
    ...['-hide_banner', '-nostats', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=8000:duration=${seconds}`],
    ...['-c:a', 'pcm_alaw', '-f', 'rtp'],
    ...(srtp ? ['-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80', '-srtp_out_params', key] : []),
    url,
  ];
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    const c = spawn('bash', ['-c', `ffmpeg ${quoted} > /dev/null || exit 3; times`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('error', () => resolve(undefined));
    c.on('exit', (code) => {
      clearTimeout(timer);
      // `times`: the shell's own user/sys, then its children's, as 0m0.123s 0m0.045s.
      const line = out.trim().split('\n')[1] ?? '';
      const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      resolve(
        code === 0 && secs.length === 2 ? 1000 * ((secs[0] as number) + (secs[1] as number)) : undefined,
      );
    });
  });
}

const plain = Array.from({ length: 1024 }, (_, i) => rtpPacket(i));
const sink = createSocket('udp4');
let received = 0;
sink.on('message', () => {
  received++;
});
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
const port = sink.address().port;
log(`srtp-cost: ${PACKETS} packets of ${PAYLOAD} bytes, ${RUNS} runs; ffmpeg to 127.0.0.1:${port}`);

oursRun(20_000, plain);
perPacketCipherRun(20_000, plain);
const ours = { protect: [] as number[], unprotect: [] as number[] };
const reference: number[] = [];
const ffmpeg: number[] = [];
const ffmpegPlainMs: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const o = oursRun(PACKETS, plain);
  ours.protect.push(o.protect);
  ours.unprotect.push(o.unprotect);
  reference.push(perPacketCipherRun(PACKETS, plain));
  // pkt_size: the 172 bytes of the RTP packet, and the 10 of the SRTP tag for the SRTP run.
  const withSrtp = await ffmpegCpuMs(PACKETS, `srtp://127.0.0.1:${port}?pkt_size=182`, true);
  const without = await ffmpegCpuMs(PACKETS, `rtp://127.0.0.1:${port}?pkt_size=172`, false);
  if (withSrtp !== undefined && without !== undefined) {
    ffmpeg.push(((withSrtp - without) * 1000) / PACKETS);
    ffmpegPlainMs.push(without);
  }
  log(
    `run ${r + 1}: ours protect ${o.protect.toFixed(2)} µs, unprotect ${o.unprotect.toFixed(2)} µs; per-packet cipher ${reference.at(-1)?.toFixed(2)} µs; ffmpeg SRTP ${ffmpeg.at(-1)?.toFixed(2) ?? '–'} µs (its whole run ${withSrtp ?? '–'} against ${without ?? '–'} ms)`,
  );
}
sink.close();

const mp = median(ours.protect);
const mu = median(ours.unprotect);
const mf = median(ffmpeg);
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
process.stdout.write(
  [
    `### SRTP per packet (AES_CM_128_HMAC_SHA1_80, ${PAYLOAD}-byte payload), medians of ${RUNS} runs of ${PACKETS} packets`,
    '',
    '| what | CPU µs per packet | ratio to ffmpeg protecting |',
    '| --- | ---: | ---: |',
    `| ours, protect | ${f2(mp)} | ${f2(mp / mf)} |`,
    `| ours, unprotect (authenticate, replay check, decrypt) | ${f2(mu)} | ${f2(mu / mf)} |`,
    `| the per-packet cipher of before (protect) | ${f2(median(reference))} | ${f2(median(reference) / mf)} |`,
    `| ffmpeg, protect (SRTP run less plain RTP run) | ${f2(mf)} | 1 |`,
    '',
    `ffmpeg's plain RTP run (tone, A-law, packets sent): ${f2(median(ffmpegPlainMs))} ms median; datagrams at the sink: ${received}.`,
    `A two-way SRTP leg protects and unprotects 50 packets a second each: ours ${f2((50 * (mp + mu)) / 1000)} ms of CPU a second per leg.`,
    '',
  ].join('\n'),
);
