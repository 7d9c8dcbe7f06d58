/**
 * Logging through pino: JSON lines when not on a terminal (CI), pretty on a terminal.
 * Secrets never reach a log: the redaction list covers every field name that can carry one.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

/** Field paths whose values are replaced by "[secret]" in every log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'proxyAuthorization',
  '*.proxyAuthorization',
  'ha1',
  '*.ha1',
  'key',
  '*.key',
  'masterKey',
  '*.masterKey',
];

export interface LogOptions {
  level?: string;
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.SBC_HARNESS_LOG ?? 'info';
  const pretty = opts.pretty ?? (process.stderr.isTTY === true && process.env.CI !== 'true');
  const base = { level, redact: { paths: REDACTED_PATHS, censor: '[secret]' } };
  if (opts.destination) return pino(base, opts.destination as pino.DestinationStream);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } },
    });
  }
  return pino(base, pino.destination(2));
}

/** A logger that discards everything, for library code used without one. */
export const silentLogger: Logger = pino({ level: 'silent' });
