/**
 * Which errors of a socket's send are this host's own, whatever the destination: a full
 * buffer, a datagram too large, a local firewall, a closed socket, no file descriptor or local
 * address left. Any other error comes from
 * where the message went (no route, a broadcast or foreign address, a name that does not
 * resolve, a bad port, a peer that refused or reset its connection): that is an address the far
 * side gave (its SDP, Contact or Via) or the profile named. RTP (rtp-session.ts) and SIP
 * (transport.ts) tell their failures apart by it, so that what the harness could not send is
 * never read as something the SBC did.
 */
const OWN_SEND_ERRORS: ReadonlySet<string> = new Set([
  'EMSGSIZE',
  'ENOBUFS',
  'ENOMEM',
  'EAGAIN',
  'EWOULDBLOCK',
  'EPERM',
  'EBADF',
  'EMFILE',
  'ENFILE',
  'EADDRNOTAVAIL',
  'ERR_SOCKET_DGRAM_NOT_RUNNING',
]);

/** Errors of a name lookup: the name did not resolve (here, or not yet). */
const NAME_LOOKUP_ERRORS: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/** The code of a send error (`ENOBUFS`, `ERR_SOCKET_DGRAM_NOT_RUNNING`), or its message when it has none. */
export function sendErrorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code ?? (err instanceof Error ? err.message : String(err));
}

/** True for an error of this host's own side (see the module's comment). */
export function isOwnSendError(code: string): boolean {
  return OWN_SEND_ERRORS.has(code);
}

/** True for a name that did not resolve. */
export function isNameLookupError(code: string): boolean {
  return NAME_LOOKUP_ERRORS.has(code);
}
