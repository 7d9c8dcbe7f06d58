/**
 * An extension of the simulated OXO Connect: Premium Deskphone 1/2, the remote-worker
 * deskphone, the analog FXS-1 port or the attendant. It has a DID, an internal number, a state
 * (free, busy, dnd, unplugged), codec preferences (default G.722, G.711 A, G.711 µ, G.729,
 * G.723, no VAD) and its calls. Hold plays the OXO's music on hold; switching between two
 * calls holds one and resumes the other. DTMF via SIP INFO is never sent (OXO lacks it).
 */
import { EventEmitter } from 'node:events';
import type { SipRequest } from '../sip/index.ts';
import type { Call, CallAudioSource, CallDtmfMode, CallMediaPrefs } from './call.ts';
import { boundHistory, callOver, DEFAULT_CALL_HISTORY, DEFAULT_RING_TIMEOUT_MS } from './call-history.ts';
import type { DisplayLine } from './display.ts';
import { Handset } from './handset.ts';

/** The extensions of the plan. */
export type ExtensionId = 'deskphone1' | 'deskphone2' | 'remote' | 'fxs1' | 'attendant';

export type ExtensionState = 'free' | 'busy' | 'dnd' | 'unplugged';

/** OXO deskphone codec order, without VAD. */
export const OXO_DEFAULT_PREFS: CallMediaPrefs = {
  codecs: ['G722', 'PCMA', 'PCMU', 'G729', 'G723'],
  telephoneEvent: true,
};

/** Options of one extension. */
export interface ExtensionOptions {
  id: ExtensionId;
  /** External number the provider/SBC sends for it (the Request-URI user on the trunk). */
  did: string;
  /** Internal (short) number, e.g. "101". */
  internalNumber: string;
  /** Name shown to called parties. */
  name?: string;
  prefs?: CallMediaPrefs;
  /** 'auto' answers incoming calls (after `answerDelayMs`); 'manual' leaves them ringing. Default 'auto'. */
  answer?: 'auto' | 'manual';
  answerDelayMs?: number;
  /** Simultaneous calls it takes (multi-line); default 1. */
  lines?: number;
  /** Calls kept in `calls` before the oldest ended ones are dropped (default {@link DEFAULT_CALL_HISTORY}). */
  history?: number;
  /** An incoming call nobody answers is rejected with 480 after this long, ms (default 3 min; 0: never). */
  ringTimeoutMs?: number;
}

/** An internal call between two extensions: no SIP crosses the trunk. */
export interface InternalCall {
  kind: 'internal';
  from: ExtensionId;
  to: ExtensionId;
  atMs: number;
  /** False when the called extension was not free. */
  connected: boolean;
}

/** What an extension asks of its PBX. */
export interface ExtensionHost {
  placeCall(ext: Extension, dialled: string, prefs?: CallMediaPrefs): Promise<Call | InternalCall>;
  musicOnHold(): CallAudioSource | undefined;
  recordInfoRefused(ext: Extension, digit: string): void;
  /** Monotonic ms for the handset's audio (default performance.now()). */
  now?(): number;
}

export interface ExtensionEvents {
  /** A call was delivered to this extension (ringing). */
  incoming: [Call, DisplayLine];
}

/** One OXO extension. */
export class Extension extends EventEmitter<ExtensionEvents> {
  readonly id: ExtensionId;
  readonly did: string;
  readonly internalNumber: string;
  name: string;
  state: ExtensionState = 'free';
  prefs: CallMediaPrefs;
  /**
   * The preferences of one incoming trunk call, chosen by its INVITE (undefined: `prefs`); set
   * by a load run that gives one call codecs of its own while the extension's other calls keep
   * theirs.
   */
  incomingPrefs: ((invite: SipRequest) => CallMediaPrefs | undefined) | undefined;
  answerMode: 'auto' | 'manual';
  answerDelayMs: number;
  lines: number;
  /**
   * The trunk calls of this extension, incoming and outgoing: at most `history` (the oldest ended
   * calls are dropped past that, with their recorded audio; a live call never is).
   */
  readonly calls: Call[] = [];
  /** Calls kept in `calls` before the oldest ended ones are dropped; display lines kept in `displays`. */
  history: number;
  /** An incoming call still ringing after this long, ms, is rejected with 480 (0: never). */
  ringTimeoutMs: number;
  /** What the display showed for each incoming call, in order (the most recent `history`). */
  readonly displays: DisplayLine[] = [];
  /** The set's handset, for audio that stays inside the PBX (internal calls, conference, transfer). */
  readonly handset: Handset;
  private waiters: Array<(c: Call) => void> = [];
  private pending: Call[] = [];
  private readonly initial: ExtensionOptions;

