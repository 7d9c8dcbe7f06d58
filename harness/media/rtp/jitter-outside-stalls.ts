/**
 * RFC 3550 interarrival jitter (§6.4.1, §A.8) of received RTP, leaving out the transit
 * differences that a stall of the receiving process itself made.
 *
 * While the harness's process is stalled (a GC pause, a loaded host) the datagrams wait in the
 * socket, and they are all read, and stamped, when the process runs again: their arrival times
 * then say more about the harness than about the sender. The media-gap check already leaves such
 * stalls out (call-registry.ts notes them from its own late polls); this does the same for the
 * jitter, so that an SBC is not judged by the harness's pauses. A difference D(i-1, i) is left out
 * when either packet was stamped inside a stall, or within `slackMs` after it (the burst read
 * when the process resumes). Everything else is RFC 3550's estimator: J += (|D| − J) / 16, per
 * SSRC, and a step above `jumpMs` is a timestamp jump, not jitter (as stream-stats.ts does).
 */

export interface JitterPacket {
  /** Arrival, ms (the receiving process's clock, the same as the stalls'). */
  atMs: number;
  /** RTP timestamp. */
  timestamp: number;
  ssrc: number;
}

export interface JitterOutsideStallsOptions {
  /** RTP clock rate of the stream (8000 for G.711, G.722, G.729). */
  clockRate: number;
  /** Periods when the receiving process was stalled, ms. */
  stalls: ReadonlyArray<{ fromMs: number; toMs: number }>;
  /** How long after a stall's end arrivals still count as stamped by it, ms. Default 50. */
  slackMs?: number;
  /** A transit step above this is a timestamp jump, ms. Default 500. */
  jumpMs?: number;
}

export interface JitterOutsideStalls {
  /** The largest final jitter over the SSRCs, ms. */
  jitterMs: number;
  /** Differences left out because a stall stamped them. */
  leftOut: number;
  /** Differences kept (the estimate rests on these). */
  kept: number;
}

export function jitterOutsideStalls(
  packets: readonly JitterPacket[],
  o: JitterOutsideStallsOptions,
): JitterOutsideStalls {
  const slack = o.slackMs ?? 50;
  const jump = o.jumpMs ?? 500;
  const stalled = (at: number) => o.stalls.some((s) => at >= s.fromMs && at <= s.toMs + slack);
  const per = new Map<number, { at: number; ts: number; j: number }>();
  let leftOut = 0;
  let kept = 0;
  for (const p of packets) {
    const prev = per.get(p.ssrc);
    if (!prev) {
      per.set(p.ssrc, { at: p.atMs, ts: p.timestamp, j: 0 });
      continue;
    }
    if (stalled(p.atMs) || stalled(prev.at)) leftOut++;
    else {
      kept++;
      const d = ((p.atMs - prev.at) * o.clockRate) / 1000 - ((p.timestamp - prev.ts) | 0);
      const ad = Math.abs(d);
      if ((ad * 1000) / o.clockRate <= jump) prev.j += (ad - prev.j) / 16;
    }
    prev.at = p.atMs;
    prev.ts = p.timestamp;
  }
  let worst = 0;
  for (const s of per.values()) worst = Math.max(worst, (s.j * 1000) / o.clockRate);
  return { jitterMs: worst, leftOut, kept };
}
