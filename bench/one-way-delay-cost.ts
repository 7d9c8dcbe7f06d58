/**
 * CPU cost of the one-way delay measurement of one direction of a call
 * (harness/media/analysis/one-way-delay.ts), as every audio check of the plan and every call of
 * `sbc-harness load` runs it at the end of the call, on the event loop:
 *
 *   node bin/run-ts.js bench/one-way-delay-cost.ts [seconds=5,30] [runs=5]
 *
 * Input: a marked tone (harness/actors/marked-tone-source.ts) sent in 20 ms packets at 16 kHz
 * for each length in `seconds` (the delay probe keeps at most 30 s), received 40 ms later
 * through A-law with ±5 ms of jitter, 1 % of the packets lost (the gap filled with silence) and
 * a sender that skipped 200 ms of slots halfway. Measured: the default search (each window near
 * the lag the windows before it agreed on) and `nearMs: 0` (every window against the whole
 * sent envelope, as the estimator searched before December 2026), the same input, alternating,
 * CPU time of this process (process.cpuUsage), medians of `runs`. Both must find the delay.
 */
import { pcma } from '../codecs/index.ts';
import { markedToneSource } from '../harness/actors/marked-tone-source.ts';
import { Resampler } from '../harness/actors/resample.ts';
import { createPrng, measureOneWayDelay, TimedRecorder } from '../harness/media/analysis/index.ts';

const FS = 16000;
const lengths = (process.argv[2] ?? '5,30')
  .split(',')
  .map((s) => Math.round(Number(s)))
  .filter((s) => s >= 1 && s <= 30);
const runs = Math.min(Math.max(Math.round(Number(process.argv[3] ?? 5)) || 5, 1), 11);

function simulate(seconds: number) {
  const src = markedToneSource(900, FS, 7);
  const sent = new TimedRecorder(FS);
  const received = new TimedRecorder(FS);
  const prng = createPrng(3);
  const down = new Resampler(FS, 8000);
  const up = new Resampler(8000, FS);
  const enc = pcma.createEncoder();
  const dec = pcma.createDecoder();
  const packets = seconds * 50;
  const skipFrom = Math.floor(packets / 2);
  let gap = 0;
  let last = 0;
  for (let k = 0; k < packets; k++) {
    const t = 1000 + 20 * k;
    if (k >= skipFrom && k < skipFrom + 10) {
      gap += 320;
      continue;
    }
    const pcm = src.next(320)!;
    sent.push(pcm, t);
    const coded = up.process(dec.decode(enc.encode(down.process(pcm))));
    if (prng.next() < 0.01) {
      gap += 320;
      continue;
    }
    const at = Math.max(last, t + 40 + prng.uniform(-5, 5));
    last = at;
    if (gap > 0) received.push(new Int16Array(gap), at);
    gap = 0;
    received.push(coded, at);
  }
  return { sent: sent.signal(), received: received.signal() };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
console.log(
  '| call length | search | CPU ms per direction (median) | per run | delay found ms | windows matched / tried |',
);
console.log('|---|---|---|---|---|---|');
for (const seconds of lengths) {
  const { sent, received } = simulate(seconds);
  measureOneWayDelay(sent, received); // warm-up (JIT)
  const cost: Record<'near' | 'whole', number[]> = { near: [], whole: [] };
  const last: Record<string, ReturnType<typeof measureOneWayDelay>> = {};
  for (let r = 0; r < runs; r++) {
    for (const kind of r % 2 === 0 ? (['near', 'whole'] as const) : (['whole', 'near'] as const)) {
      const t = process.cpuUsage();
      const d = measureOneWayDelay(sent, received, kind === 'whole' ? { nearMs: 0 } : {});
      const u = process.cpuUsage(t);
      cost[kind].push((u.user + u.system) / 1000);
      last[kind] = d;
    }
  }
  for (const kind of ['near', 'whole'] as const) {
    const d = last[kind]!;
    if (!d.found) {
      console.error(`${seconds} s, ${kind}: no delay found (${d.reason})`);
      process.exitCode = 1;
    }
    console.log(
      `| ${seconds} s | ${kind === 'near' ? 'near the known lag (default)' : 'whole envelope per window (nearMs: 0)'} | ${median(cost[kind]).toFixed(1)} | ${cost[kind].map((c) => c.toFixed(0)).join(', ')} | ${d.delayMs.toFixed(1)} | ${d.windows.matched} / ${d.windows.tried} |`,
    );
  }
  console.log(
    `| ${seconds} s | ratio whole / near | **${(median(cost.whole) / median(cost.near)).toFixed(1)}** | | | |`,
  );
}
