/**
 * A picture of received audio for the evidence report: a WAV file (as the harness writes
 * them: PCM 16-bit, mono or more channels) drawn as an SVG min/max waveform, one column per
 * pixel. A file that is not such a WAV gives a typed error, never an exception.
 */
import { escapeHtml } from './html-escape.ts';

export interface WavPcm {
  sampleRate: number;
  channels: number;
  /** First channel, as 16-bit samples. */
  samples: Int16Array;
}

export type WavResult = { ok: true; wav: WavPcm } | { ok: false; error: string };

/** Reads a PCM 16-bit WAV file's first channel. Truncated data is read as far as it goes. */
export function readWavPcm16(bytes: Uint8Array): WavResult {
  if (bytes.length < 12) return { ok: false, error: 'shorter than a RIFF header' };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return { ok: false, error: 'not a RIFF/WAVE file' };
  let at = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  for (let chunks = 0; at + 8 <= bytes.length && chunks < 64; chunks++) {
    const id = tag(at);
    const size = dv.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) return { ok: false, error: 'fmt chunk too short' };
      fmt = {
        format: dv.getUint16(body, true),
        channels: dv.getUint16(body + 2, true),
        rate: dv.getUint32(body + 4, true),
        bits: dv.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) return { ok: false, error: 'data chunk before fmt chunk' };
      const pcm = fmt.format === 1 || (fmt.format === 0xfffe && size > 0);
      if (!pcm || fmt.bits !== 16)
        return { ok: false, error: `not 16-bit PCM (format ${fmt.format}, ${fmt.bits} bits)` };
      if (fmt.channels < 1 || fmt.rate < 1) return { ok: false, error: 'no channels or no sample rate' };
      const end = Math.min(bytes.length, body + size);
      const frame = 2 * fmt.channels;
      const n = Math.max(0, Math.floor((end - body) / frame));
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = dv.getInt16(body + i * frame, true);
      return { ok: true, wav: { sampleRate: fmt.rate, channels: fmt.channels, samples } };
    }
    at = body + size + (size & 1);
  }
  return { ok: false, error: 'no data chunk' };
}

export interface WaveformOptions {
  width?: number;
  height?: number;
  /** Accessible name of the picture (e.g. the file name). */
  label: string;
}

/** Draws the samples as min/max columns; an empty signal gives a flat line. */
export function waveformSvg(wav: WavPcm, o: WaveformOptions): string {
  const width = Math.max(50, Math.min(2000, Math.round(o.width ?? 640)));
  const height = Math.max(30, Math.min(600, Math.round(o.height ?? 90)));
  const mid = height / 2;
  const n = wav.samples.length;
  let peak = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = wav.samples[i]!;
    const a = Math.abs(v);
    if (a > peak) peak = a;
    sumSq += v * v;
  }
  const rms = n > 0 ? Math.sqrt(sumSq / n) : 0;
  const db = (v: number) => (v > 0 ? `${(20 * Math.log10(v / 32768)).toFixed(1)} dBFS` : '−∞ dBFS');
  const seconds = wav.sampleRate > 0 ? n / wav.sampleRate : 0;
  const cols: string[] = [];
  if (n > 0) {
    const per = n / width;
    for (let x = 0; x < width; x++) {
      const from = Math.floor(x * per);
      const to = Math.max(from + 1, Math.floor((x + 1) * per));
      let lo = 0;
      let hi = 0;
      for (let i = from; i < to && i < n; i++) {
        const v = wav.samples[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const y1 = mid - (hi / 32768) * mid;
      const y2 = mid - (lo / 32768) * mid;
      cols.push(`M${x + 0.5} ${y1.toFixed(1)}V${Math.max(y2, y1 + 0.5).toFixed(1)}`);
    }
  }
  const caption = `${seconds.toFixed(2)} s at ${wav.sampleRate} Hz, peak ${db(peak)}, RMS ${db(rms)}`;
  return (
    `<figure class="waveform"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`waveform of ${o.label}: ${caption}`)}">` +
    `<line class="axis" x1="0" y1="${mid}" x2="${width}" y2="${mid}"/>` +
    `<path class="wave" d="${cols.join('')}"/></svg>` +
    `<figcaption>${escapeHtml(o.label)}: ${escapeHtml(caption)}</figcaption></figure>`
  );
}
