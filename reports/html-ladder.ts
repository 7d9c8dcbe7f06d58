/**
 * The SIP ladder diagram of the evidence report: one lane per actor (Provider | SBC WAN |
 * SBC LAN | OXO Connect, from the run's address → name map; an unknown address gets its own
 * lane), one arrow per message labelled with its method or status and its time, drawn as inline
 * SVG. Each arrow points at a hidden <pre> holding the full message, which the page's script
 * shows in a dialog. Input comes from a file on disk, so it is validated, never trusted.
 */
import type { SipEvidenceMessage } from '../harness/runner/verdict.ts';
import { escapeHtml } from './html-escape.ts';

/** Lanes in the order the IWR's test environment draws them, WAN side on the left. */
export const LANE_ORDER: readonly string[] = ['Provider', 'SBC WAN', 'SBC LAN', 'OXO Connect'];

/** Default cap of messages drawn per case; the rest are counted and named in the caption. */
export const DEFAULT_MAX_LADDER_MESSAGES = 400;

/** Messages per drawing of a ladder: about what fits a printed A4 page. */
export const DEFAULT_ROWS_PER_PART = 28;

export interface LadderOptions {
  /** Prefix of the element ids of this ladder (unique per case in the page). */
  idPrefix: string;
  maxMessages?: number;
  /** Messages per drawing; a long ladder is several drawings (lane heads repeated), so it prints. */
  rowsPerPart?: number;
}

export interface Ladder {
  /** Lane names, left to right. */
  lanes: string[];
  /** The diagram: one or more <svg> parts (empty when there is no valid message). */
  svg: string;
  /** Hidden <pre> elements with each drawn message's full text, ids `${idPrefix}-m${i}`. */
  texts: string;
  drawn: number;
  /** Valid messages beyond the cap, not drawn. */
  omitted: number;
  /** Entries that were not messages at all (wrong shape), skipped. */
  invalid: number;
}

interface Endpoint {
  address: string;
  port: number;
}

/** Checks the shape of one entry of a cases/<id>.sip.json file. */
export function asSipMessage(v: unknown): SipEvidenceMessage | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const src = asEndpoint(o.src);
  const dst = asEndpoint(o.dst);
  if (!src || !dst) return undefined;
  const m: SipEvidenceMessage = {
    wallMs: typeof o.wallMs === 'number' && Number.isFinite(o.wallMs) ? o.wallMs : Number.NaN,
    protocol: typeof o.protocol === 'string' ? o.protocol : '',
    src,
    dst,
    summary: typeof o.summary === 'string' ? o.summary : '',
    text: typeof o.text === 'string' ? o.text : '',
  };
  if (typeof o.error === 'string') m.error = o.error;
  return m;
}

function asEndpoint(v: unknown): Endpoint | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.address !== 'string' || o.address.length === 0) return undefined;
  const port = typeof o.port === 'number' && Number.isFinite(o.port) ? o.port : 0;
  return { address: o.address, port };
}

/** "::ffff:127.0.0.1" and "[::1]" name the same host as "127.0.0.1" and "::1". */
function normalizeAddress(a: string): string {
  let s = a.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.startsWith('::ffff:') && s.includes('.')) s = s.slice(7);
  return s;
}

