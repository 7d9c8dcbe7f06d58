/**
 * The "What broke" part of a load report: each kind of breakage with its figure and calls, and
 * each fault switch that was on, named with what it broke (harness/runner/load-breakage.ts).
 * A pure function of results.json.
 */
import {
  breakKindLabel,
  harnessBehind,
  type LoadBreakKind,
  type LoadResult,
  loadRulesText,
  notSeenText,
} from '../harness/runner/index.ts';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown lines of the section (ends with a blank line). */
export function loadBreakageMarkdown(r: LoadResult): string[] {
  const breakage = r.breakage ?? [];
  const findings = r.faultFindings ?? [];
  const out: string[] = ['### What broke and which fault', ''];
  if (breakage.length === 0)
    out.push(
      'Nothing broke: no lost call, no degraded audio, no leg left up, no step of a call shape failed, no SIP or RTP rule broken.',
      '',
    );
  else {
    out.push('| what broke | calls | figure | calls (index, first 10) |', '|---|---|---|---|');
    for (const b of breakage)
      out.push(
        `| ${breakKindLabel(b.kind)} | ${b.calls} | ${cell(b.figure)} | ${b.examples.join(', ') || '–'} |`,
      );
    out.push('');
  }
  // Results written before the rules were judged in a load have no such line.
  if (r.rules) out.push(`SIP and RTP rules: ${loadRulesText(r.rules)}.`, '');
  const behind = harnessBehind(r);
  if (behind) out.push(`The harness ${behind}.`, '');
  if (findings.length === 0) {
    out.push(
      r.sbc.kind === 'embedded'
        ? 'No fault switch of the embedded SBC was on.'
        : `The SBC is ${r.sbc.kind}: no fault switch of the harness applies; what broke is the SBC's, the host's or the harness's own (each failure says which).`,
      '',
    );
    return out;
  }
  out.push(
    '| fault switch on | what it does | breaks in this run | caught in this run |',
    '|---|---|---|---|',
  );
  for (const f of findings) {
    const kinds = (ks: readonly LoadBreakKind[]) =>
      ks
        .map((k) =>
          k === 'step-failed' && f.shapes
            ? `${breakKindLabel(k)} (${f.shapes.join(', ')})`
            : k === 'rule-broken' && f.rules
              ? `${breakKindLabel(k)} (${f.rules.join(', ')}${f.ruleShapes ? `, on ${f.ruleShapes.join(', ')}` : ''})`
              : breakKindLabel(k),
        )
        .join(', ');
    const expects =
      kinds(f.expects) ||
      (f.notExercised
        ? `nothing: ${f.notExercised}`
        : (f.shapes ?? f.ruleShapes)
          ? `nothing: no call of ${(f.shapes ?? f.ruleShapes ?? []).join(', ')} in the mix`
          : "nothing: none of the load's call shapes exercises it");
    const caught = f.caught
      ? `**caught**: ${kinds(f.seen)}`
      : f.expects.length > 0
        ? `**not caught**: no ${notSeenText(f)} seen`
        : 'not exercised';
    out.push(`| \`${cell(f.fault)}\` | ${cell(f.summary)} | ${expects} | ${caught} |`);
  }
  out.push('');
  return out;
}
