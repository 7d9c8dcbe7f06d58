/**
 * Transports the profile asks for that its lab cannot give, found when the profile is loaded
 * (a clear configuration error naming the keys) rather than when a listener starts (issue 15,
 * finding 5: `oxo.transport: tls` passed the schema, then every cell was ERROR with a stack trace).
 */
import type { Profile } from './profile-schema.ts';

/** One sentence per problem, each naming the keys to change. */
export function transportProblems(profile: Profile): string[] {
  const out: string[] = [];
  if (profile.oxo.transport === 'tls') {
    if (profile.sbc.kind === 'embedded')
      out.push(
        'oxo.transport: "tls" is not available with the embedded SBC (sbc.kind: embedded), whose LAN side takes UDP and TCP only; use udp or tcp, or an external SBC with tls in sbc.lan.transports',
      );
    else if (!profile.sbc.lan.transports.includes('tls'))
      out.push(
        `oxo.transport: "tls" needs tls in sbc.lan.transports (now ${JSON.stringify(profile.sbc.lan.transports)}), and the SBC's LAN TLS port in sbc.lan.tlsPort`,
      );
  }
  return out;
}
