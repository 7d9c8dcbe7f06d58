/**
 * ownCopy (harness/support/own-copy.ts): the copy equals the string, and keeps nothing of the
 * text it was cut from, the point of it (a transaction key or a dialog id cut out of a SIP
 * message must not keep the message's header text). Counted with a heap snapshot, in a child
 * process of its own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ownBytes, ownCopy } from '../../harness/support/own-copy.ts';

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

describe('ownBytes', () => {
  it('holds the same bytes in memory of its own, where a small Buffer is a view of the shared pool', () => {
    const pooled = Buffer.from('SIP/2.0 200 OK\r\nCSeq: 2 BYE\r\n\r\n', 'latin1');
    // The precondition: Node cut this Buffer out of its pool (else the check below proves nothing).
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const kept = ownBytes(pooled);
    expect(kept.equals(pooled)).toBe(true);
    expect(kept.buffer).not.toBe(pooled.buffer);
    expect(kept.byteOffset).toBe(0);
    expect(kept.buffer.byteLength).toBe(pooled.length);
    pooled[0] = 0x58;
    expect(kept[0]).toBe(0x53);
    expect(ownBytes(Buffer.alloc(0)).length).toBe(0);
  });
});
