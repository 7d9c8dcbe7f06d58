/**
 * pcap RTP analysis throughput: our reader + RTP statistics against
 * `tshark -q -z rtp,streams` on the same generated capture.
 *
 *   node bin/run-ts.js bench/pcap-analysis.ts [packets=500000] [runs=3]
 *
 * The capture: 20 G.711 streams (20 ms, 3 % loss, up to 20 ms arrival jitter, seeded) to one
 * UDP port, interleaved by arrival time, Ethernet link type. Ours: read the file, walk every
 * frame, decode UDP, per-flow statistics (analyzeCapture), in this process, after one warm-up
 * run; median wall and CPU time. tshark: whole process wall time (includes its start-up, which
 * is measured apart on a 1-packet file and printed). Both must report the same streams and
 * lost counts, so both did the same job. Ratio = tshark / ours (above 1: we are faster).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../harness/media/capture/index.ts';
import { analyzeCapture, syntheticStream } from '../harness/media/rtp/index.ts';

const total = Math.min(Math.max(Number(process.argv[2] ?? 500_000) || 500_000, 10_000), 2_000_000);
const runs = Math.min(Math.max(Number(process.argv[3] ?? 3) || 3, 1), 7);
const STREAMS = 20;
const PORT = 40_002;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const dir = mkdtempSync(join(tmpdir(), 'pcap-bench-'));
try {
  const file = join(dir, 'big.pcap');
  const one = join(dir, 'one.pcap');
  // Generate: merge the streams by arrival time (each stream's packets are already in order).
  const t0 = performance.now();
  const per = Math.ceil(total / STREAMS / 0.97);
  const gens = Array.from({ length: STREAMS }, (_, k) =>
    syntheticStream({
      packets: per,
      seed: 100 + k,
      lossRate: 0.03,
      jitterMs: 20,
      startMs: Date.UTC(2026, 0, 1) + k * 0.37,
      ssrc: 0x5000 + k,
      firstSeq: k * 3000,
    }),
  );
  const heads = gens.map((g) => g.next());
  const fd = openSync(file, 'w');
  let written = 0;
  let w = new PcapWriter();
  let headerWritten = false;
  const flush = () => {
    const b = w.toBuffer();
    writeSync(fd, headerWritten ? b.subarray(24) : b);
    headerWritten = true;
    w = new PcapWriter();
  };
  let batch = 0;
  for (;;) {
    let best = -1;
    for (let k = 0; k < STREAMS; k++) {
      const h = heads[k]!;
      if (
        !h.done &&
        (best < 0 || h.value.arrivalMs < (heads[best]!.value as { arrivalMs: number }).arrivalMs)
      )
        best = k;
    }
    if (best < 0 || written >= total) break;
    const p = heads[best]!.value as { arrivalMs: number; bytes: Uint8Array };
    w.addUdp({
      timeMs: p.arrivalMs,
      src: { address: '127.0.0.1', port: 30_000 + best * 2 },
      dst: { address: '127.0.0.2', port: PORT },
      payload: p.bytes,
    });
    heads[best] = gens[best]!.next();
    batch++;
    if (batch === 50_000) {
      flush();
      batch = 0;
    }
    written++;
  }
  flush();
  closeSync(fd);
  const small = new PcapWriter();
  small.addUdp({
    timeMs: 0,
    src: { address: '127.0.0.1', port: 1 },
    dst: { address: '127.0.0.2', port: PORT },
    payload: new Uint8Array(172),
  });
  small.writeFile(one);
  const buf = readFileSync(file);
  console.log(
    `capture: ${written} packets, ${(buf.length / 1e6).toFixed(1)} MB, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // Ours.
  const ports = new Set([PORT]);
  analyzeCapture(buf, { rtpPorts: ports }); // warm-up
  const oursWall: number[] = [];
  const oursCpu: number[] = [];
  let oursLost = '';
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const a = performance.now();
    const res = analyzeCapture(readFileSync(file), { rtpPorts: ports });
    oursWall.push(performance.now() - a);
    const c = process.cpuUsage(c0);
    oursCpu.push((c.user + c.system) / 1000);
    oursLost = res.streams
      .map((s) => `${s.ssrc.toString(16)}:${s.stats.lost}`)
      .sort()
      .join(',');
    if (res.streams.length !== STREAMS) throw new Error(`ours found ${res.streams.length} streams`);
  }

  // tshark.
  const tsharkRun = (f: string) => {
    const a = performance.now();
    const r = spawnSync('tshark', ['-r', f, '-q', '-z', 'rtp,streams', '-d', `udp.port==${PORT},rtp`], {
      encoding: 'utf8',
      timeout: 110_000,
      maxBuffer: 1 << 24,
    });
    const wall = performance.now() - a;
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    return { wall, out: r.stdout };
  };
  const startup = median([tsharkRun(one).wall, tsharkRun(one).wall]);
  const tsWall: number[] = [];
  let tsLost = '';
  for (let r = 0; r < Math.min(runs, 2); r++) {
    const t = tsharkRun(file);
    tsWall.push(t.wall);
    tsLost = [...t.out.matchAll(/\s0x([0-9a-f]+)\s+\S+\s+\d+\s+(-?\d+)\s+\(/gi)]
      .map((m) => `${Number.parseInt(m[1]!, 16).toString(16)}:${m[2]}`)
      .sort()
      .join(',');
  }
  const agree = tsLost === oursLost;
  const ours = median(oursWall);
  const ts = median(tsWall);
  console.log(
    `ours:   wall ${ours.toFixed(0)} ms (CPU ${median(oursCpu).toFixed(0)} ms), ${(((written / ours) * 1000) / 1e6).toFixed(2)} M packets/s`,
  );
  console.log(
    `tshark: wall ${ts.toFixed(0)} ms (start-up on a 1-packet file: ${startup.toFixed(0)} ms), ${(((written / ts) * 1000) / 1e6).toFixed(2)} M packets/s`,
  );
  console.log(
    `ratio tshark/ours: ${(ts / ours).toFixed(1)}x (net of tshark start-up: ${((ts - startup) / ours).toFixed(1)}x)`,
  );
  console.log(`lost counts per stream agree with tshark: ${agree}`);
  if (!agree) console.log(`ours:   ${oursLost}\ntshark: ${tsLost}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
