/**
 * Malformed SIP for case S-8: deterministic mutations of a valid OPTIONS request (truncated,
 * bytes flipped, a broken request line, a wrong Content-Length, a mandatory header missing or
 * mangled, an over-long header line, raw noise), each under 1,400 bytes so that it fits one UDP
 * datagram, and a rate-limited sender from one address. Same seed, same messages.
 */
import { createPrng } from '../harness/media/analysis/index.ts';
import { bindUdpFrom } from './security-tools.ts';

/** How many kinds of mutation {@link malformedMessage} cycles through. */
export const MUTATION_KINDS = 10;

function template(from: string, port: number, to: { address: string; port: number }, n: number): string {
  const host = (a: string) => (a.includes(':') ? `[${a}]` : a);
  return [
    `OPTIONS sip:${host(to.address)}:${to.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${host(from)}:${port};branch=z9hG4bK-malformed-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${host(from)}>;tag=m${n}`,
    `To: <sip:${host(to.address)}>`,
    `Call-ID: malformed-${n}@${host(from)}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The `n`-th malformed message (kind n mod {@link MUTATION_KINDS}). */
export function malformedMessage(
  n: number,
  seed: number,
  from: string,
  port: number,
  to: { address: string; port: number },
): Buffer {
  const rnd = createPrng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const good = template(from, port, to, n);
  const lines = good.split('\r\n');
  switch (n % MUTATION_KINDS) {
    case 0: // cut anywhere
      return Buffer.from(good.slice(0, rnd.nextInt(1, good.length - 5)), 'latin1');
    case 1: {
      // bytes flipped
      const b = Buffer.from(good, 'latin1');
      for (let i = rnd.nextInt(3, 20); i > 0; i--) b[rnd.nextInt(0, b.length - 1)] = rnd.nextInt(0, 255);
      return b;
    }
    case 2: // a broken request line
      lines[0] = [
        'OPTIONS  SIP/2.0',
        'OPTIONS sip: SIP/9.9',
        '\u0000\u0001 sip:x SIP/2.0',
        'SIP/2.0 OPTIONS',
      ][rnd.nextInt(0, 3)] as string;
      return Buffer.from(lines.join('\r\n'), 'latin1');
    case 3: // a Content-Length that does not fit the body
      return Buffer.from(
        good.replace(
          'Content-Length: 0',
          `Content-Length: ${['99999', '-1', 'abc', '12'][rnd.nextInt(0, 3)]}`,
        ),
        'latin1',
      );
    case 4: {
      // a mandatory header missing
      const drop = ['Via:', 'From:', 'To:', 'Call-ID:', 'CSeq:'][rnd.nextInt(0, 4)] as string;
      return Buffer.from(lines.filter((l) => !l.startsWith(drop)).join('\r\n'), 'latin1');
    }
    case 5: // a mangled CSeq
      return Buffer.from(
        good.replace(
          'CSeq: 1 OPTIONS',
          ['CSeq: abc OPTIONS', 'CSeq: 1 INVITE', 'CSeq: 99999999999 OPTIONS', 'CSeq:'][
            rnd.nextInt(0, 3)
          ] as string,
        ),
        'latin1',
      );
    case 6: // an over-long header line
      return Buffer.from(
        good.replace('Max-Forwards: 70', `Subject: ${'A'.repeat(rnd.nextInt(900, 1100))}`),
        'latin1',
      );
    case 7: {
      // raw noise
      const b = Buffer.alloc(rnd.nextInt(1, 1200));
      for (let i = 0; i < b.length; i++) b[i] = rnd.nextInt(0, 255);
      return b;
    }
    case 8: // bare LF line ends and a header without a colon
      return Buffer.from(
        good.replace(/\r\n/g, '\n').replace('Max-Forwards: 70', 'Max-Forwards 70'),
        'latin1',
      );
    default: // a mangled Via
      return Buffer.from(
        good.replace(
          /^Via: .*$/m,
          ['Via: SIP/2.0/UDP', 'Via: ;;;', 'Via: SIP/2.0/XYZ [::1:5060', 'Via:'][rnd.nextInt(0, 3)] as string,
        ),
        'latin1',
      );
  }
}

/** What a burst got back. */
export interface BurstOutcome {
  sent: number;
  /** Answers received (the SBC may answer 400 to what it can parse enough). */
  answers: number;
  durationMs: number;
}

/** Most time a burst goes on, ms, whatever its count and rate. */
const MAX_BURST_MS = 60_000;

/** Sends `count` malformed messages from `from` to `target` over UDP, at most `perS` per second (60 s at most). */
export async function malformedBurst(opts: {
  from: string;
  target: { address: string; port: number };
  count: number;
  perS: number;
  seed: number;
}): Promise<BurstOutcome> {
  const sock = await bindUdpFrom(opts.from);
  let answers = 0;
  sock.on('message', () => {
    answers++;
  });
  const port = sock.address().port;
  const t0 = performance.now();
  const perTick = Math.max(1, Math.round(opts.perS / 50));
  let sent = 0;
  for (let tick = 0; sent < opts.count && performance.now() - t0 < MAX_BURST_MS; tick++) {
    for (let i = 0; i < perTick && sent < opts.count; i++) {
      sock.send(
        malformedMessage(sent, opts.seed, opts.from, port, opts.target),
        opts.target.port,
        opts.target.address,
      );
      sent++;
    }
    const wait = t0 + (tick + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const durationMs = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 500));
  sock.close();
  return { sent, answers, durationMs };
}
