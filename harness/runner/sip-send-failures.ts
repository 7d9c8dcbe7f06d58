/**
 * SIP of ours that could not leave this host, told apart from what the SBC did (RFC 3261 §8.1.3.1
 * makes a transport error look like a 503 to the user agent; a missing ACK or BYE looks like the
 * SBC's silence). What the simulators' transports could not send is read after a case or a call:
 * - an error of this host's own side (a full buffer, a local firewall, a closed socket, no file
 *   descriptor left: support/send-errors.ts), one of the harness itself (no system code: a
 *   message it could not serialise, no listener), or a name of the profile's own SBC addresses
 *   that did not resolve,
 *   is the harness's: the plan's cell becomes an ERROR (as with media of ours), the load's call a
 *   "harness error";
 * - any other error is about where the message went (an address the SBC's Contact, Record-Route
 *   or Via gave: no route, a broadcast address, a name that does not resolve, a connection
 *   refused): it is named, so that a case that failed says why, and is not read as the SBC
 *   leaving a request unanswered.
 */
import type { Lab } from '../actors/index.ts';
import type { SipSendFailure, TransportLayer } from '../sip/index.ts';
import { isNameLookupError, isOwnSendError } from '../support/send-errors.ts';
import type { Checks } from './checks.ts';

/** Lines listed per kind before "and N more". */
const MAX_LINES = 5;

/** One simulator's SIP transport, with the name the lines use. */
interface Sender {
  name: string;
  transport: Pick<TransportLayer, 'stats' | 'sendFailuresSince' | 'sendFailuresOfCall'>;
}

/** A failure with the simulator that could not send it. */
export type SipSendFailureOf = SipSendFailure & { sender: string };

/** The SIP transports of the lab's simulators (the provider's and the OXO's; never the SBC's own). */
export function simulatorSipSenders(lab: Lab): Sender[] {
  const out: Sender[] = [];
  if (lab.provider) out.push({ name: 'the provider simulator', transport: lab.provider.ua.transport });
  if (lab.oxo) out.push({ name: 'the OXO simulator', transport: lab.oxo.ua.transport });
  return out;
}

/** The SBC host names of the profile (lower case): a name of these that does not resolve is this host's problem. */
export function profileSbcHosts(lab: Lab): Set<string> {
  const sbc = lab.profile.sbc;
  return new Set([sbc.lan.address, sbc.wan.address].map((h) => h.toLowerCase()));
}

/** What the simulators could not send from the moment it was made: see the module's comment. */
export class SipSendWatch {
  private readonly marks: number[];

  constructor(
    private readonly senders: readonly Sender[],
    private readonly profileHosts: ReadonlySet<string> = new Set(),
  ) {
    this.marks = senders.map((s) => s.transport.stats.sendErrors);
  }

  /**
   * The failures since the watch was made; of the calls with these Call-IDs only when given
   * (kept per call, so that other calls' failures cannot push them out first).
   */
  failures(callIds?: ReadonlySet<string>): SipSendFailureOf[] {
    const out: SipSendFailureOf[] = [];
    for (const [i, s] of this.senders.entries()) {
      const mark = this.marks[i] ?? 0;
      if (!callIds) {
        for (const f of s.transport.sendFailuresSince(mark)) out.push({ ...f, sender: s.name });
        continue;
      }
      for (const id of callIds)
        for (const f of s.transport.sendFailuresOfCall(id))
          if (f.seq > mark) out.push({ ...f, sender: s.name });
    }
    return out.sort((a, b) => a.atMs - b.atMs);
  }

  /** True when the failure is this host's own (see the module's comment). */
  isOwn(f: SipSendFailure): boolean {
    return (
      f.harness === true ||
      isOwnSendError(f.code) ||
      (isNameLookupError(f.code) && this.profileHosts.has(f.address.toLowerCase()))
    );
  }

  /** This host's own failures, a line each ("the provider simulator: BYE sip:… to 127.0.0.1:5060 over UDP not sent (EPERM)"). */
  own(callIds?: ReadonlySet<string>): string[] {
    return this.split(callIds).own;
  }

  /** The other failures: where the message went (see the module's comment), a line each. */
  elsewhere(callIds?: ReadonlySet<string>): string[] {
    return this.split(callIds).elsewhere;
  }

  /** Both of the above from one reading of the failures. */
  split(callIds?: ReadonlySet<string>): { own: string[]; elsewhere: string[] } {
    const all = this.failures(callIds);
    return {
      own: lines(all.filter((f) => this.isOwn(f))),
      elsewhere: lines(all.filter((f) => !this.isOwn(f))),
    };
  }
}

function lines(failures: readonly SipSendFailureOf[]): string[] {
  const out = failures.slice(0, MAX_LINES).map(sipSendFailureLine);
  if (failures.length > MAX_LINES) out.push(`and ${failures.length - MAX_LINES} more`);
  return out;
}

/** One failure as a line of a comment. */
export function sipSendFailureLine(f: SipSendFailureOf): string {
  return `${f.sender}: ${f.what ?? 'a SIP message'} to ${f.address}:${f.port} over ${f.protocol} not sent (${f.code})`;
}

/**
 * Records, as a failed check, SIP of ours that could not go where it had to (SipSendWatch.elsewhere):
 * the reason a case that failed may give for a request or answer the SBC never got.
 */
export function recordSipSendFailures(check: Checks, elsewhere: readonly string[]): void {
  if (elsewhere.length === 0) return;
  check.that('our SIP could be sent where it had to go', false, {
    expected:
      'every SIP message of ours leaves this host (to the profile’s SBC address, or where the SBC’s Contact, Record-Route or Via said)',
    observed: elsewhere.join('; '),
    failure: `Our SIP could not be sent where it had to go, so the SBC never got it (${elsewhere.join('; ')})`,
  });
}
