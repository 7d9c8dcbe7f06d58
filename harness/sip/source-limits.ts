/**
 * Per-source bounds of the SIP stack, beside its global ones: one source (a remote IP address)
 * must not be able to take what every other peer needs. The transaction layer counts each
 * source's open server transactions (over the bound: 503 with Retry-After), the transport its
 * stream connections (over the bound: the new connection is closed) and the time a stream
 * takes to complete each message (a sender that trickles bytes is cut off). docs/limits.md
 * lists the defaults and why.
 */

/** Open server transactions of one source before it gets 503 (the global bound is 10,000). */
export const DEFAULT_MAX_TRANSACTIONS_PER_SOURCE = 1000;
/** Stream (TCP, TLS) connections from one source address (the global bound is 1,024). */
export const DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 64;
/**
 * Time a stream has to complete a message once its first byte arrived, and an accepted
 * connection to deliver its first message (or a TLS handshake to finish), in ms.
 */
export const DEFAULT_MESSAGE_DEADLINE_MS = 10_000;
/** Bytes of a message's header section (start line and headers); the whole message stays ≤ maxMessageSize. */
export const DEFAULT_MAX_HEADER_BYTES = 16_384;
/** Seconds a source over its transaction bound is asked to wait (Retry-After of the 503). */
export const SOURCE_RETRY_AFTER_S = 5;

/** The per-source bounds a user agent takes (each defaults to the constant above). */
export interface SourceLimitOptions {
  maxTransactionsPerSource?: number;
  maxConnectionsPerSource?: number;
  messageDeadlineMs?: number;
  maxHeaderBytes?: number;
}

/** How many of something each source holds now; entries at zero are forgotten. */
export class SourceCounter {
  private readonly counts = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** How many `source` holds. */
  get(source: string): number {
    return this.counts.get(source) ?? 0;
  }

  /** True when `source` may take one more. */
  allows(source: string): boolean {
    return this.get(source) < this.limit;
  }

  add(source: string): void {
    this.counts.set(source, this.get(source) + 1);
  }

  remove(source: string): void {
    const n = this.get(source) - 1;
    if (n > 0) this.counts.set(source, n);
    else this.counts.delete(source);
  }

  /** Sources holding at least one. */
  get sources(): number {
    return this.counts.size;
  }
}
