/**
 * In-dialog behaviour between two user agents on loopback: re-INVITE and UPDATE target
 * refresh, INFO, REFER with NOTIFY (message/sipfrag), PRACK for reliable provisionals,
 * session timers (RFC 4028), proxy authentication (407) and out-of-order CSeq.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dialog } from '../../harness/sip/dialog.ts';
import { DigestServer } from '../../harness/sip/digest.ts';
import type { SipRequest } from '../../harness/sip/message.ts';
import { createResponse } from '../../harness/sip/message-factory.ts';
import {
  notifyReferProgress,
  referToValue,
  replacesFromReferTo,
  sendRefer,
  sipfragStatus,
} from '../../harness/sip/refer.ts';
import type { TraceEvent } from '../../harness/sip/transport.ts';
import { type IncomingInvite, UserAgent, type UserAgentOptions } from '../../harness/sip/user-agent.ts';

const FAST = { t1: 50, t2: 400, t4: 500 };
const agents: UserAgent[] = [];

async function pair(extraB: Partial<UserAgentOptions> = {}, extraA: Partial<UserAgentOptions> = {}) {
  const a = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    timers: FAST,
    contactUser: 'alice',
    ...extraA,
  });
  const b = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.0.2', port: 0 }],
    timers: FAST,
    contactUser: 'bob',
    ...extraB,
  });
  agents.push(a, b);
  return { a, b, bobUri: `sip:bob@127.0.0.2:${b.transport.bound[0]!.port}` };
}

async function connect(a: UserAgent, b: UserAgent, bobUri: string, headers: Array<[string, string]> = []) {
  const bobDialog = new Promise<Dialog>((resolve) =>
    b.once('invite', (inv) => void inv.answer('v=0\r\n').then(resolve, () => undefined)),
  );
  const out = await a.invite({ method: 'INVITE', uri: bobUri, body: 'v=0\r\n', headers }).result;
  expect(out.status).toBe(200);
  return { aliceDialog: out.dialog!, bobDialog: await bobDialog };
}

function nextRequest(d: Dialog): Promise<SipRequest> {
  return new Promise((resolve) =>
    d.once('request', (req, tx) => {
      tx.respond(createResponse(req, 200));
      resolve(req);
    }),
  );
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((u) => u.stop()));
});

describe('in-dialog requests', () => {
  it('re-INVITE with sendonly SDP (hold) reaches the peer, is answered and ACKed; CSeq increases', async () => {
    const { a, b, bobUri } = await pair();
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri);
    const before = aliceDialog.localSeq;
    const got = new Promise<SipRequest>((resolve) =>
      bobDialog.once('request', (req, tx) => {
        tx.respond(
          createResponse(req, 200, {
            headers: [['Contact', bobDialog.localContact]],
            body: 'v=0\r\na=recvonly\r\n',
            contentType: 'application/sdp',
          }),
        );
        resolve(req);
      }),
    );
    const acked = new Promise<void>((resolve) => bobDialog.once('ack', () => resolve()));
    const out = await a.reinvite(aliceDialog, 'v=0\r\na=sendonly\r\n');
    expect(out.status).toBe(200);
    expect((await got).bodyText).toContain('a=sendonly');
    await acked;
    expect(aliceDialog.localSeq).toBe(before + 1);
    expect(aliceDialog.remoteSdp).toContain('recvonly');
  });

  it('INFO carries an application/dtmf-relay body; UPDATE refreshes the remote target', async () => {
    const { a, b, bobUri } = await pair();
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri);
    const info = nextRequest(bobDialog);
    const out = await a.requestInDialog(aliceDialog, 'INFO', {
      body: 'Signal=5\r\nDuration=160\r\n',
      contentType: 'application/dtmf-relay',
    });
    expect(out.status).toBe(200);
    const req = await info;
    expect(req.contentType?.subtype).toBe('dtmf-relay');
    expect(req.bodyText).toContain('Signal=5');
    const update = new Promise<void>((resolve) =>
      aliceDialog.once('request', (r, tx) => {
        tx.respond(createResponse(r, 200, { headers: [['Contact', aliceDialog.localContact]] }));
        resolve();
      }),
    );
    const moved = '<sip:bob-moved@127.0.0.2:5999>';
    bobDialog.localContact = moved;
    await b.requestInDialog(bobDialog, 'UPDATE');
    await update;
    expect(aliceDialog.remoteTarget).toBe('sip:bob-moved@127.0.0.2:5999');
  });

  it('REFER with a Replaces target, then NOTIFY 100 and 200 as message/sipfrag', async () => {
    const { a, b, bobUri } = await pair();
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri);
    const referTo = referToValue('sip:carol@127.0.0.9', {
      callId: 'abc@h',
      toTag: 't1',
      fromTag: 'f1',
      earlyOnly: false,
    });
    const refer = new Promise<SipRequest>((resolve) =>
      bobDialog.once('request', (req, tx) => {
        tx.respond(createResponse(req, 202));
        resolve(req);
      }),
    );
    const notifies: SipRequest[] = [];
    aliceDialog.on('request', (req, tx) => {
      tx.respond(createResponse(req, 200));
      notifies.push(req);
    });
    const out = await sendRefer(a, aliceDialog, referTo, '<sip:alice@127.0.0.1>');
    expect(out.status).toBe(202);
    const got = await refer;
    expect(replacesFromReferTo(got.get('refer-to')!)).toBe('abc@h;to-tag=t1;from-tag=f1');
    await notifyReferProgress(b, bobDialog, 100, 'Trying');
    await notifyReferProgress(b, bobDialog, 200, 'OK');
    expect(notifies.map((n) => sipfragStatus(n.bodyText))).toEqual([100, 200]);
    expect(notifies[1]!.get('subscription-state')).toMatch(/^terminated/);
    expect(notifies[0]!.get('event')).toBe('refer');
  });

  it('a NOTIFY of an accepted REFER after the BYE is still answered 200 (RFC 5057 §5.2); once its subscription ended, or with none, 481', async () => {
    const { a, b, bobUri } = await pair();
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri);
    bobDialog.once('request', (req, tx) => tx.respond(createResponse(req, 202)));
    const notifies: SipRequest[] = [];
    aliceDialog.on('request', (req, tx) => {
      if (req.method === 'NOTIFY') notifies.push(req);
      tx.respond(createResponse(req, 200));
    });
    expect((await sendRefer(a, aliceDialog, referToValue('sip:carol@127.0.0.9'))).status).toBe(202);
    // The transferee ends the call first, then reports the referred call: both legal orders.
    expect((await b.bye(bobDialog)).status).toBe(200);
    expect(aliceDialog.state).toBe('terminated');
    expect((await notifyReferProgress(b, bobDialog, 100, 'Trying')).status).toBe(200);
    expect((await notifyReferProgress(b, bobDialog, 200, 'OK')).status).toBe(200);
    expect(notifies.map((n) => sipfragStatus(n.bodyText))).toEqual([100, 200]);
    expect((await notifyReferProgress(b, bobDialog, 200, 'OK')).status).toBe(481);
    // Without a REFER, the dialog ends with its BYE.
    const second = await connect(a, b, bobUri);
    expect((await b.bye(second.bobDialog)).status).toBe(200);
    expect((await notifyReferProgress(b, second.bobDialog, 200, 'OK')).status).toBe(481);
  });

  it('an in-dialog request with a lower CSeq is refused 500, an unknown dialog 481', async () => {
    const { a, b, bobUri } = await pair();
    const { aliceDialog } = await connect(a, b, bobUri);
    for (let i = 0; i < 3; i++) expect((await a.requestInDialog(aliceDialog, 'INFO')).status).toBe(200);
    aliceDialog.localSeq = 1; // the next request goes out with CSeq 2, below the 4 already seen
    expect((await a.requestInDialog(aliceDialog, 'INFO')).status).toBe(500);
    const stranger = Object.assign(Object.create(Object.getPrototypeOf(aliceDialog)), aliceDialog, {
      id: { ...aliceDialog.id, remoteTag: 'nobody' },
      routeSet: [],
    }) as Dialog;
    stranger.remoteUri = aliceDialog.remoteUri.replace(/tag=[^;]+/, 'tag=nobody');
    expect((await a.requestInDialog(stranger, 'INFO')).status).toBe(481);
  });
});

describe('PRACK and proxy authentication', () => {
  it('a reliable 183 is retransmitted until PRACK, which is answered 200', async () => {
    const { a, b, bobUri } = await pair();
    const traces: TraceEvent[] = [];
    b.transport.on('trace', (t) => traces.push(t));
    b.once('invite', (inv) => {
      inv.progress('v=0\r\n', { reliable: true });
      setTimeout(() => void inv.answer('v=0\r\n').catch(() => undefined), 300);
    });
    const out = await a.invite({ method: 'INVITE', uri: bobUri, body: 'v=0\r\n' }).result;
    expect(out.status).toBe(200);
    const inbound = traces
      .filter((t) => t.direction === 'in' && t.message?.isRequest)
      .map((t) => (t.message as SipRequest).method);
    expect(inbound).toContain('PRACK');
    const prackRes = traces.find(
      (t) => t.direction === 'out' && !t.message?.isRequest && t.message?.cseq?.method === 'PRACK',
    );
    expect((prackRes?.message as { status: number } | undefined)?.status).toBe(200);
    const r183 = out.responses.find((r) => r.status === 183);
    expect(r183?.get('require')).toBe('100rel');
    expect(r183?.get('rseq')).toMatch(/^\d+$/);
  });

  it('INVITE challenged with 407 is retried once with Proxy-Authorization', async () => {
    const { a, b, bobUri } = await pair();
    const server = new DigestServer({
      realm: 'proxy.test',
      credentials: (u: string) => (u === 'oxo' ? 'pw' : undefined),
      algorithms: ['SHA-256', 'MD5'],
    });
    b.on('invite', (inv) => {
      const v = server.verify(inv.request.get('proxy-authorization'), {
        method: 'INVITE',
        uri: inv.request.uri,
      });
      if (v.kind === 'ok') void inv.answer('v=0\r\n').catch(() => undefined);
      else
        inv.reject(407, { headers: v.challenges.map((c) => ['Proxy-Authenticate', c] as [string, string]) });
    });
    const out = await a.invite({
      method: 'INVITE',
      uri: bobUri,
      credentials: { username: 'oxo', password: 'pw' },
    }).result;
    expect(out.responses.filter((r) => r.status >= 200).map((r) => r.status)).toEqual([407, 200]);
    expect(out.dialog?.state).toBe('confirmed');
  });
});

describe('session timers (RFC 4028)', () => {
  it('the UAC refreshes at half the interval; a Session-Expires below Min-SE gets 422', async () => {
    const { a, b, bobUri } = await pair({ minSE: 1 });
    const { bobDialog } = await connect(a, b, bobUri, [
      ['Session-Expires', '2;refresher=uac'],
      ['Supported', 'timer'],
    ]);
    const refresh = await new Promise<SipRequest>((resolve) =>
      bobDialog.once('request', (req, tx) => {
        tx.respond(createResponse(req, 200, { headers: [['Contact', bobDialog.localContact]] }));
        resolve(req);
      }),
    );
    expect(['UPDATE', 'INVITE']).toContain(refresh.method);
    expect(refresh.get('session-expires')).toBe('2;refresher=uac');
    const { a: a2, bobUri: uri2 } = await pair({ minSE: 90 });
    const out = await a2.invite({ method: 'INVITE', uri: uri2, sessionExpires: 30 }).result;
    expect(out.status).toBe(422);
    expect(out.response?.get('min-se')).toBe('90');
  });

  // RFC 4028 §9: the 2xx to a session refresh carries the Session-Expires agreed, whoever
  // builds it; one without would turn the peer's timer off while ours ran on (§7.4). Before,
  // the 2xx had none, and our timer kept the first terms.
  it('a refresh from the peer sets new terms: the 2xx names them, and our timer follows', async () => {
    const { a, b, bobUri } = await pair({ minSE: 1 }, { minSE: 1 });
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri, [
      ['Session-Expires', '60;refresher=uac'],
      ['Supported', 'timer'],
    ]);
    // Alice (the SBC here) refreshes and hands the refreshing to bob (refresher=uas), 2 s.
    const handOver = await a.requestInDialog(aliceDialog, 'UPDATE', {
      headers: [
        ['Session-Expires', '2;refresher=uas'],
        ['Supported', 'timer'],
      ],
    });
    expect(handOver.status).toBe(200);
    expect(handOver.response?.get('session-expires')).toBe('2;refresher=uas');
    expect(handOver.response?.tokens('require')).not.toContain('timer');
    // Bob now refreshes, naming himself as the refresh's UAC, within the 2 s.
    const refresh = await new Promise<SipRequest>((resolve) =>
      aliceDialog.once('request', (req, tx) => {
        tx.respond(createResponse(req, 200, { headers: [['Contact', aliceDialog.localContact]] }));
        resolve(req);
      }),
    );
    expect(refresh.get('session-expires')).toBe('2;refresher=uac');
    // A refresh that keeps the refreshing with its sender: the 2xx requires timer too.
    const keep = await a.requestInDialog(aliceDialog, 'UPDATE', {
      headers: [
        ['Session-Expires', '60;refresher=uac'],
        ['Supported', 'timer'],
      ],
    });
    expect(keep.response?.get('session-expires')).toBe('60;refresher=uac');
    expect(keep.response?.tokens('require')).toContain('timer');
    expect(bobDialog.state).toBe('confirmed');
  });

  // A refresh answered 491 (it crossed a re-INVITE of ours) is tried again by its sender half an
  // interval later, after the watcher's deadline: the watcher restarts its wait on any refresh
  // that arrives, as before the terms were taken from refreshes. And a refresh's interval below
  // our Min-SE gets 422 (RFC 4028 §9), as an initial INVITE's does.
  it('a refresh answered 491 does not end the call; one below Min-SE gets 422', {
    timeout: 15_000,
  }, async () => {
    const { a, b, bobUri } = await pair({ minSE: 3 }, { minSE: 1 });
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri, [
      ['Session-Expires', '6;refresher=uac'],
      ['Supported', 'timer'],
    ]);
    let n = 0;
    bobDialog.on('request', (req, tx) => {
      n++;
      tx.respond(
        createResponse(req, n === 1 ? 491 : 200, { headers: [['Contact', bobDialog.localContact]] }),
      );
    });
    await new Promise((r) => setTimeout(r, 7000));
    expect(n).toBeGreaterThanOrEqual(2);
    expect(bobDialog.state).toBe('confirmed');
    expect(aliceDialog.state).toBe('confirmed');
    const low = await a.requestInDialog(aliceDialog, 'UPDATE', {
      headers: [
        ['Session-Expires', '1;refresher=uas'],
        ['Supported', 'timer'],
      ],
    });
    expect(low.status).toBe(422);
    expect(low.response?.get('min-se')).toBe('3');
  });

  it('when the refresher never refreshes, the other side ends the call with BYE', async () => {
    const { a, b, bobUri } = await pair({ minSE: 1 }, { refreshSessions: false });
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri, [
      ['Session-Expires', '1;refresher=uac'],
      ['Supported', 'timer'],
    ]);
    const by = await new Promise<string>((resolve) => aliceDialog.once('terminated', resolve));
    expect(by).toBe('remote');
    // The BYE came from bob's own session timer, and his dialog says so; alice's ended by a BYE.
    expect(bobDialog.localEndCause).toBe('session-expired');
    expect(aliceDialog.localEndCause).toBeUndefined();
  });

  it('a refresh answered 481 ends the session with BYE (RFC 4028 §10), Reason 408', async () => {
    const { a, b, bobUri } = await pair({ minSE: 1 });
    const { aliceDialog, bobDialog } = await connect(a, b, bobUri, [
      ['Session-Expires', '2;refresher=uac'],
      ['Supported', 'timer'],
    ]);
    // Bob no longer knows the dialog's refreshes; his BYE handling stays the user agent's.
    bobDialog.on('request', (req, tx) => tx.respond(createResponse(req, 481)));
    const bye = new Promise<SipRequest>((resolve) =>
      b.transport.on('trace', (t) => {
        const m = t.message;
        if (t.direction === 'in' && m?.isRequest && (m as SipRequest).method === 'BYE')
          resolve(m as SipRequest);
      }),
    );
    expect((await bye).get('reason')).toMatch(/cause=408/);
    expect(aliceDialog.state).toBe('terminated');
    expect(aliceDialog.localEndCause).toBe('session-expired');
  });
});

/** Our user agent and a bare UDP socket on 127.0.0.7 that the test answers from by hand. */
async function agentAndRawPeer(timers: UserAgentOptions['timers'] = FAST) {
  const dgram = await import('node:dgram');
  const a = await UserAgent.start({
    listen: [{ protocol: 'UDP', address: '127.0.0.1', port: 0 }],
    timers,
  });
  agents.push(a);
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.7', () => r()));
  const port = peer.address().port;
  return { a, peer, port, contact: `Contact: <sip:callee@127.0.0.7:${port}>\r\n` };
}

