/**
 * A self-signed certificate made at start-up for TLS listeners (provider simulator, reference
 * SBC, tests). The private key stays in memory; nothing is written to disk or logged.
 */
import selfsigned from 'selfsigned';

export interface KeyAndCert {
  key: string;
  cert: string;
}

export async function selfSignedCertificate(
  commonName = 'sbc-harness.test',
  altIps: string[] = ['127.0.0.1', '::1'],
): Promise<KeyAndCert> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2 as const, value: commonName },
          ...altIps.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
