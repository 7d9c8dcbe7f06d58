/**
 * Checks a profile against this host before anything starts: every address the harness must
 * listen on (the simulators', and the embedded SBC's, its media address too) has to be an
 * address of this host. An
 * address that is not stops the run with the key that names it and the fix.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ProfileError } from './profile.ts';
import type { Profile } from './profile-schema.ts';

async function canBind(address: string): Promise<string | undefined> {
  const s = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, address, () => resolve());
    });
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  } finally {
    try {
      s.close();
    } catch {
      // never bound
    }
  }
}

/** Throws a ProfileError naming each address key this host cannot listen on. */
export async function preflight(
  profile: Profile,
  file: string,
  actors: Array<'provider' | 'sbc' | 'oxo'> = ['provider', 'sbc', 'oxo'],
): Promise<void> {
  const keys: Array<[string, string]> = [];
  if (actors.includes('provider')) keys.push(['provider.address', profile.provider.address]);
  if (actors.includes('oxo')) keys.push(['oxo.address', profile.oxo.address]);
  if (actors.includes('sbc') && profile.sbc.kind === 'embedded') {
    keys.push(['sbc.lan.address', profile.sbc.lan.address], ['sbc.wan.address', profile.sbc.wan.address]);
    // Its RTP ports are bound on a media address of its own when the profile gives one.
    for (const side of ['lan', 'wan'] as const) {
      const media = profile.sbc[side].mediaAddresses?.[0];
      if (media !== undefined) keys.push([`sbc.${side}.mediaAddresses`, media]);
    }
  }
  const problems: string[] = [];
  for (const [key, address] of keys) {
    const err = await canBind(address);
    if (err) {
      problems.push(
        `${key}: ${address} is not an address of this host (cannot listen on it: ${err}); use a loopback address such as 127.0.10.1, or an address of this host that the SBC can reach`,
      );
    }
  }
  if (problems.length > 0) throw new ProfileError(file, problems);
}