/** What the raw peer reads of a datagram: its text, method (or "SIP/2.0"), CSeq number and header values. */
function readRaw(m: Buffer | string) {
  const text = m.toString();
  const header = (n: string) => new RegExp(`^${n}: (.*)$`, 'mi').exec(text)?.[1] ?? '';
  return { text, method: text.split(' ')[0]!, cseq: /^CSeq: (\d+)/m.exec(text)?.[1] ?? '', header };
}

/** A response to the request `text`, by hand: Via, From, To (+ `toTag`), Call-ID and CSeq copied, then `extra` lines. */
function rawReply(text: string, status: string, toTag = '', extra = ''): string {
  const { header } = readRaw(text);
  return `SIP/2.0 ${status}\r\nVia: ${header('Via')}\r\nFrom: ${header('From')}\r\nTo: ${header('To')}${toTag}\r\nCall-ID: ${header('Call-ID')}\r\nCSeq: ${header('CSeq')}\r\n${extra}Content-Length: 0\r\n\r\n`;
}

/**
 * A request from the raw peer at `me` ("127.0.0.7:port") to the agent on 127.0.0.1:`aPort`, in
 * call `callId`; `toTag` is ";tag=…" or "" (an initial INVITE).
 */
function rawRequest(
  aPort: number,
  me: string,
  callId: string,
): (method: string, cseq: number, branch: string, toTag: string) => string {
  return (method, cseq, branch, toTag) =>
    `${method} sip:uac@127.0.0.1:${aPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${me};branch=z9hG4bK${branch}\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:peer@${me}>;tag=peer1\r\nTo: <sip:uac@127.0.0.1:${aPort}>${toTag}\r\n` +
    `Call-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\nContact: <sip:peer@${me}>\r\nContent-Length: 0\r\n\r\n`;
}