/** The arrow's label: the method of a request, code and reason of a response, "(SDP)" with a body. */
export function messageLabel(m: Pick<SipEvidenceMessage, 'summary' | 'text' | 'error'>): string {
  if (m.error !== undefined && !m.summary) return 'unparsable';
  const summary = m.summary.trim();
  const status = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(summary);
  let label: string;
  if (status) label = `${status[1]} ${status[2] ?? ''}`.trim();
  else {
    const method = /^([A-Za-z!%'*+.`~_-]+)\s/.exec(summary);
    label = method?.[1] ?? (summary.slice(0, 20) || 'unparsable');
  }
  if (/^content-type\s*:\s*application\/sdp/im.test(m.text) || /^c\s*:\s*application\/sdp/im.test(m.text))
    label += ' (SDP)';
  return label;
}

function arrowClass(m: SipEvidenceMessage): string {
  if (m.error !== undefined) return 'msg-bad';
  const status = /^SIP\/2\.0\s+(\d)/i.exec(m.summary.trim());
  if (!status) return 'msg-req';
  const c = status[1];
  if (c === '1') return 'msg-1xx';
  if (c === '2') return 'msg-2xx';
  if (/^SIP\/2\.0\s+40[17]\b/i.test(m.summary.trim())) return 'msg-auth';
  return 'msg-err';
}

function clip(text: string, px: number): string {
  const max = Math.max(4, Math.floor(px / 6.4));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatOffset(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  return `+${(ms / 1000).toFixed(3)} s`;
}

/** Orders the lanes: the known lanes of the run's actors, other named actors, then unknown addresses. */
export function laneNames(
  messages: readonly SipEvidenceMessage[],
  actors: Record<string, string>,
): {
  lanes: string[];
  laneOf: (address: string) => number;
} {
  const byAddress = new Map<string, string>();
  for (const [addr, name] of Object.entries(actors ?? {}))
    if (typeof name === 'string' && name) byAddress.set(normalizeAddress(addr), name);
  const named = [...new Set(byAddress.values())];
  const lanes = [
    ...LANE_ORDER.filter((n) => named.includes(n)),
    ...named.filter((n) => !LANE_ORDER.includes(n)),
  ];
  for (const m of messages)
    for (const e of [m.src, m.dst]) {
      const a = normalizeAddress(e.address);
      if (!byAddress.has(a)) {
        byAddress.set(a, e.address);
        lanes.push(e.address);
      }
    }
  const index = new Map(lanes.map((n, i) => [n, i]));
  return {
    lanes,
    laneOf: (address) => index.get(byAddress.get(normalizeAddress(address)) ?? address) ?? 0,
  };
}

const LANE_W = 180;
const TIME_W = 78;
const HEAD_H = 44;
const ROW_H = 26;

/**
 * Draws the ladder of one case. `raw` is the parsed content of cases/<id>.sip.json (anything:
 * entries of the wrong shape are counted as invalid and skipped).
 */
export function buildLadder(raw: unknown, actors: Record<string, string>, o: LadderOptions): Ladder {
  const max = Math.max(0, Math.floor(o.maxMessages ?? DEFAULT_MAX_LADDER_MESSAGES));
  const all: SipEvidenceMessage[] = [];
  let invalid = 0;
  for (const v of Array.isArray(raw) ? raw : []) {
    const m = asSipMessage(v);
    if (m) all.push(m);
    else invalid++;
  }
  if (!Array.isArray(raw) && raw !== undefined) invalid++;
  const shown = all.slice(0, max);
  const omitted = all.length - shown.length;
  if (shown.length === 0) return { lanes: [], svg: '', texts: '', drawn: 0, omitted, invalid };

  const { lanes, laneOf } = laneNames(shown, actors);
  const width = TIME_W + lanes.length * LANE_W;
  const x = (lane: number) => TIME_W + lane * LANE_W + LANE_W / 2;
  const t0 = shown.find((m) => Number.isFinite(m.wallMs))?.wallMs ?? Number.NaN;
  const perPart = Math.max(1, Math.floor(o.rowsPerPart ?? DEFAULT_ROWS_PER_PART));

  const parts: string[] = [];
  /** Opens one part of the ladder (lane heads repeated) holding `rows` messages. */
  const openPart = (first: number, rows: number) => {
    const height = HEAD_H + (rows + 1) * ROW_H;
    parts.push(
      `<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="SIP ladder: messages ${first + 1} to ${first + rows} of ${shown.length} between ${escapeHtml(lanes.join(', '))}">`,
    );
    lanes.forEach((name, i) => {
      const cx = x(i);
      const known = LANE_ORDER.includes(name);
      parts.push(
        `<g class="lane${known ? '' : ' lane-unknown'}"><rect x="${cx - LANE_W / 2 + 6}" y="4" width="${LANE_W - 12}" height="26" rx="4"/>` +
          `<text x="${cx}" y="22" text-anchor="middle">${escapeHtml(clip(name, LANE_W - 16))}</text>` +
          `<line x1="${cx}" y1="30" x2="${cx}" y2="${height - 4}"/></g>`,
      );
    });
  };
  const texts: string[] = [];
  shown.forEach((m, i) => {
    if (i % perPart === 0) {
      if (i > 0) parts.push('</svg>');
      openPart(i, Math.min(perPart, shown.length - i));
    }
    const y = HEAD_H + ((i % perPart) + 1) * ROW_H;
    const a = laneOf(m.src.address);
    const b = laneOf(m.dst.address);
    const id = `${o.idPrefix}-m${i}`;
    const label = messageLabel(m);
    const when = formatOffset(m.wallMs - t0);
    const from = `${m.src.address}:${m.src.port}`;
    const to = `${m.dst.address}:${m.dst.port}`;
    const title = `${label} ${from} → ${to} ${m.protocol} ${when}`;
    const cls = arrowClass(m);
    let shape: string;
    let labelX: number;
    let hit: string;
    if (a === b) {
      const x1 = x(a);
      shape = `<path class="shaft" d="M${x1} ${y - 8} h34 v14 h-30" fill="none"/><polygon class="head" points="${x1},${y + 6} ${x1 + 8},${y + 2} ${x1 + 8},${y + 10}"/>`;
      labelX = x1 + 40;
      hit = `<rect class="hit" x="${x1}" y="${y - ROW_H + 4}" width="${LANE_W / 2}" height="${ROW_H}"/>`;
      parts.push(
        `<g class="msg ${cls}" data-msg="${id}" tabindex="0" role="button" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${hit}${shape}` +
          `<text class="label" x="${labelX}" y="${y - 4}">${escapeHtml(clip(label, LANE_W / 2 - 8))}</text>` +
          `<text class="time" x="4" y="${y + 4}">${escapeHtml(when)}</text></g>`,
      );
    } else {
      const x1 = x(a);
      const x2 = x(b);
      const dir = x2 > x1 ? 1 : -1;
      const tip = x2 - dir * 1;
      shape =
        `<line class="shaft" x1="${x1}" y1="${y}" x2="${tip - dir * 8}" y2="${y}"/>` +
        `<polygon class="head" points="${tip},${y} ${tip - dir * 9},${y - 4.5} ${tip - dir * 9},${y + 4.5}"/>`;
      labelX = (x1 + x2) / 2;
      const left = Math.min(x1, x2);
      hit = `<rect class="hit" x="${left}" y="${y - ROW_H + 6}" width="${Math.abs(x2 - x1)}" height="${ROW_H - 2}"/>`;
      parts.push(
        `<g class="msg ${cls}" data-msg="${id}" tabindex="0" role="button" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${hit}${shape}` +
          `<text class="label" x="${labelX}" y="${y - 5}" text-anchor="middle">${escapeHtml(clip(label, Math.abs(x2 - x1) - 10))}</text>` +
          `<text class="time" x="4" y="${y + 4}">${escapeHtml(when)}</text></g>`,
      );
    }
    const head = `${when}  ${m.protocol}  ${from} (${lanes[a]}) → ${to} (${lanes[b]})${m.error !== undefined ? `  — not parsed: ${m.error}` : ''}`;
    texts.push(
      `<pre class="sip-text" id="${id}" hidden data-title="${escapeHtml(head)}">${escapeHtml(m.text)}</pre>`,
    );
  });
  parts.push('</svg>');
  return { lanes, svg: parts.join(''), texts: texts.join('\n'), drawn: shown.length, omitted, invalid };
}
