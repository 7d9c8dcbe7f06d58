/**
 * Which profile key chose an address or port that could not be bound: a {@link ListenError}
 * (EADDRINUSE, EADDRNOTAVAIL, EACCES) of an actor's listener, told in terms of the profile so
 * the user knows what to change (issue 15: "EADDRINUSE does not name the profile key").
 */
import { ListenError } from '../sip/index.ts';

/** The listeners of one actor, with the profile keys of their address and ports. */
export interface ListenKeys {
  addressKey: string;
  address: string;
  /** The port asked for UDP and TCP, when known. */
  port?: number;
  /** Port key per protocol (UDP and TCP share one in every profile). */
  portKeys: Partial<Record<'UDP' | 'TCP' | 'TLS', string>>;
}

/**
 * The message for a listener error of the actor(s) in `candidates`, naming the profile key;
 * undefined when `err` is not a listener error.
 */
export function listenErrorMessage(err: unknown, candidates: ListenKeys[]): string | undefined {
  if (!(err instanceof ListenError)) return undefined;
  const byAddress = candidates.filter((k) => k.address === err.address);
  // Two sides on one address (the SBC's LAN and WAN): the port tells them apart when it can.
  const c = byAddress.find((k) => k.port === err.port) ?? byAddress[0] ?? candidates[0];
  if (!c) return err.message;
  const portKey = c.portKeys[err.protocol];
  const fix =
    err.code === 'EADDRINUSE'
      ? err.port === 0
        ? `check ${c.addressKey}`
        : `another program (another run, \`sbc-harness sim\` or \`sbc\`, a real SBC) holds it: stop it, or change ${portKey ?? 'the port'} or ${c.addressKey}`
      : err.code === 'EADDRNOTAVAIL'
        ? `give ${c.addressKey} an address of this host`
        : err.code === 'EACCES'
          ? `choose ${portKey ?? 'a port'} of 1024 or more, or run with the privilege to bind it`
          : `check ${c.addressKey}${portKey ? ` and ${portKey}` : ''}`;
  const keys = err.port === 0 || !portKey ? c.addressKey : `${c.addressKey} / ${portKey}`;
  return `profile key ${keys}: ${err.message}; ${fix}`;
}
