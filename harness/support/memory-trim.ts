/**
 * Giving freed memory back to the operating system, for actors that run on their own for hours
 * (`sbc-harness sbc`, `sbc-harness sim`).
 *
 * After a burst of traffic (a flood, a fuzz, a load run), the garbage collector frees the
 * messages' buffers, but glibc's allocator keeps the freed pages of its main heap mapped: they are
 * only returned when the free space happens to be at the top of the heap, which one live
 * allocation above it prevents. The process's resident memory then stays at its high-water mark
 * although nothing holds it (measured here: 200 000 buffers of 200–700 bytes freed, RSS stays at
 * 195 MiB; `malloc_trim(0)` takes it back to 75 MiB, in about 0.1 s). `malloc_trim(0)` returns
 * every whole free page of every arena to the kernel (glibc ≥ 2.8; man malloc_trim).
 *
 * It blocks for a moment (~1 ms per MiB given back), so it is only called when the actor is idle
 * (no call up) and its RSS has grown since the last trim. It is called through koffi (already a
 * dependency, for the G.729 oracle). Where there is no glibc (musl, macOS, Windows) or koffi
 * cannot load, it does nothing: those allocators behave differently, and nothing else depends on it.
 */
import { createRequire } from 'node:module';

type Trim = (pad: number) => number;

let trimFn: Trim | null | undefined;

function loadTrim(): Trim | null {
  if (trimFn !== undefined) return trimFn;
  trimFn = null;
  if (process.platform !== 'linux') return trimFn;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    trimFn = libc.func('int malloc_trim(size_t pad)') as Trim;
  } catch {
    trimFn = null;
  }
  return trimFn;
}

/** Whether this host's allocator can be asked to give freed pages back (glibc on Linux). */
export function canTrimMemory(): boolean {
  return loadTrim() !== null;
}

/**
 * Asks the allocator to give its free pages back now. Returns the RSS before and after, bytes,
 * or undefined when the host has no such call.
 */
export function trimMemory(): { beforeBytes: number; afterBytes: number } | undefined {
  const trim = loadTrim();
  if (!trim) return undefined;
  const beforeBytes = process.memoryUsage.rss();
  trim(0);
  return { beforeBytes, afterBytes: process.memoryUsage.rss() };
}

export interface IdleTrimOptions {
  /** True when the actor may pause for a moment (no call up). */
  idle: () => boolean;
  /** How often to look, ms (default 10 s). */
  everyMs?: number;
  /** Trim only when the allocator's slack has grown this much since the last trim (default 1 MiB). */
  minGrowthBytes?: number;
}

/**
 * The part of the resident memory that neither V8's heap nor its external memory (buffers)
 * accounts for: code, native state and the pages the allocator keeps after frees. It rises when
 * the garbage collector frees buffers whose pages the allocator keeps.
 */
function slackBytes(): number {
  const m = process.memoryUsage();
  return m.rss - m.heapTotal - m.external;
}

/**
 * Looks every `everyMs` and trims when the actor is idle and its slack (see {@link slackBytes})
 * grew by `minGrowthBytes` since the last trim (the first look only records the starting point).
 * The timer does not keep the process alive. Returns a function that stops it.
 */
export function startIdleTrim(opts: IdleTrimOptions): () => void {
  if (!canTrimMemory()) return () => undefined;
  const minGrowth = opts.minGrowthBytes ?? 1024 * 1024;
  let base = slackBytes();
  const timer = setInterval(
    () => {
      const slack = slackBytes();
      if (slack < base) base = slack;
      if (slack - base < minGrowth || !opts.idle()) return;
      trimMemory();
      base = slackBytes();
    },
    Math.max(100, opts.everyMs ?? 10_000),
  );
  timer.unref();
  return () => clearInterval(timer);
}
