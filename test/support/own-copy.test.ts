/**
 * ownCopy (harness/support/own-copy.ts): the copy equals the string, and keeps nothing of the
 * text it was cut from, the point of it (a transaction key or a dialog id cut out of a SIP
 * message must not keep the message's header text). Counted with a heap snapshot, in a child
 * process of its own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keepBytes, keptBuffer, ownCopy } from '../../harness/support/own-copy.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function child(mode: 'slice' | 'copy'): { kept: number; equal: boolean; held: number } {
  const r = spawnSync(process.execPath, ['bin/run-ts.js', 'test/support/fixtures/own-copy-child.ts', mode], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
}

describe('ownCopy', () => {
  it('equals its input, short or long, empty or not', () => {
    for (const s of ['', 'a', 'z9hG4bK', 'z9hG4bK-abcdefghijklmnop|127.0.0.1:5060|INVITE', 'ü€😀'.repeat(9)])
      expect(ownCopy(s)).toBe(s);
  });

  it('keeps none of the header texts its pieces were cut from, where the pieces themselves keep every one', () => {
    const sliced = child('slice');
    const copied = child('copy');
    expect(sliced.equal && copied.equal).toBe(true);
    expect(sliced.held + copied.held).toBe(400);
    // At most the last loop turn's own text and bytes may still be on the child's stack.
    expect(sliced.kept).toBeGreaterThanOrEqual(200);
    expect(copied.kept).toBeLessThanOrEqual(2);
  });
});

describe('keepBytes', () => {
  it('gives every byte value back as it was, from a copy the sent Buffer does not share', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const kept = keepBytes(all);
    expect(typeof kept).toBe('string');
    expect(kept.length).toBe(256);
    expect(keptBuffer(kept).equals(all)).toBe(true);
    // A response with a UTF-8 display name: the bytes come back, not a re-encoding of them.
    const sent = Buffer.from('SIP/2.0 200 OK\r\nFrom: "Jürgen Müller" <sip:j@x>\r\n\r\n', 'utf8');
    const k = keepBytes(sent);
    sent.fill(0);
    expect(keptBuffer(k).toString('utf8')).toBe('SIP/2.0 200 OK\r\nFrom: "Jürgen Müller" <sip:j@x>\r\n\r\n');
    expect(keptBuffer(keepBytes(Buffer.alloc(0))).length).toBe(0);
  });
});