  constructor(
    private readonly host: ExtensionHost,
    opts: ExtensionOptions,
  ) {
    super();
    this.id = opts.id;
    this.did = opts.did;
    this.internalNumber = opts.internalNumber;
    this.name = opts.name ?? opts.id;
    this.prefs = opts.prefs ?? OXO_DEFAULT_PREFS;
    this.answerMode = opts.answer ?? 'auto';
    this.answerDelayMs = opts.answerDelayMs ?? 0;
    this.lines = Math.max(1, opts.lines ?? 1);
    this.initial = opts;
    this.history = opts.history ?? DEFAULT_CALL_HISTORY;
    this.ringTimeoutMs = opts.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS;
    const now = host.now ? () => host.now?.() ?? performance.now() : () => performance.now();
    this.handset = new Handset(this.name, now);
  }

  /** Calls that are ringing or established. */
  get activeCalls(): Call[] {
    return this.calls.filter(
      (c) => c.state === 'established' || c.state === 'ringing' || c.state === 'calling',
    );
  }

  /**
   * Back to the state a case starts from, when the trunk outlives a case (an external SBC):
   * free, its configured answer mode and name, the given preferences and line count; calls a
   * case left untaken are forgotten (their dialogs are the runner's to end).
   */
  resetForCase(o: { prefs?: CallMediaPrefs; lines?: number } = {}): void {
    this.state = 'free';
    this.name = this.initial.name ?? this.initial.id;
    this.answerMode = this.initial.answer ?? 'auto';
    this.answerDelayMs = this.initial.answerDelayMs ?? 0;
    if (o.prefs) this.prefs = o.prefs;
    if (o.lines !== undefined) this.lines = Math.max(1, o.lines);
    this.pending = [];
    this.waiters = [];
  }

  /** Sets the codec preference for the next calls. Returns this, for chaining. */
  prefer(codecs: CallMediaPrefs['codecs']): this {
    this.prefs = { ...this.prefs, codecs: [...codecs] };
    return this;
  }

  /**
   * Dials: "0…" (the profile's outside-line prefix) reaches the trunk; an internal number stays
   * inside. `prefs`: this call's own codecs (default: the extension's `prefs`).
   */
  call(dialled: string, prefs?: CallMediaPrefs): Promise<Call | InternalCall> {
    return this.host.placeCall(this, dialled, prefs);
  }

  /** The next incoming call (one already delivered and not yet taken, first). */
  nextIncoming(): Promise<Call> {
    const c = this.pending.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Called by the trunk when it delivers a call. */
  deliver(call: Call, display: DisplayLine): void {
    this.keep(call);
    this.displays.push(display);
    boundHistory(this.displays, this.history, () => true);
    const w = this.waiters.shift();
    if (w) w(call);
    else {
      this.pending.push(call);
      boundHistory(this.pending, this.history, callOver);
    }
    call.limitRinging(this.ringTimeoutMs);
    this.emit('incoming', call, display);
  }

  /** Adds a trunk call to `calls` (dropping the oldest ended ones past `history`). */
  keep(call: Call): void {
    this.calls.push(call);
    const bound = () => {
      boundHistory(this.calls, this.history, callOver);
      boundHistory(this.pending, this.history, callOver);
    };
    bound();
    // A call that ends after newer ones came is dropped then, not at the next call.
    void call.ended().then(bound);
  }

  /** Puts a call on hold with the OXO's music on hold. */
  hold(call: Call): Promise<number> {
    return call.hold(this.host.musicOnHold());
  }

  /**
   * This set is put on hold inside the PBX (an internal call held by the other party): its
   * handset hears the OXO's music on hold until the PBX feeds it something else.
   */
  hearMusicOnHold(): void {
    const moh = this.host.musicOnHold();
    if (moh) this.handset.play(moh);
    else this.handset.stopPlaying();
  }

  /** Resumes a held call. */
  resume(call: Call): Promise<number> {
    return call.resume();
  }

  /** Holds every other established call of this extension, then resumes `call` (broker's call). */
  async switchTo(call: Call): Promise<number> {
    for (const other of this.calls)
      if (other !== call && other.state === 'established' && other.localDirection === 'sendrecv')
        await this.hold(other);
    return call.localDirection === 'sendrecv' ? 200 : this.resume(call);
  }

  /**
   * Sends a DTMF digit on a call. 'info' is refused (the OXO has no DTMF via SIP INFO): nothing
   * is sent, the refusal is recorded, and 0 is returned.
   */
  async sendDtmf(call: Call, digit: string, mode: CallDtmfMode, durationMs?: number): Promise<number> {
    if (mode === 'info') {
      this.host.recordInfoRefused(this, digit);
      return 0;
    }
    return call.sendDtmf(digit, mode, durationMs);
  }
}
