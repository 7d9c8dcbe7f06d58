/**
 * The DTMF timeline of the evidence report: per sending mode, each digit sent and what
 * arrived (and when), as a table and, when the rows carry times, as an SVG timeline.
 */
import type { DtmfRow } from '../harness/runner/verdict.ts';
import { escapeHtml } from './html-escape.ts';

/** Checks the shape of one DTMF row from a cell (the journal is data, not trusted). */
export function asDtmfRow(v: unknown): DtmfRow | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.digit !== 'string' || typeof o.sentMode !== 'string') return undefined;
  const row: DtmfRow = { digit: o.digit, sentMode: o.sentMode };
  if (typeof o.sentAtMs === 'number' && Number.isFinite(o.sentAtMs)) row.sentAtMs = o.sentAtMs;
  if (typeof o.receivedAs === 'string') row.receivedAs = o.receivedAs;
  if (typeof o.receivedAtMs === 'number' && Number.isFinite(o.receivedAtMs))
    row.receivedAtMs = o.receivedAtMs;
  return row;
}

const ROW_H = 34;
const LEFT = 120;

/** The table and (with times) the timeline; '' when there is no valid row. */
export function dtmfTimelineHtml(raw: unknown, maxRows = 500): string {
  const rows = (Array.isArray(raw) ? raw : []).map(asDtmfRow).filter((r): r is DtmfRow => r !== undefined);
  if (rows.length === 0) return '';
  const shown = rows.slice(0, maxRows);
  const times = shown
    .flatMap((r) => [r.sentAtMs, r.receivedAtMs])
    .filter((t): t is number => t !== undefined);
  const t0 = times.length > 0 ? Math.min(...times) : 0;
  const rel = (t: number | undefined) => (t === undefined ? '—' : `${((t - t0) / 1000).toFixed(3)} s`);
  const table = [
    '<table class="dtmf"><thead><tr><th>Digit</th><th>Sent as</th><th>Sent at</th><th>Received as</th><th>Received at</th><th>Delay</th></tr></thead><tbody>',
    ...shown.map((r) => {
      const missing = r.receivedAs === undefined || r.receivedAs === '';
      const delay =
        r.sentAtMs !== undefined && r.receivedAtMs !== undefined
          ? `${Math.round(r.receivedAtMs - r.sentAtMs)} ms`
          : '—';
      return `<tr class="${missing ? 'bad' : ''}"><td>${escapeHtml(r.digit)}</td><td>${escapeHtml(r.sentMode)}</td><td>${rel(r.sentAtMs)}</td><td>${missing ? 'not received' : escapeHtml(r.receivedAs)}</td><td>${rel(r.receivedAtMs)}</td><td>${delay}</td></tr>`;
    }),
    '</tbody></table>',
  ].join('');
  const more =
    rows.length > shown.length
      ? `<p class="note">${rows.length - shown.length} more digits not shown.</p>`
      : '';
  if (times.length === 0) return table + more;

  const span = Math.max(1, Math.max(...times) - t0);
  const modes = [...new Set(shown.map((r) => r.sentMode))];
  const width = 720;
  const plotW = width - LEFT - 20;
  const height = 24 + modes.length * ROW_H + 20;
  const px = (t: number) => LEFT + ((t - t0) / span) * plotW;
  const parts: string[] = [
    `<svg class="dtmf-timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="DTMF timeline: digits sent (above the line) and received (below), per mode">`,
    `<text class="axis-label" x="${LEFT}" y="${height - 4}">0 s</text><text class="axis-label" x="${width - 20}" y="${height - 4}" text-anchor="end">${(span / 1000).toFixed(2)} s</text>`,
  ];
  modes.forEach((mode, i) => {
    const y = 24 + i * ROW_H + ROW_H / 2;
    parts.push(
      `<text class="mode" x="4" y="${y + 4}">${escapeHtml(mode.length > 16 ? `${mode.slice(0, 15)}…` : mode)}</text><line class="track" x1="${LEFT}" y1="${y}" x2="${width - 20}" y2="${y}"/>`,
    );
    for (const r of shown.filter((row) => row.sentMode === mode)) {
      if (r.sentAtMs !== undefined) {
        const x = px(r.sentAtMs);
        parts.push(
          `<g class="sent"><circle cx="${x.toFixed(1)}" cy="${y - 7}" r="3"/><text x="${x.toFixed(1)}" y="${y - 12}" text-anchor="middle">${escapeHtml(r.digit)}</text></g>`,
        );
      }
      if (r.receivedAtMs !== undefined) {
        const x = px(r.receivedAtMs);
        parts.push(
          `<g class="received"><rect x="${(x - 3).toFixed(1)}" y="${y + 4}" width="6" height="6"/><text x="${x.toFixed(1)}" y="${y + 22}" text-anchor="middle">${escapeHtml(r.receivedAs ?? '?')}</text></g>`,
        );
        if (r.sentAtMs !== undefined)
          parts.push(
            `<line class="link" x1="${px(r.sentAtMs).toFixed(1)}" y1="${y - 4}" x2="${x.toFixed(1)}" y2="${y + 4}"/>`,
          );
      }
    }
  });
  parts.push('</svg>');
  return `${parts.join('')}<p class="legend">● sent (above the track) · ■ received (below), per sending mode</p>${table}${more}`;
}
