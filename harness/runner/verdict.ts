/**
 * The results model: verdicts, checks and cells. Verdicts are the IWR's OK, NOK and N/A, plus
 * two that are never counted as one of those three (docs/verdicts.md):
 * - ERROR: the harness itself failed (our bug, our own timeout);
 * - INCOMPLETE: the case could not be fully judged here — an SBC setting it needs was applied
 *   by nobody (no adapter could, the engineer was not asked or could not), this host lacks
 *   what the case needs (a codec library), or this process itself stalled in every window a
 *   check listened to (listen-window.ts). What could be judged was, and passed; the cell names
 *   what was not judged and why. The feature may well apply to the product, so it is not N/A.
 */
export type Verdict = 'OK' | 'NOK' | 'N/A' | 'ERROR' | 'INCOMPLETE';

/** One check of a case: what was expected, what was seen, and what shows it. */
export interface CheckRecord {
  /** Short name, e.g. "codec on the provider leg". */
  name: string;
  ok: boolean;
  expected: string;
  observed: string;
  /** The sentence a certification engineer would write when this check fails. */
  failure?: string;
  /** References to evidence: files in the run folder, message or packet descriptions. */
  evidence?: string[];
  atMs: number;
  /**
   * False when the check depends on an SBC setting that nobody applied, the engineer answered
   * N/A, a rule was waived by the case, or a stall of this process could have made its outcome
   * in every window it listened to: it is recorded with what was seen, but counts neither for
   * nor against the SBC (`notJudged` says why).
   */
  judged?: false;
  notJudged?: string;
  /** Who judged it: the harness (default, absent) or the engineer (real equipment, docs/real-equipment.md). */
  by?: 'engineer';
  /** The engineer's own words with the answer. */
  comment?: string;
}

export interface CellEvidence {
  /** SIP and RTP of the case, relative to the run folder. */
  pcap?: string;
  /** SIP messages in order (text), relative to the run folder. */
  sip?: string;
  /** The same messages as JSON (`SipEvidenceMessage[]`), for ladder diagrams. */
  sipJson?: string;
  /** Received audio of the audio checks (WAV), relative to the run folder. */
  audio?: string[];
  /** Further files. */
  files?: string[];
}

/** One SIP message of a case, as the reports draw it. */
export interface SipEvidenceMessage {
  wallMs: number;
  protocol: string;
  src: { address: string; port: number };
  dst: { address: string; port: number };
  /** First line ("INVITE sip:… SIP/2.0", "SIP/2.0 200 OK"). */
  summary: string;
  text: string;
  /** Why it could not be parsed, when it could not. */
  error?: string;
}

/** One RTP stream as measured by an audio check. */
export interface StreamRow {
  from: string;
  to: string;
  codec: string;
  packets: number;
  lost: number;
  jitterMs: number;
  mos: number;
  /** Level of the expected tone in what arrived (Goertzel amplitude). */
  toneLevel: number;
  /** One-way delay from the sending leg to this one, ms (median over packets); absent when not measured. */
  delayMs?: number;
}

/** One digit of a DTMF check: sent and received, with the mode. */
export interface DtmfRow {
  digit: string;
  sentMode: string;
  sentAtMs?: number;
  receivedAs?: string;
  receivedAtMs?: number;
}

export interface Cell {
  id: string;
  section: string;
  title: string;
  verdict: Verdict;
  comment: string;
  checks: CheckRecord[];
  evidence: CellEvidence;
  /** Human answers in interactive mode, and engineer confirmations of SBC preconditions. */
  answers?: Array<{ question: string; answer: string }>;
  /**
   * Why the cell is INCOMPLETE: each SBC setting nobody applied (with the checks it left
   * unjudged), host limitation, or stall of this process in every window listened to, one
   * sentence each.
   */
  incomplete?: string[];
  /** Measurements behind the checks, for the evidence report. */
  data?: { streams?: StreamRow[]; dtmf?: DtmfRow[] };
  startedAt: string;
  durationMs: number;
  /** CPU time the harness process used during the case (meaningful with one worker). */
  cpuMs?: number;
}

/**
 * Exit code of a run: 0 every cell OK or N/A, 1 a cell is NOK, 2 a cell is ERROR, 3 no NOK or
 * ERROR but a cell is INCOMPLETE (the plan was not fully judged).
 */
export function exitCodeFor(cells: readonly Cell[]): number {
  if (cells.some((c) => c.verdict === 'ERROR')) return 2;
  if (cells.some((c) => c.verdict === 'NOK')) return 1;
  if (cells.some((c) => c.verdict === 'INCOMPLETE')) return 3;
  return 0;
}
