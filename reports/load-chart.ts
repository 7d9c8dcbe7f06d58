/**
 * The chart of a load run: calls in flight against the target, setup time p95 and MOS
 * (p50, min) over time, as one SVG of three panels sharing the time axis. A pure function of
 * results.json's `timeline` (one sample a second).
 */
import { type LoadProgress, type LoadResult, loweredMosCodecs } from '../harness/runner/index.ts';
import { escapeHtml } from './html-escape.ts';

const W = 720;
const PANEL_H = 130;
const LEFT = 56;
const RIGHT = 16;
const TOP = 24;
const GAP = 34;

interface Series {
  name: string;
  color: string;
  value: (p: LoadProgress) => number | undefined;
  dashed?: boolean;
}

interface Panel {
  title: string;
  unit: string;
  min: number;
  max: number;
  series: Series[];
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function panel(p: Panel, samples: readonly LoadProgress[], top: number, tMax: number): string {
  const plotW = W - LEFT - RIGHT;
  const x = (t: number) => LEFT + (tMax > 0 ? (t / tMax) * plotW : 0);
  const span = p.max - p.min || 1;
  const y = (v: number) => top + PANEL_H - ((Math.min(p.max, Math.max(p.min, v)) - p.min) / span) * PANEL_H;
  const out: string[] = [];
  out.push(
    `<text x="${LEFT}" y="${top - 6}" font-size="12" font-weight="bold">${escapeHtml(p.title)}</text>`,
    `<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`,
    `<text x="${LEFT - 4}" y="${top + 10}" font-size="10" text-anchor="end">${fmt(p.max)}${escapeHtml(p.unit)}</text>`,
    `<text x="${LEFT - 4}" y="${top + PANEL_H}" font-size="10" text-anchor="end">${fmt(p.min)}${escapeHtml(p.unit)}</text>`,
  );
  let legendX = LEFT + plotW;
  for (const s of [...p.series].reverse()) {
    const pts = samples.flatMap((smp) => {
      const v = s.value(smp);
      return v === undefined || !Number.isFinite(v)
        ? []
        : [`${x(smp.elapsedS).toFixed(1)},${y(v).toFixed(1)}`];
    });
    if (pts.length > 0)
      out.push(
        `<polyline data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.color}" stroke-width="1.5"${
          s.dashed ? ' stroke-dasharray="4 3"' : ''
        } points="${pts.join(' ')}"/>`,
      );
    out.push(
      `<text x="${legendX}" y="${top - 6}" font-size="10" text-anchor="end" fill="${s.color}">${escapeHtml(s.name)}</text>`,
    );
    legendX -= 8 * s.name.length + 16;
  }
  return out.join('\n');
}

/** '; G.723.1 3.85' for each codec of the run held to less than the threshold (mosRequired). */
function loweredMosNote(r: LoadResult): string {
  return loweredMosCodecs(r.total.audio, r.thresholds.minMos)
    .map((c) => `; ${c.label} ${c.required.toFixed(2)}`)
    .join('');
}

/** The SVG chart of a load run's timeline. */
export function loadChartSvg(r: LoadResult): string {
  const samples = r.timeline;
  const tMax = samples.reduce((m, s) => Math.max(m, s.elapsedS), 0);
  const peak = samples.reduce((m, s) => Math.max(m, s.inFlight, s.concurrency), 1);
  const setupMax = samples.reduce((m, s) => Math.max(m, s.setupP95Ms ?? 0), r.thresholds.maxSetupP95Ms);
  const panels: Panel[] = [
    {
      title: 'Calls in flight',
      unit: '',
      min: 0,
      max: peak,
      series: [
        { name: 'target', color: '#888', value: (s) => s.concurrency, dashed: true },
        { name: 'in flight', color: '#1f77b4', value: (s) => s.inFlight },
      ],
    },
    {
      title: `Setup time p95 (threshold ${r.thresholds.maxSetupP95Ms} ms)`,
      unit: ' ms',
      min: 0,
      max: Math.ceil(setupMax),
      series: [
        { name: 'threshold', color: '#d62728', value: () => r.thresholds.maxSetupP95Ms, dashed: true },
        { name: 'setup p95', color: '#ff7f0e', value: (s) => s.setupP95Ms },
      ],
    },
    {
      title: `MOS (threshold ${r.thresholds.minMos}${loweredMosNote(r)})`,
      unit: '',
      min: 1,
      max: 5,
      series: [
        { name: 'threshold', color: '#d62728', value: () => r.thresholds.minMos, dashed: true },
        { name: 'MOS p50', color: '#2ca02c', value: (s) => s.mosP50 },
        { name: 'MOS min', color: '#9467bd', value: (s) => s.mosMin },
      ],
    },
  ];
  const height = TOP + panels.length * (PANEL_H + GAP) + 10;
  const body =
    samples.length === 0
      ? `<text x="${LEFT}" y="${TOP + 20}" font-size="12">No progress sample: the run lasted less than a second.</text>`
      : panels.map((p, i) => panel(p, samples, TOP + i * (PANEL_H + GAP), tMax)).join('\n');
  const axis =
    samples.length === 0
      ? ''
      : `<text x="${W - RIGHT}" y="${height - 4}" font-size="10" text-anchor="end">time: 0 to ${fmt(Math.round(tMax))} s</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">
${body}
${axis}
</svg>
`;
}
