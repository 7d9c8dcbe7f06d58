/**
 * A floor estimate for callees written on Node's UDP sockets, for the call-rate benchmark
 * (bench/call-rate.ts, configuration `node-floor`): SIPp's uas call flow answered with as
 * little work as the flow allows. Per datagram it finds the Via, From, To, Call-ID and CSeq
 * lines by indexOf (in SIPp's own spelling: it handles no other) and copies them into a
 * response built as one string; INVITE gets 180 and 200 (with a To tag, Contact and the SDP,
 * as SIPp's uas sends them), BYE gets 200, ACK nothing. No parsing or validation, no
 * transactions or retransmissions (a retransmitted INVITE would get another tag; on loopback
 * none comes), no dialog state, no timers, no evidence. It is not a SIP stack: it measures
 * what Node's dgram path and the string work of three answers cost per call, beside which
 * our stack's figure (ours-uas) can be read. (SIPp's 180 is optional to its uac; leaving it
 * out would save one datagram a call.)
 *
 *   node bin/run-ts.js bench/call-rate-floor-uas.ts ADDRESS
 *
 * Speaks bench/child-callee-protocol.ts on stdin and stdout: `{"ready":PORT}`, then
 * reset / stats / quit.
 */
import dgram from 'node:dgram';
import { sippLikeSdp } from './call-rate-agents.ts';
import { serveChildCallee } from './child-callee-protocol.ts';

const address = process.argv[2] ?? '127.0.0.5';
const SDP = sippLikeSdp(address);
const SDP_LENGTH = Buffer.byteLength(SDP);

let counters = { invites: 0, acked: 0, byes: 0, failed: 0, sent: 0 };
let tagCounter = 0;

/** The header line that starts with `name` (as SIPp spells it, with its colon), whole, or ''. */
function line(text: string, name: string): string {
  const at = text.indexOf(`\r\n${name}`);
  if (at < 0) return '';
  const end = text.indexOf('\r\n', at + 2);
  return text.slice(at + 2, end < 0 ? text.length : end);
}

function respond(
  socket: dgram.Socket,
  status: string,
  text: string,
  toTag: string,
  body: string,
  to: dgram.RemoteInfo,
): void {
  const toLine = line(text, 'To:');
  const head =
    `SIP/2.0 ${status}\r\n${line(text, 'Via:')}\r\n${line(text, 'From:')}\r\n` +
    `${toTag && !toLine.includes(';tag=') ? `${toLine};tag=${toTag}` : toLine}\r\n` +
    `${line(text, 'Call-ID:')}\r\n${line(text, 'CSeq:')}\r\n` +
    `Contact: <sip:floor@${address}:${port}>\r\n` +
    (body
      ? `Content-Type: application/sdp\r\nContent-Length: ${SDP_LENGTH}\r\n\r\n${body}`
      : 'Content-Length: 0\r\n\r\n');
  counters.sent++;
  socket.send(head, to.port, to.address);
}

const socket = dgram.createSocket('udp4');
socket.on('message', (data, rinfo) => {
  const text = data.toString('latin1');
  if (text.startsWith('INVITE ')) {
    counters.invites++;
    const tag = `f${++tagCounter}`;
    respond(socket, '180 Ringing', text, tag, '', rinfo);
    respond(socket, '200 OK', text, tag, SDP, rinfo);
  } else if (text.startsWith('ACK ')) counters.acked++;
  else if (text.startsWith('BYE ')) {
    counters.byes++;
    respond(socket, '200 OK', text, '', '', rinfo);
  }
});
await new Promise<void>((resolve) => socket.bind(0, address, resolve));
const port = socket.address().port;

serveChildCallee(
  {
    reset() {
      counters = { invites: 0, acked: 0, byes: 0, failed: 0, sent: 0 };
    },
    counters: () => counters,
    stop() {
      socket.close();
    },
  },
  port,
);
