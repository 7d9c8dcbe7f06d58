/**
 * Frames SIP messages out of a byte stream (TCP, TLS) by their Content-Length
 * (RFC 3261 §18.3: mandatory on streams). Leading CRLFs (keep-alives) are skipped.
 */
import { findHeaderEnd } from './parser.ts';

export type FrameResult =
  | { kind: 'message'; data: Buffer }
  | { kind: 'keepalive' }
  | { kind: 'error'; reason: string; data: Buffer };

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(private readonly maxSize: number) {}

  /** Feeds bytes; returns the complete messages (and errors) now available. After an error the stream is unusable. */
  push(chunk: Buffer): FrameResult[] {
    if (this.broken) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FrameResult[] = [];
    for (;;) {
      let skip = 0;
      while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
      if (skip > 0) {
        if (skip >= 4 || skip === this.buf.length) out.push({ kind: 'keepalive' });
        this.buf = this.buf.subarray(skip);
      }
      if (this.buf.length === 0) break;
      const end = findHeaderEnd(this.buf);
      if (!end) {
        if (this.buf.length > this.maxSize)
          return this.fail(out, `header section exceeds ${this.maxSize} bytes`);
        break;
      }
      // Unfold continuation lines first: a folded Content-Length is valid (RFC 3261 §7.3.1).
      const head = this.buf
        .subarray(0, end.bodyStart)
        .toString('latin1')
        .replace(/\r?\n[ \t]+/g, ' ');
      const m = /(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/i.exec(head);
      if (!m) return this.fail(out, 'message on a stream transport has no Content-Length');
      const text = m[1]!.trim();
      if (!/^\d{1,10}$/.test(text)) return this.fail(out, `invalid Content-Length "${text.slice(0, 40)}"`);
      const total = end.bodyStart + Number(text);
      if (total > this.maxSize)
        return this.fail(out, `message of ${total} bytes exceeds the limit of ${this.maxSize}`);
      if (this.buf.length < total) break;
      out.push({ kind: 'message', data: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }

  private fail(out: FrameResult[], reason: string): FrameResult[] {
    out.push({
      kind: 'error',
      reason,
      data: Buffer.from(this.buf.subarray(0, Math.min(this.buf.length, 2048))),
    });
    this.broken = true;
    this.buf = Buffer.alloc(0);
    return out;
  }
}
