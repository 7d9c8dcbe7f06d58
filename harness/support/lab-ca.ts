/**
 * A certificate authority made at start-up for a lab: its certificate is what the lab's TLS
 * clients trust, and it signs the certificate of each TLS listener of the lab (provider
 * simulator, embedded SBC), with the listener's address as IP subjectAltName so that a
 * verifying client accepts it (RFC 5280 §4.2.1.6; RFC 5922 §7.1 for SIP over TLS). The private
 * keys stay in memory; nothing is written to disk or logged.
 */
import selfsigned from 'selfsigned';
import type { KeyAndCert } from './certificate.ts';

/** A CA: its key signs, its certificate is what clients trust. */
export type LabCa = KeyAndCert;

const DAY_MS = 86_400_000;

/** A fresh CA (EC P-256, 30 days). */
export async function labCertificateAuthority(commonName = 'sbc-harness lab CA'): Promise<LabCa> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    notAfterDate: new Date(Date.now() + 30 * DAY_MS),
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A server certificate for `commonName` and the IP addresses `ips`, signed by `ca`. */
export async function certificateSignedBy(
  ca: LabCa,
  commonName: string,
  ips: readonly string[],
): Promise<KeyAndCert> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    notAfterDate: new Date(Date.now() + 30 * DAY_MS),
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [{ type: 2 as const, value: commonName }, ...ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
