/**
 * The Markdown section of a load run (`sbc-harness load`): a pure function of its results.json.
 */
import {
  type DirectionFigures,
  kneeNotReached,
  LOAD_SHAPE_SUMMARY,
  type LoadCallRecord,
  type LoadFigures,
  type LoadResult,
  type LoadShapeName,
  loweredMosCodecs,
  lowestMos,
  mixText,
  mosRequiredText,
  notJudgedText,
  type Percentiles,
} from '../harness/runner/index.ts';
import { loadBreakageMarkdown } from './load-breakage-markdown.ts';

function ms(p: Percentiles | undefined): string {
  return p ? `${Math.round(p.p50)} / ${Math.round(p.p95)} ms` : '–';
}

function num(p: Percentiles | undefined, digits: number, key: 'p50' | 'p95' | 'min'): string {
  return p ? p[key].toFixed(digits) : '–';
}

/** "p50 / p95 / max" of a distribution (the high tail: loss, jitter, delay). */
function highTail(p: Percentiles | undefined, digits: number): string {
  return p ? `${p.p50.toFixed(digits)} / ${p.p95.toFixed(digits)} / ${p.max.toFixed(digits)}` : '–';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function worstLine(c: LoadCallRecord): string {
  const mos = c.audio.map((a) => `${a.from} → ${a.to} MOS ${a.mos.toFixed(2)}${a.heard ? '' : ' (silent)'}`);
  const what = c.failures.length > 0 ? c.failures.join('; ') : 'no failure (lowest MOS or slowest setup)';
  return `| ${c.index} | ${c.shape ?? 'basic'} | ${c.direction} | ${cell(`${c.caller} → ${c.callee}`)} | ${cell(
    `${c.callIds.caller ?? '–'} / ${c.callIds.callee ?? '–'}`,
  )} | ${c.status ?? 'none'} | ${c.setupMs !== undefined ? `${Math.round(c.setupMs)} ms` : '–'} | ${cell(
    mos.join('; ') || '–',
  )} | ${cell(what)} |`;
}

/** ', 3.85 for G.723.1 (…)' for each codec of the run held to less than the threshold. */
function loweredMos(r: LoadResult, minMos: number): string {
  return loweredMosCodecs(r.total.audio, minMos)
    .map((c) => `, ${mosRequiredText(c.codec, minMos)}`)
    .join('');
}

/** The SBC as the report's first line names it: kind, model and firmware, profile, personalities, faults. */
function sbcText(sbc: LoadResult['sbc']): string {
  const what = [sbc.model, sbc.firmware ? `firmware ${sbc.firmware}` : undefined].filter(Boolean).join(', ');
  const more = [
    sbc.profile ? `profile ${sbc.profile}` : undefined,
    sbc.personality?.length ? `personalities: ${sbc.personality.join(', ')}` : undefined,
    sbc.faults.length > 0 ? `faults switched on: ${sbc.faults.join(', ')}` : undefined,
  ].filter(Boolean);
  return `${sbc.kind}${what ? ` (${what})` : ''}${more.length > 0 ? ` (${more.join('; ')})` : ''}`;
}

/** The report section, as Markdown. */
export function loadMarkdown(r: LoadResult): string {
  const t = r.thresholds;
  const out: string[] = [];
  out.push('## Load through the SBC', '');
  out.push(
    `SBC: ${sbcText(r.sbc)}; ` +
      `the provider's legs ${r.sbc.providerSrtp ? "SRTP (the profile's provider.srtp)" : 'plain RTP'}. ` +
      `${r.total.calls} call(s), direction ${r.options.direction}, hold ${r.options.holdS} s, ` +
      `started at most ${r.options.ratePerS !== undefined ? `${r.options.ratePerS} call(s)/s` : "a step's target over the hold time per second"}, ` +
      `mix ${mixText(r.options.mix ?? { basic: 1 })}, ` +
      `${r.options.steps.length > 1 ? `ramp ${r.options.steps.join(', ')} (${r.options.stepS} s per step)` : `concurrency ${r.options.steps[0]}${r.options.stepS !== undefined ? ` for ${r.options.stepS} s` : ''}`}; ` +
      `stopped by ${r.stoppedBy}. ${r.startedAt} to ${r.finishedAt}.`,
    '',
  );
  out.push(
    `Thresholds: MOS ≥ ${t.minMos} in every direction of every call${loweredMos(r, t.minMos)}, setup time p95 < ${t.maxSetupP95Ms} ms, at most ${t.maxFailedCalls} failed call(s).`,
    '',
  );
  const notJudged = notJudgedText(r.total.audio);
  if (notJudged) out.push(`**Not judged:** ${notJudged}.`, '');
  const notReached = kneeNotReached(r.steps, r.options.steps, r.stoppedBy);
  out.push(
    notReached !== undefined
      ? `**Knee not reached:** ${notReached}.`
      : r.knee !== undefined
        ? `**Knee: ${r.knee} concurrent calls** (the highest target before the first step that missed a threshold).`
        : r.highestMet !== undefined
          ? '**Knee: none** (the first step missed a threshold).'
          : '**No step met every threshold.**',
    '',
  );
  if (r.highestMet !== undefined && r.highestMet !== r.knee)
    out.push(
      `A later step met every threshold again at ${r.highestMet} concurrent calls, after a step that missed one: the host was not steady (shared CPU?), so that step is not taken as the knee.`,
      '',
    );
  if (r.sbcCallsLeftUp !== undefined)
    out.push(`Calls the embedded SBC still held at the end: ${r.sbcCallsLeftUp}.`, '');
  if (r.agents)
    out.push(
      `Merged from ${r.agents.length} run(s) (\`sbc-harness merge\`; figures computed again from all their calls): ${r.agents
        .map((a) => `agent ${a.index} ${a.calls} call(s), ${a.failedCalls} failed`)
        .join('; ')}.`,
      '',
    );
  if (r.agent)
    out.push(
      `Agent ${r.agent.index} of ${r.agent.count} (its share of the load; slots from ${r.agent.slotBase}).`,
      '',
    );
  out.push(...loadBreakageMarkdown(r));

  if (r.timeline.length > 0)
    out.push('![Calls in flight, setup time p95 and MOS over time](load-chart.svg)', '');
  out.push(
    '### Per step',
    '',
    'Steps are numbered from 1, as on the console (`step` in results.json counts from 0).',
    '',
  );
  out.push(
    '| step | target | peak in flight | calls | failed | calls/s started | setup p50 / p95 | SRD p50 / p95 | SRD failed p50 / p95 | SDD p50 / p95 | SER % | ISA % | harness late p99 / max, stalled > 200 ms | met | missed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of r.steps) {
    const f = s.figures;
    out.push(
      `| ${s.step + 1} | ${s.concurrency} | ${s.peakInFlight} | ${f.calls} | ${f.failedCalls} | ${s.callsPerSecond.toFixed(2)} | ${ms(
        f.setupMs,
      )} | ${ms(f.rfc6076.sessionRequestDelayMs)} | ${ms(f.rfc6076.failedSessionRequestDelayMs)} | ${ms(f.rfc6076.sessionDisconnectDelayMs)} | ${f.rfc6076.sessionEstablishmentRatio.toFixed(
        1,
      )} | ${f.rfc6076.ineffectiveSessionAttempts.toFixed(1)} | ${
        s.harnessLag
          ? `${Math.round(s.harnessLag.p99Ms)} / ${Math.round(s.harnessLag.maxMs)} ms${
              s.harnessLag.stalledShare !== undefined
                ? `, stalled ${(100 * s.harnessLag.stalledShare).toFixed(1)} %`
                : ''
            }`
          : '–'
      } | ${s.verdict.met ? 'yes' : 'no'} | ${cell(s.verdict.missed.join('; ') || '–')} |`,
    );
  }
  out.push('');
  out.push(
    '| step | target | silent directions | MOS min | loss % p50 / p95 / max | jitter ms p50 / p95 / max | one-way delay ms p50 / p95 / max |',
    '|---|---|---|---|---|---|---|',
  );
  for (const s of r.steps) {
    const a = s.figures.audio;
    const both = (f: (d: DirectionFigures) => Percentiles | undefined, digits: number) =>
      `→ ${highTail(f(a.callerToCallee), digits)}; ← ${highTail(f(a.calleeToCaller), digits)}`;
    out.push(
      `| ${s.step + 1} | ${s.concurrency} | ${a.callerToCallee.silent + a.calleeToCaller.silent} | ${lowestMos(a)?.toFixed(2) ?? '–'} | ${both(
        (d) => d.lossPercent,
        1,
      )} | ${both((d) => d.jitterMs, 1)} | ${both((d) => d.delayMs, 0)} |`,
    );
  }
  out.push('', 'In the audio columns, → is caller to callee and ← callee to caller.', '');

  out.push('### Per call shape', '');
  out.push(
    '| shape | calls | failed | setup p50 / p95 | MOS min | what the shape checks |',
    '|---|---|---|---|---|---|',
  );
  for (const [name, f] of Object.entries(r.shapes ?? { basic: r.total }) as Array<
    [LoadShapeName, LoadFigures]
  >) {
    out.push(
      `| ${name} | ${f.calls} | ${f.failedCalls} | ${ms(f.setupMs)} | ${lowestMos(f.audio)?.toFixed(2) ?? '–'} | ${cell(LOAD_SHAPE_SUMMARY[name])} |`,
    );
  }
  out.push('');

  out.push('### Audio per direction (whole run)', '');
  out.push(
    '| direction | measured | silent | loss % p50 / p95 / max | jitter ms p50 / p95 / max | MOS p50 / min | one-way delay ms p50 / p95 / max |',
    '|---|---|---|---|---|---|---|',
  );
  const dirs = [
    ['caller → callee', r.total.audio.callerToCallee],
    ['callee → caller', r.total.audio.calleeToCaller],
  ] as const;
  for (const [name, d] of dirs) {
    out.push(
      `| ${name} | ${d.measured} | ${d.silent} | ${highTail(d.lossPercent, 1)} | ${highTail(d.jitterMs, 1)} | ${num(
        d.mos,
        2,
        'p50',
      )} / ${num(d.mos, 2, 'min')} | ${highTail(d.delayMs, 0)} |`,
    );
  }
  out.push('');

  out.push('### Worst calls', '');
  if (r.worst.length === 0) out.push('No call ran.', '');
  else {
    out.push(
      '| # | shape | dir | caller → callee | Call-IDs (caller / callee leg) | status | setup | audio | what failed |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const c of r.worst) out.push(worstLine(c));
    out.push('');
  }
  out.push(
    'RFC 6076: SRD = INVITE to first non-100 provisional or 2xx, over the setups that succeeded (§4.2.1); ' +
      'SRD failed = INVITE to its 4xx, 5xx or 6xx (§4.2.2); SDD = BYE to its final response; ' +
      'SER = 2xx / (INVITEs − 3xx); ISA = INVITEs answered 408/500/503/504 or not at all. docs/load.md explains every figure.',
    '',
  );
  return out.join('\n');
}
