/**
 * The provider's IVR with DTMF return: it answers, plays a prompt tone, and sends back every
 * digit it receives in the mode it arrived (RFC 4733 → RFC 4733, inband → inband, SIP INFO →
 * SIP INFO), so a caller can check both directions of DTMF. Received and returned digits are
 * recorded per call as evidence.
 */
import { toneSource } from './audio-sources.ts';
import type { Call, CallAudioSource, CallDtmfMode } from './call.ts';
import { type PhoneHost, PstnPhone, type PstnPhoneOptions } from './pstn-phone.ts';

/** Options of the IVR. */
export interface IvrOptions extends Omit<PstnPhoneOptions, 'behaviour'> {
  /** The prompt played on answer; default {@link IVR_PROMPT_HZ} for {@link IVR_PROMPT_MS}; null: none. */
  prompt?: (() => CallAudioSource) | null;
  /** Pause between a digit's arrival (detection) and its return, ms (default 300). */
  echoDelayMs?: number;
  /** Duration of returned digits, ms (default 120). */
  digitDurationMs?: number;
  /** How often received media digits are looked for, ms (default 20). */
  pollMs?: number;
}

/** Frequency of the default prompt tone, Hz. */
export const IVR_PROMPT_HZ = 1000;
/** Length of the default prompt tone, ms. */
export const IVR_PROMPT_MS = 800;

/** One digit the IVR received or sent back. */
export interface IvrDigit {
  callId: string;
  digit: string;
  mode: CallDtmfMode;
  atMs: number;
  /** For sent digits: the INFO's final status, or 200 for media modes (unset while sending). */
  status?: number;
}

/** The DTMF-return IVR. */
export class Ivr extends PstnPhone {
  readonly received: IvrDigit[] = [];
  readonly sent: IvrDigit[] = [];
  private readonly ivrOpts: IvrOptions;

  constructor(host: PhoneHost, opts: IvrOptions) {
    super(host, { ...opts, behaviour: { kind: 'answer' } });
    this.ivrOpts = opts;
  }

  /** Digits received on one call, in order, as a string ("123#"). */
  receivedDigits(call?: Call): string {
    return this.received
      .filter((d) => !call || d.callId === call.id)
      .map((d) => d.digit)
      .join('');
  }

  /** Digits sent back on one call, in order. */
  sentDigits(call?: Call): string {
    return this.sent
      .filter((d) => !call || d.callId === call.id)
      .map((d) => d.digit)
      .join('');
  }

  protected override onEstablished(call: Call): void {
    const clock = this.host.clock;
    const delay = this.ivrOpts.echoDelayMs ?? 300;
    const dur = this.ivrOpts.digitDurationMs ?? 120;
    const poll = Math.max(5, this.ivrOpts.pollMs ?? 20);
    const prompt =
      this.ivrOpts.prompt === undefined
        ? () => toneSource(IVR_PROMPT_HZ, 16000, -16, IVR_PROMPT_MS)
        : this.ivrOpts.prompt;
    if (prompt) call.media.play(prompt());
    // One queue per call, so returned digits keep their order and never overlap.
    let queue = Promise.resolve();
    const echo = (digit: string, mode: CallDtmfMode) => {
      this.received.push({ callId: call.id, digit, mode, atMs: clock.now() });
      queue = queue.then(async () => {
        await new Promise<void>((r) => clock.setTimeout(r, delay));
        if (call.state !== 'established') return;
        // Recorded when handed over; the status follows when the send completes.
        const rec: IvrDigit = { callId: call.id, digit, mode, atMs: clock.now() };
        this.sent.push(rec);
        try {
          rec.status = await call.sendDtmf(digit, mode, dur);
        } catch {
          rec.status = 500;
        }
      });
    };
    call.on('info-dtmf', (digit) => echo(digit, 'info'));
    // Media digits: look at the leg's list; bounded by the call's life.
    let seen = 0;
    const tick = () => {
      if (call.state !== 'established') return;
      const list = call.media.dtmfReceived;
      while (seen < list.length) {
        const d = list[seen++]!;
        echo(d.digit, d.mode);
      }
      clock.setTimeout(tick, poll);
    };
    clock.setTimeout(tick, poll);
  }
}