/** Our user agent as callee of a raw caller on 127.0.0.7 in call `callId`: what the caller sends, and how. */
async function calleeAndRawCaller(callId: string, timers?: UserAgentOptions['timers']) {
  const { a, peer, port } = await agentAndRawPeer(timers);
  const aPort = a.transport.bound[0]!.port;
  const send = (t: string) => peer.send(t, aPort, '127.0.0.1');
  return { a, peer, send, request: rawRequest(aPort, `127.0.0.7:${port}`, callId) };
}

/** The callee answers the first INVITE: how its answer() ended ('acked', or why not), and its dialog. */
function answerOutcome(a: UserAgent): { outcome: Promise<string>; dialog: () => Dialog | undefined } {
  let dialog: Dialog | undefined;
  const outcome = new Promise<string>((resolve) => {
    a.on('invite', (inv) => {
      inv.answer('v=0\r\n').then(
        () => resolve('acked'),
        (err: Error) => resolve(err.message),
      );
      dialog = inv.dialog;
    });
  });
  return { outcome, dialog: () => dialog };
}

/** Polls `cond` every 10 ms for up to `ms`. */
async function waitUntil(cond: () => boolean, ms = 2000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await new Promise((r) => setTimeout(r, 10));
}

/** A 200 to CSeq `seq` read by the raw peer. */
const isOk = (text: string, cseq: string, seq: number) =>
  text.startsWith('SIP/2.0 200') && cseq === String(seq);
