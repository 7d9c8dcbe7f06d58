/**
 * The secure defaults a profile opens on purpose (docs/security.md): each switch that is on, as a
 * sentence for the report's notes, so that a run against an opened SBC or with certificate
 * checks off never reads as if it had the defaults.
 */
import type { Profile } from './profile-schema.ts';

export function openSecuritySwitches(p: Profile): string[] {
  const out: string[] = [];
  if (p.sbc.kind === 'embedded') {
    if (p.sbc.open.lanInvites)
      out.push(
        'sbc.open.lanInvites (the embedded SBC routes LAN INVITEs from any address without credentials)',
      );
    if (p.sbc.open.wanInvites)
      out.push('sbc.open.wanInvites (the embedded SBC routes WAN INVITEs from any address)');
    if (p.sbc.open.digestReplay)
      out.push('sbc.open.digestReplay (the embedded SBC accepts replayed digest credentials)');
    if (p.sbc.open.bruteForce)
      out.push(
        'sbc.open.bruteForce (the embedded SBC never holds off a source after failed authentications)',
      );
  }
  if (!p.tls.verify) out.push('tls.verify: false (the harness’s TLS clients accept any certificate)');
  return out;
}
