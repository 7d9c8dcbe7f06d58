/**
 * The npm package "sip" (0.0.6, MIT), another Node SIP stack, as bench/call-rate.ts's agents on
 * it use it (bench/call-rate-npm-sip-uac.ts, bench/call-rate-npm-sip-uas.ts): the few calls
 * they make, typed (the package ships no types), a count of the datagrams it sends (it keeps
 * none: counted at the dgram socket, retransmissions included), and a start that says when its
 * socket is bound (the package binds without telling).
 */
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { waitBound } from './call-rate-agents.ts';

export interface NameAddr {
  name?: string;
  uri: string;
  params: Record<string, unknown>;
}
export interface NpmSipMessage {
  method?: string;
  status?: number;
  headers: Record<string, unknown> & { to: NameAddr; from: NameAddr; contact?: NameAddr[] };
}
export interface NpmSipStack {
  send(m: object, onResponse?: (rs: NpmSipMessage & { status: number }) => void): void;
  destroy(): void;
}
interface NpmSip {
  create(
    options: { address: string; port: number; udp: boolean; tcp: boolean; logger?: object },
    onRequest: (rq: NpmSipMessage) => void,
  ): NpmSipStack;
  makeResponse(
    rq: NpmSipMessage,
    status: number,
    reason: string,
    extension?: { headers?: Record<string, unknown>; content?: string },
  ): object;
}
export const sip = createRequire(import.meta.url)('sip') as NpmSip;

let sent = 0;
/** Datagrams sent by any dgram socket of this process since it started. */
export function datagramsSent(): number {
  return sent;
}
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
  sent++;
  return (send as (...a: unknown[]) => void).apply(this, args);
} as typeof send;

/**
 * The package's stack on UDP `address:port` only (no TCP, TLS or WebSocket). What it reports
 * as an error (a send, a request handler) is counted in `errors`, never printed per call.
 * Resolves once the port is bound; a failed bind ends the process (the package leaves the
 * socket's error unhandled), which the bench sees as a child that exited.
 */
export async function startNpmSip(
  address: string,
  port: number,
  onRequest: (rq: NpmSipMessage) => void,
): Promise<{ stack: NpmSipStack; errors: () => number }> {
  let errors = 0;
  const stack = sip.create(
    { address, port, udp: true, tcp: false, logger: { error: () => errors++ } },
    onRequest,
  );
  // The bind completes on a later turn; probing the port before it could take it first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (!(await waitBound(address, port, 5000))) throw new Error(`npm "sip" did not bind ${address}:${port}`);
  return { stack, errors: () => errors };
}