const toTagOf = (header: (n: string) => string) => /tag=([^;\s]+)/.exec(header('To'))?.[1] ?? '';

/**
 * The raw caller's part in the tests of the 2xx waits: at the callee's first 200 (CSeq 1) it takes
 * the To tag and sends a re-INVITE (CSeq 2) instead of an ACK; every other datagram, read, goes to
 * `next`. Returns the To tag once known ('' before).
 */
function reinviteAtFirst200(
  c: Awaited<ReturnType<typeof calleeAndRawCaller>>,
  next: (r: ReturnType<typeof readRaw>, tag: string) => void,
): () => string {
  let tag = '';
  c.peer.on('message', (m) => {
    const r = readRaw(m);
    if (isOk(r.text, r.cseq, 1) && tag === '') {
      tag = toTagOf(r.header);
      c.send(c.request('INVITE', 2, 'reinv2', `;tag=${tag}`));
    } else next(r, tag);
  });
  return () => tag;
}

/** `text` (a bodiless request of `rawRequest`) with `sdp` as its body. */
function withSdp(text: string, sdp: string): string {
  return text.replace(
    'Content-Length: 0\r\n\r\n',
    `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
}

/** The callee answers the first INVITE (without SDP) with an offer in its 2xx: when that resolved, and the INVITE. */
function lateOfferAnswer(a: UserAgent): {
  answered: Promise<void>;
  invite: () => IncomingInvite | undefined;
} {
  let inv: IncomingInvite | undefined;
  const answered = new Promise<void>((resolve, reject) => {
    a.on('invite', (i) => {
      inv = i;
      i.answer('v=0\r\ns=offer-in-2xx\r\n').then(() => resolve(), reject);
    });
  });
  return { answered, invite: () => inv };
}

/** T1 of 200 ms: a 2xx nobody ACKs is sent again about 0.2, 0.6 and 1.4 s after it and given up after 12.8 s. */
const T1_200 = { t1: 200, t2: 1600, t4: 2000 };

describe("a callee's 2xx waiting for its ACK", () => {
  it('a re-INVITE answered before the first ACK: each 2xx waits; the ACK ends the newest, the BYE the other, and none is left', async () => {
    // The first 2xx gives up after 12.8 s, long after the BYE.
    const c = await calleeAndRawCaller('two-waits@127.0.0.7', T1_200);
    const { a, peer, send, request } = c;
    const { outcome } = answerOutcome(a);
    let acked2 = false;
    // The first 200: no ACK for it; a re-INVITE instead, then the ACK of the re-INVITE's 200.
    const tag = reinviteAtFirst200(c, ({ text, cseq }, t) => {
      if (isOk(text, cseq, 2) && !acked2) {
        acked2 = true;
        send(request('ACK', 2, 'ack2', `;tag=${t}`));
      }
    });
    try {
      send(request('INVITE', 1, 'inv1', ''));
      // Both 2xx were waiting; the ACK of the second ended its wait only.
      await waitUntil(() => acked2 && a.waitingAcks === 1);
      expect(a.waitingAcks).toBe(1);
      send(request('BYE', 3, 'bye3', `;tag=${tag()}`));
      // The BYE ends the dialog: the first 2xx, never ACKed, stops waiting at once.
      expect(await outcome).toMatch(/ended before the ACK/);
      expect(a.waitingAcks).toBe(0);
    } finally {
      peer.close();
    }
  });

  it("a 2xx superseded by a re-INVITE's gives up after 64*T1 on its own (BYE sent); none is left waiting, no listener left (a guard: the code before counted this right too)", async () => {
    const c = await calleeAndRawCaller('gives-up@127.0.0.7');
    const { a, peer, send, request } = c;
    const { outcome, dialog } = answerOutcome(a);
    let acked2 = false;
    reinviteAtFirst200(c, ({ text, method, cseq }, t) => {
      if (isOk(text, cseq, 2) && !acked2) {
        acked2 = true;
        send(request('ACK', 2, 'ack2', `;tag=${t}`));
      } else if (method === 'BYE') send(rawReply(text, '200 OK'));
    });
    try {
      send(request('INVITE', 1, 'inv1', ''));
      // The first 2xx is never ACKed: after 64*T1 (3.2 s) it gives up and the dialog gets a BYE.
      expect(await outcome).toMatch(/no ACK for the 2xx within 64\*T1/);
      await waitUntil(() => dialog()?.state === 'terminated');
      expect(dialog()?.state).toBe('terminated');
      // Why the user agent ended it on its own.
      expect(dialog()?.localEndCause).toBe('no-ack');
      expect(a.waitingAcks).toBe(0);
      expect(dialog()?.listenerCount('terminated')).toBe(0);
      expect(dialog()?.ackWait).toBeUndefined();
    } finally {
      peer.close();
    }
  }, 15_000);

  it("each 2xx ends at the ACK with its INVITE's CSeq number (RFC 3261 §13.2.2.4): the first one's ACK after the re-INVITE's 2xx ends the first wait only; an ACK of no waiting number ends none", async () => {
    const c = await calleeAndRawCaller('cseq-acks@127.0.0.7', T1_200);
    const { a, peer, send, request } = c;
    const { outcome } = answerOutcome(a);
    let reinvite200s = 0;
    const tagOf = reinviteAtFirst200(c, ({ text, cseq }) => {
      if (isOk(text, cseq, 2)) reinvite200s++;
    });
    try {
      send(request('INVITE', 1, 'inv1', ''));
      await waitUntil(() => a.waitingAcks === 2);
      expect(a.waitingAcks).toBe(2);
      const tag = tagOf();
      // An ACK with a number no INVITE of the dialog had: no wait ends, and the log says so.
      const info = vi.spyOn(a.transport.netLog, 'info');
      send(request('ACK', 7, 'ack7', `;tag=${tag}`));
      await new Promise((r) => setTimeout(r, 100));
      expect(a.waitingAcks).toBe(2);
      expect(info).toHaveBeenCalledWith(
        'ack-unmatched',
        expect.objectContaining({ cseq: 7, waiting: [2, 1] }),
        expect.any(String),
      );
      // The first INVITE's ACK, after the re-INVITE's 2xx: the first answer is acked.
      send(request('ACK', 1, 'ack1', `;tag=${tag}`));
      expect(await outcome).toBe('acked');
      expect(a.waitingAcks).toBe(1);
      // The re-INVITE's 2xx, still un-ACKed, is still sent again (T1 = 200 ms).
      const before = reinvite200s;
      await waitUntil(() => reinvite200s > before, 1500);
      expect(reinvite200s).toBeGreaterThan(before);
      send(request('ACK', 2, 'ack2', `;tag=${tag}`));
      await waitUntil(() => a.waitingAcks === 0);
      expect(a.waitingAcks).toBe(0);
    } finally {
      peer.close();
    }
  }, 15_000);

  for (const order of ['ACK 1 first', 'ACK 2 first'] as const)
    it(`a late offer's answer in the ACK of the first 2xx, after a re-INVITE with SDP (${order}): the answer reaches answer()'s caller, the dialog's remote SDP stays the re-INVITE's`, async () => {
      const c = await calleeAndRawCaller(`late-offer-${order.at(4)}@127.0.0.7`, T1_200);
      const { a, peer, send, request } = c;
      const { answered, invite } = lateOfferAnswer(a);
      let acked = false;
      reinviteAtFirst200(
        {
          ...c,
          // The re-INVITE at the first 200 carries a new offer.
          send: (t: string) => send(t.startsWith('INVITE') ? withSdp(t, 'v=0\r\ns=reinvite-offer\r\n') : t),
        },
        ({ text, cseq }, tag) => {
          if (isOk(text, cseq, 2) && !acked) {
            acked = true;
            // The first 2xx's ACK, with the answer to its offer, only now; the re-INVITE's before or after it.
            const ack1 = withSdp(request('ACK', 1, 'ack1', `;tag=${tag}`), 'v=0\r\ns=answer-in-ack\r\n');
            const ack2 = request('ACK', 2, 'ack2', `;tag=${tag}`);
            for (const m of order === 'ACK 1 first' ? [ack1, ack2] : [ack2, ack1]) send(m);
          }
        },
      );
      try {
        send(request('INVITE', 1, 'inv1', ''));
        await answered;
        expect(invite()?.ack?.bodyText).toContain('s=answer-in-ack');
        expect(invite()?.dialog?.remoteSdp).toContain('s=reinvite-offer');
        await waitUntil(() => a.waitingAcks === 0);
        expect(a.waitingAcks).toBe(0);
      } finally {
        peer.close();
      }
    });

  it("two 2xx with offers (a re-INVITE without SDP before the first ACK): each ACK's answer in turn, the dialog's remote SDP ends at the second", async () => {
    const c = await calleeAndRawCaller('two-offers@127.0.0.7', T1_200);
    const { a, peer, send, request } = c;
    const { answered, invite } = lateOfferAnswer(a);
    let acked = false;
    // The re-INVITE carries no SDP: the user agent offers again in its 2xx (its own SDP).
    reinviteAtFirst200(c, ({ text, cseq }, tag) => {
      if (isOk(text, cseq, 2) && !acked) {
        acked = true;
        send(withSdp(request('ACK', 1, 'ack1', `;tag=${tag}`), 'v=0\r\ns=first-answer\r\n'));
        send(withSdp(request('ACK', 2, 'ack2', `;tag=${tag}`), 'v=0\r\ns=second-answer\r\n'));
      }
    });
    try {
      send(request('INVITE', 1, 'inv1', ''));
      await answered;
      expect(invite()?.ack?.bodyText).toContain('s=first-answer');
      await waitUntil(() => a.waitingAcks === 0);
      expect(a.waitingAcks).toBe(0);
      expect(invite()?.dialog?.remoteSdp).toContain('s=second-answer');
    } finally {
      peer.close();
    }
  });

  it('three 2xx waiting: the middle one acked leaves the other two; the BYE ends both (the list of waits, unlinked in the middle and ended in a loop)', async () => {
    const c = await calleeAndRawCaller('three-waits@127.0.0.7', T1_200);
    const { a, peer, send, request } = c;
    // The re-INVITEs are answered by the user agent itself (no 'invite' event for them).
    const { outcome } = answerOutcome(a);
    let reinvited3 = false;
    const tagOf = reinviteAtFirst200(c, ({ text, cseq }, t) => {
      if (isOk(text, cseq, 2) && !reinvited3) {
        reinvited3 = true;
        send(request('INVITE', 3, 'reinv3', `;tag=${t}`));
      }
    });
    try {
      send(request('INVITE', 1, 'inv1', ''));
      await waitUntil(() => a.waitingAcks === 3);
      expect(a.waitingAcks).toBe(3);
      const tag = tagOf();
      send(request('ACK', 2, 'ack2', `;tag=${tag}`));
      await waitUntil(() => a.waitingAcks === 2);
      expect(a.waitingAcks).toBe(2);
      send(request('BYE', 4, 'bye4', `;tag=${tag}`));
      expect(await outcome).toMatch(/ended before the ACK/);
      await waitUntil(() => a.waitingAcks === 0);
      expect(a.waitingAcks).toBe(0);
    } finally {
      peer.close();
    }
  }, 15_000);

  it('a re-INVITE the user agent answers by itself, its dialog ended before the ACK: the wait ends, no rejection is left unhandled', async () => {
    const { a, peer, send, request } = await calleeAndRawCaller('default-reinvite@127.0.0.7');
    a.on('invite', (inv) => void inv.answer('v=0\r\n').catch(() => undefined));
    let tag = '';
    const statuses: string[] = [];
    peer.on('message', (m) => {
      const { text, method, cseq, header } = readRaw(m);
      if (method === 'SIP/2.0') statuses.push(`${text.split(' ')[1]} ${cseq}`);
      if (isOk(text, cseq, 1) && tag === '') {
        tag = toTagOf(header);
        send(request('ACK', 1, 'ack1', `;tag=${tag}`));
        send(request('INVITE', 2, 'reinv2', `;tag=${tag}`));
      } else if (isOk(text, cseq, 2) && !statuses.includes('200 3')) {
        // The re-INVITE's 200 is not ACKed: a BYE instead.
        send(request('BYE', 3, 'bye3', `;tag=${tag}`));
      }
    });
    try {
      send(request('INVITE', 1, 'inv1', ''));
      await waitUntil(() => statuses.includes('200 3'));
      expect(statuses).toContain('200 2');
      expect(statuses).toContain('200 3');
      // A turn for a rejection to surface (vitest fails the file on an unhandled one).
      await new Promise((r) => setTimeout(r, 50));
      expect(a.waitingAcks).toBe(0);
    } finally {
      peer.close();
    }
  });
});

describe('late 2xx retransmissions', () => {
  it('the initial 2xx retransmitted after a re-INVITE gets the ACK of the initial INVITE (its CSeq), the re-INVITE 2xx its own', async () => {
    const { a, peer, port, contact } = await agentAndRawPeer();
    const seen: string[] = [];
    let first200 = '';
    let reinvite200 = '';
    peer.on('message', (m, rinfo) => {
      const { text, method, cseq } = readRaw(m);
      seen.push(`${method} ${cseq}`);
      const ok = (toTag: string) => rawReply(text, '200 OK', toTag, contact);
      if (method === 'INVITE' && cseq === '1') {
        first200 = ok(';tag=callee');
        peer.send(first200, rinfo.port, rinfo.address);
      } else if (method === 'INVITE') {
        reinvite200 = ok('');
        peer.send(reinvite200, rinfo.port, rinfo.address);
      } else if (method === 'ACK' && cseq !== '1' && seen.filter((x) => x.startsWith('ACK')).length === 2) {
        // As if our first ACK was lost: the initial 2xx comes again, then the re-INVITE's.
        peer.send(first200, rinfo.port, rinfo.address);
        peer.send(reinvite200, rinfo.port, rinfo.address);
      } else if (method === 'BYE') peer.send(ok(''), rinfo.port, rinfo.address);
    });
    try {
      const out = await a.invite({ method: 'INVITE', uri: `sip:callee@127.0.0.7:${port}` }).result;
      expect(out.status).toBe(200);
      const re = await a.reinvite(out.dialog!, 'v=0\r\n');
      expect(re.status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.slice(0, 6)).toEqual(['INVITE 1', 'ACK 1', 'INVITE 2', 'ACK 2', 'ACK 1', 'ACK 2']);
      // The outcome returned is not changed by the retransmission that came after it.
      expect(re.responses.map((r) => r.status)).toEqual([200]);
      expect(seen.filter((x) => x.startsWith('BYE'))).toEqual([]);
    } finally {
      peer.close();
    }
  });

  it('a 200 retransmitted after our BYE is ACKed again and starts no second BYE', async () => {
    const { a, peer, port, contact } = await agentAndRawPeer();
    const seen: string[] = [];
    let ok200 = '';
    peer.on('message', (m, rinfo) => {
      const { text, method, cseq } = readRaw(m);
      seen.push(`${method} ${cseq}`);
      if (method === 'INVITE') {
        ok200 = rawReply(text, '200 OK', ';tag=callee', contact);
        peer.send(ok200, rinfo.port, rinfo.address);
      } else if (method === 'BYE') {
        peer.send(ok200, rinfo.port, rinfo.address); // the 200 to INVITE again, as if our ACK was lost
        peer.send(rawReply(text, '200 OK'), rinfo.port, rinfo.address);
        peer.send(rawReply(text, '200 OK'), rinfo.port, rinfo.address); // a retransmitted final: absorbed (Timer K)
      }
    });
    // Every message sent is traced with its parsed form, the ACK sent again from its kept bytes too.
    const traced: string[] = [];
    a.transport.on('trace', (t) => {
      if (t.direction === 'out')
        traced.push(t.message?.isRequest ? t.message.method : String(t.message?.status));
    });
    try {
      const out = await a.invite({ method: 'INVITE', uri: `sip:callee@127.0.0.7:${port}` }).result;
      expect(out.status).toBe(200);
      expect((await a.bye(out.dialog!)).status).toBe(200);
      // The ended dialog has left the map (a request in it gets 481 either way); its ACK is kept.
      expect(a.dialogs.size).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['INVITE 1', 'ACK 1', 'BYE 2', 'ACK 1']);
      expect(traced).toEqual(['INVITE', 'ACK', 'BYE', 'ACK']);
      expect(a.transactions.stats.strayResponses).toBe(0);
    } finally {
      peer.close();
    }
  });

  it('the ended dialog keeps its ACK for 64*T1 only; stop() with waits pending ends them all', async () => {
    const t1 = 10; // 64*T1 = 640 ms
    const { a, peer, port, contact } = await agentAndRawPeer({ t1, t2: 40, t4: 50 });
    const seen: string[] = [];
    let ok200 = '';
    let caller: { port: number; address: string } | undefined;
    peer.on('message', (m, rinfo) => {
      const { text, method, cseq } = readRaw(m);
      seen.push(`${method} ${cseq}`);
      if (method === 'INVITE') {
        caller = rinfo;
        ok200 = rawReply(text, '200 OK', ';tag=callee', contact);
        peer.send(ok200, rinfo.port, rinfo.address);
      } else if (method === 'BYE') peer.send(rawReply(text, '200 OK'), rinfo.port, rinfo.address);
    });
    const again200 = () => peer.send(ok200, caller!.port, caller!.address);
    const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      const out = await a.invite({ method: 'INVITE', uri: `sip:callee@127.0.0.7:${port}` }).result;
      expect(out.status).toBe(200);
      expect((await a.bye(out.dialog!)).status).toBe(200);
      // The ACK moved to the ended dialog's record: whoever still holds the dialog does not keep it.
      expect(out.dialog!.acksSent).toBeUndefined();
      // Within 64*T1 the 200 sent again gets the kept ACK.
      again200();
      await settle(100);
      expect(seen).toEqual(['INVITE 1', 'ACK 1', 'BYE 2', 'ACK 1']);
      // After it (and Timer M's record with it), nothing of the call is left to answer from.
      await settle(64 * t1 + 300);
      expect(a.transactions.openTransactions).toBe(0);
      // The kept ACK left with the ended dialog's record (else every call would leave its ACK).
      expect((a as unknown as { ended: Map<string, unknown> }).ended.size).toBe(0);
      const strayBefore = a.transactions.stats.strayResponses;
      again200();
      await settle(100);
      expect(seen).toHaveLength(4);
      expect(a.transactions.stats.strayResponses).toBe(strayBefore + 1);

      // A second call, stopped while its waits are pending (Timer M and K records, the ended
      // dialog with its ACK): stop() ends them.
      const second = await a.invite({ method: 'INVITE', uri: `sip:callee@127.0.0.7:${port}` }).result;
      expect((await a.bye(second.dialog!)).status).toBe(200);
      expect(a.transactions.openTransactions).toBe(2);
      const kept = a as unknown as { ended: Map<string, { acksSent?: unknown[] }> };
      expect(kept.ended.size).toBe(1);
      // The ended dialog's record holds the ACK it sent (moved from the dialog when it ended).
      expect([...kept.ended.values()][0]?.acksSent).toHaveLength(1);
      await a.stop();
      expect(a.transactions.openTransactions).toBe(0);
      expect(kept.ended.size).toBe(0);
    } finally {
      peer.close();
    }
  });

  it('a 200 after our BYE in its early dialog (RFC 3261 §15) is ACKed and ended with BYE, its retransmission only ACKed, and the INVITE settles', async () => {
    const { a, peer, port, contact } = await agentAndRawPeer();
    const seen: string[] = [];
    let invite = '';
    let inviteFrom: { port: number; address: string } | undefined;
    peer.on('message', (m, rinfo) => {
      const { text, method, cseq } = readRaw(m);
      seen.push(`${method} ${cseq}`);
      const reply = (t: string, status: string, toTag: string) => rawReply(t, status, toTag, contact);
      if (method === 'INVITE') {
        invite = text;
        inviteFrom = rinfo;
        peer.send(reply(text, '180 Ringing', ';tag=early1'), rinfo.port, rinfo.address);
      } else if (method === 'BYE') {
        peer.send(reply(text, '200 OK', ''), rinfo.port, rinfo.address);
        // The callee answered the INVITE anyway: its 200 crosses our BYE. It sends that 200
        // again after the second BYE (as if our ACK were lost): it gets the ACK again, and no
        // third BYE.
        if (seen.filter((x) => x.startsWith('BYE')).length <= 2)
          peer.send(reply(invite, '200 OK', ';tag=early1'), inviteFrom!.port, inviteFrom!.address);
      }
    });
    try {
      const inv = a.invite({ method: 'INVITE', uri: `sip:callee@127.0.0.7:${port}`, support100rel: false });
      inv.on('early', (d) => void a.bye(d));
      const out = await Promise.race([
        inv.result,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 2000)),
      ]);
      expect(out).not.toBe('hung');
      expect(out !== 'hung' && out.status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['INVITE 1', 'BYE 2', 'ACK 1', 'BYE 3', 'ACK 1']);
    } finally {
      peer.close();
    }
  });

  it("a re-INVITE's 200 that comes after the dialog ended (the peer's BYE crossed it) is ACKed, and ACKed again when retransmitted", async () => {
    const { a, peer, port } = await agentAndRawPeer();
    const aPort = a.transport.bound[0]!.port;
    const me = `127.0.0.7:${port}`;
    const answered = new Promise<Dialog>((resolve) => {
      a.on('invite', (inv) => void inv.answer('v=0\r\n').then(resolve, () => undefined));
    });
    const seen: string[] = [];
    let aTag = '';
    let reinvite = '';
    let acks = 0;
    const send = (t: string) => peer.send(t, aPort, '127.0.0.1');
    const request = rawRequest(aPort, me, 'late-reinvite@127.0.0.7');
    peer.on('message', (m) => {
      const { text, method, cseq, header } = readRaw(m);
      seen.push(`${method} ${cseq}`);
      if (method === 'SIP/2.0' && /^CSeq: 1 INVITE/m.test(text) && /^SIP\/2\.0 200/.test(text)) {
        aTag = /tag=([^;\s]+)/.exec(header('To'))?.[1] ?? '';
        send(request('ACK', 1, 'peerack1', `;tag=${aTag}`));
      } else if (method === 'INVITE') {
        // The re-INVITE: our BYE first, then its 200 (which crosses the BYE at the other end).
        reinvite = text;
        send(request('BYE', 2, 'peerbye2', `;tag=${aTag}`));
        setTimeout(() => send(rawReply(reinvite, '200 OK', '', `Contact: <sip:peer@${me}>\r\n`)), 30);
      } else if (method === 'ACK' && ++acks === 1) {
        // As if that ACK were lost: the 200 again.
        send(rawReply(reinvite, '200 OK', '', `Contact: <sip:peer@${me}>\r\n`));
      }
    });
    try {
      send(request('INVITE', 1, 'peerinv1', ''));
      const d = await answered;
      const re = await a.reinvite(d, 'v=0\r\ns=hold\r\n');
      expect(re.status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      const cseq = /^CSeq: (\d+)/m.exec(reinvite)?.[1];
      expect(seen.filter((x) => x === `ACK ${cseq}`)).toHaveLength(2);
      expect(d.state).toBe('terminated');
      // What is kept to answer the retransmission is the ended dialog's record, not the dialog:
      // a callee's dialog gets one when it sent an INVITE (here the re-INVITE).
      expect(d.acksSent).toBeUndefined();
      expect(d.invitedIn).toBe(true);
      expect((a as unknown as { ended: Map<string, unknown> }).ended.size).toBe(1);
    } finally {
      peer.close();
    }
  });

  it("a callee's dialog that sent no INVITE leaves no record when it ends; a re-INVITE sent after that makes one, whose ACK a retransmitted 2xx gets again", async () => {
    const { a, peer, port } = await agentAndRawPeer();
    const aPort = a.transport.bound[0]!.port;
    const me = `127.0.0.7:${port}`;
    // The dialog's end is listened for from the moment it exists (the peer's BYE follows the ACK at once).
    const answered = new Promise<{ d: Dialog; ended: Promise<void> }>((resolve) => {
      a.on(
        'invite',
        (inv) =>
          void inv.answer('v=0\r\n').then(
            (d) => resolve({ d, ended: new Promise<void>((r) => d.once('terminated', () => r())) }),
            () => undefined,
          ),
      );
    });
    const send = (t: string) => peer.send(t, aPort, '127.0.0.1');
    const request = rawRequest(aPort, me, 'plain-callee@127.0.0.7');
    const seen: string[] = [];
    let reinvite = '';
    peer.on('message', (m) => {
      const { text, method, cseq, header } = readRaw(m);
      seen.push(`${method} ${cseq}`);
      if (/^SIP\/2\.0 200/.test(text) && /^CSeq: 1 INVITE/m.test(text)) {
        const tag = /tag=([^;\s]+)/.exec(header('To'))?.[1] ?? '';
        send(request('ACK', 1, 'plainack1', `;tag=${tag}`));
        send(request('BYE', 2, 'plainbye2', `;tag=${tag}`));
      } else if (method === 'INVITE') {
        // The re-INVITE sent on the ended dialog: answered 200, and the 200 sent again later.
        reinvite = text;
        send(rawReply(text, '200 OK', '', `Contact: <sip:peer@${me}>\r\n`));
      }
    });
    const kept = a as unknown as { ended: Map<string, { acksSent?: unknown[] }> };
    try {
      send(request('INVITE', 1, 'plaininv1', ''));
      const { d, ended } = await answered;
      await ended;
      expect(d.role).toBe('uas');
      expect(d.invitedIn).toBe(false);
      expect(a.dialogs.size).toBe(0);
      expect(kept.ended.size).toBe(0);
      // Nothing stops a re-INVITE on it: its ACK is kept on a record made then.
      const re = await a.reinvite(d, 'v=0\r\ns=late\r\n');
      expect(re.status).toBe(200);
      expect(d.invitedIn).toBe(true);
      expect(kept.ended.size).toBe(1);
      expect([...kept.ended.values()][0]?.acksSent).toHaveLength(1);
      const cseq = /^CSeq: (\d+)/m.exec(reinvite)?.[1];
      send(rawReply(reinvite, '200 OK', '', `Contact: <sip:peer@${me}>\r\n`));
      await new Promise((r) => setTimeout(r, 150));
      expect(seen.filter((x) => x === `ACK ${cseq}`)).toHaveLength(2);
    } finally {
      peer.close();
    }
  });

  it.each([
    ['that sent nothing before', false],
    ['whose early dialog (180) was ended when the first 200 came', true],
  ])(
    "another fork's 200 after the first, %s, is ACKed and its dialog ended with BYE (RFC 3261 §13.2.2.4)",
    async (_, ringsFirst) => {
      const { a, peer, port, contact } = await agentAndRawPeer();
      const seen: string[] = [];
      peer.on('message', (m, rinfo) => {
        const { text, method, cseq, header } = readRaw(m);
        seen.push(`${method} ${cseq} ${/tag=(fork\w)/.exec(header('To'))?.[1] ?? ''}`);
        const reply = (status: string, toTag: string, extra = '') => rawReply(text, status, toTag, extra);
        if (method === 'INVITE') {
          if (ringsFirst) peer.send(reply('180 Ringing', ';tag=forkB', contact), rinfo.port, rinfo.address);
          peer.send(reply('200 OK', ';tag=forkA', contact), rinfo.port, rinfo.address);
          setTimeout(() => peer.send(reply('200 OK', ';tag=forkB', contact), rinfo.port, rinfo.address), 50);
        } else if (method === 'BYE') peer.send(reply('200 OK', ''), rinfo.port, rinfo.address);
      });
      try {
        const out = await a.invite({ method: 'INVITE', uri: `sip:callee@127.0.0.7:${port}` }).result;
        expect(out.status).toBe(200);
        expect(out.dialog!.id.remoteTag).toBe('forkA');
        await new Promise((r) => setTimeout(r, 300));
        expect(seen).toEqual(['INVITE 1 ', 'ACK 1 forkA', 'ACK 1 forkB', 'BYE 2 forkB']);
        // The later 2xx is not added.
        expect(out.responses.map((r) => `${r.status} ${r.toTag}`)).toEqual([
          ...(ringsFirst ? ['180 forkB'] : []),
          '200 forkA',
        ]);
        expect(out.dialog!.state).toBe('confirmed');
      } finally {
        peer.close();
      }
    },
  );
});
