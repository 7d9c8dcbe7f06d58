/**
 * REFER (RFC 3515) with its implicit subscription: Refer-To with an embedded Replaces for
 * attended transfer (RFC 3891), and NOTIFY bodies of type message/sipfrag that report the
 * progress of the referred call.
 */
import type { Dialog } from './dialog.ts';
import { formatReplaces, type Replaces } from './header-values.ts';
import type { RequestOutcome, UserAgent } from './user-agent.ts';

/**
 * A Refer-To value; with `replaces`, the target URI carries `?Replaces=` (escaped) for attended
 * transfer. "@" stays escaped as %40: a URI header value may not hold it (RFC 3261 §25.1 hvalue),
 * as RFC 3891 §6.1's example shows (`Replaces=12345%40192.168.118.3%3Bto-tag...`).
 */
export function referToValue(targetUri: string, replaces?: Replaces): string {
  if (!replaces) return `<${targetUri}>`;
  const escaped = encodeURIComponent(formatReplaces(replaces));
  return `<${targetUri}?Replaces=${escaped}>`;
}

/** The Replaces of a Refer-To URI's headers, unescaped, if any. */
export function replacesFromReferTo(referTo: string): string | undefined {
  const m = /[?&]Replaces=([^&>]*)/i.exec(referTo);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** message/sipfrag body for a status line (RFC 3420). */
export function sipfrag(status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason}\r\n`;
}

/** The status code of a message/sipfrag body, or undefined when it is not a status line. */
export function sipfragStatus(body: string): number | undefined {
  const m = /^SIP\/2\.0 (\d{3})\b/.exec(body.trimStart());
  return m ? Number(m[1]) : undefined;
}

/** Sends REFER in a dialog. */
export function sendRefer(
  ua: UserAgent,
  dialog: Dialog,
  referTo: string,
  referredBy?: string,
): Promise<RequestOutcome> {
  const headers: Array<[string, string]> = [['Refer-To', referTo]];
  if (referredBy) headers.push(['Referred-By', referredBy]);
  return ua.requestInDialog(dialog, 'REFER', { headers });
}

/** Sends the NOTIFY that reports a referred call's progress; `final` ends the implicit subscription. */
export function notifyReferProgress(
  ua: UserAgent,
  dialog: Dialog,
  status: number,
  reason: string,
): Promise<RequestOutcome> {
  const final = status >= 200;
  return ua.requestInDialog(dialog, 'NOTIFY', {
    headers: [
      ['Event', 'refer'],
      ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
    ],
    body: sipfrag(status, reason),
    contentType: 'message/sipfrag;version=2.0',
  });
}
