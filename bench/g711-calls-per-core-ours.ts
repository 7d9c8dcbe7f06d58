/**
 * One step of bench/g711-calls-per-core.ts, ours: N two-way G.711 (PCMA, 20 ms) calls in this
 * one process, each made of two MediaLegs (the harness's own, as `load` uses them) that
 * negotiate by offer/answer, play a tone each way for the hold time and check what arrived.
 *
 *   node bin/run-ts.js bench/g711-calls-per-core-ours.ts N holdMs addressA addressB
 *
 * The caller side binds on addressA, the callee side on addressB (loopback). Per direction it
 * checks: the packets received against those the hold time carries, RFC 3550 loss and jitter
 * (the leg's own receiver), and the tone: SINAD at its frequency over the middle of what was
 * recorded (1 kHz caller → callee, 1.5 kHz back). Prints one JSON line on stdout:
 * { n, directions, heard, minSinadDb, lost, receivedShare, jitterP99Ms, cpuShare, openMs }.
 */
import { pcma } from '../codecs/index.ts';
import { toneSinadDb } from '../codecs/signal-metrics.ts';
import { MediaLeg, toneSource } from '../harness/actors/index.ts';

const N = Math.min(Math.max(Math.round(Number(process.argv[2]) || 1), 1), 2000);
const HOLD_MS = Math.min(Math.max(Math.round(Number(process.argv[3]) || 8000), 1000), 60_000);
const A = process.argv[4] ?? '127.0.63.1';
const B = process.argv[5] ?? '127.0.63.2';
/** A direction counts as heard when its tone's SINAD is at least this (G.711 gives ~35 dB). */
const HEARD_SINAD_DB = 20;

void pcma; // the codec registry is loaded with the codecs index
const prefs = { codecs: ['PCMA' as const], telephoneEvent: false, ptimeMs: 20 };
const t0 = performance.now();
const legs: Array<[MediaLeg, MediaLeg]> = [];
for (let i = 0; i < N; i++) {
  const a = await MediaLeg.open({ localAddress: A, prefs, maxRecordSeconds: HOLD_MS / 1000 + 2 });
  const b = await MediaLeg.open({ localAddress: B, prefs, maxRecordSeconds: HOLD_MS / 1000 + 2 });
  const answer = b.acceptOffer(a.createOffer());
  if (!answer.ok) throw new Error(`offer refused: ${answer.reason}`);
  const applied = a.acceptAnswer(answer.answer);
  if (!applied.ok) throw new Error(`answer refused: ${applied.reason}`);
  legs.push([a, b]);
}
const openMs = performance.now() - t0;
const sentBefore = legs.map(([a, b]) => [a.stats().sent, b.stats().sent]);
const cpu0 = process.cpuUsage();
const w0 = performance.now();
for (const [a, b] of legs) {
  a.play(toneSource(1000, 8000));
  b.play(toneSource(1500, 8000));
}
await new Promise((r) => setTimeout(r, HOLD_MS));
for (const [a, b] of legs) {
  a.stopPlaying();
  b.stopPlaying();
}
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - w0;
await new Promise((r) => setTimeout(r, 300)); // the last packets in flight

const expected = Math.floor(HOLD_MS / 20);
let heard = 0;
let lost = 0;
let minSinad = Number.POSITIVE_INFINITY;
let minShare = Number.POSITIVE_INFINITY;
let sentMin = Number.POSITIVE_INFINITY;
const jitters: number[] = [];
legs.forEach(([a, b], i) => {
  for (const [rx, freq, k] of [
    [b, 1000, 0],
    [a, 1500, 1],
  ] as const) {
    const st = rx.stats();
    const rec = rx.receivedAudio();
    const s = rec.samples;
    const mid = s.subarray(Math.floor(s.length * 0.25), Math.floor(s.length * 0.75));
    const sinad = mid.length > 0 ? toneSinadDb(mid, rec.sampleRate, freq) : Number.NEGATIVE_INFINITY;
    if (sinad >= HEARD_SINAD_DB) heard++;
    minSinad = Math.min(minSinad, sinad);
    lost += st.lost;
    minShare = Math.min(minShare, st.received / expected);
    jitters.push(st.jitterMs);
    const tx = k === 0 ? a : b;
    sentMin = Math.min(sentMin, tx.stats().sent - (sentBefore[i]?.[k] ?? 0));
  }
});
jitters.sort((x, y) => x - y);
const p99 = jitters[Math.min(jitters.length - 1, Math.ceil(0.99 * jitters.length) - 1)] ?? 0;
await Promise.all(legs.flat().map((l) => l.close()));
process.stdout.write(
  `${JSON.stringify({
    n: N,
    directions: 2 * N,
    heard,
    minSinadDb: Number.isFinite(minSinad) ? Math.round(minSinad * 10) / 10 : minSinad,
    lost,
    receivedShare: Math.round(minShare * 1000) / 1000,
    sentShare: Math.round((sentMin / expected) * 1000) / 1000,
    jitterP99Ms: Math.round(p99 * 1000) / 1000,
    cpuShare: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 1000,
    openMs: Math.round(openMs),
  })}\n`,
);
process.exit(0);
