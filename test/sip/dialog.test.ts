/**
 * Dialog state that outlives the call: a terminated dialog is kept 64*T1 by the user agent for
 * late retransmissions, so it lets go of what no later request can use.
 */
import { describe, expect, it } from 'vitest';
import { Dialog } from '../../harness/sip/dialog.ts';
import type { SipRequest } from '../../harness/sip/message.ts';
import { parseMessage } from '../../harness/sip/parser.ts';
import type { Flow } from '../../harness/sip/transport.ts';

const FLOW: Flow = {
  protocol: 'UDP',
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.2', port: 5060 },
};

function invite(): SipRequest {
  const r = parseMessage(
    'INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKdlg1\r\nMax-Forwards: 70\r\n' +
      'From: <sip:a@h>;tag=a1\r\nTo: <sip:bob@h>\r\nCall-ID: dlg-test\r\nCSeq: 1 INVITE\r\n' +
      'Contact: <sip:a@127.0.0.2:5060>\r\nAllow: INVITE, ACK, BYE, CANCEL, UPDATE\r\nContent-Length: 0\r\n\r\n',
  );
  if (!r.ok) throw new Error(r.reason);
  return r.message as SipRequest;
}

describe('Dialog', () => {
  it("reads the peer's Allow list while it lasts, and lets the INVITE go when it ends", () => {
    const open = Dialog.fromUasRequest(invite(), 'b1', '<sip:bob@127.0.0.1>', FLOW, 'confirmed')!;
    expect(open.remoteAllow).toContain('UPDATE');
    open.terminate('remote');
    expect(open.remoteAllow).toContain('UPDATE'); // read before the end: kept

    const unread = Dialog.fromUasRequest(invite(), 'b2', '<sip:bob@127.0.0.1>', FLOW, 'confirmed')!;
    unread.terminate('local');
    // No request can follow a BYE in the dialog; the INVITE it would be read from is gone.
    expect(unread.remoteAllow).toEqual([]);
  });
});
