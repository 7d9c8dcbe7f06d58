/**
 * Turns what the SIP validator found in a case into checks of the cell: one failed check per
 * rule broken on a leg (naming the rule, its RFC section, and the first offending message as
 * evidence), or one passing check saying how many of the SBC's messages were judged.
 */
import type { Checks } from '../checks.ts';
import { SIP_RULES, sipRule } from './sip-rules.ts';
import type { Finding, SipValidator } from './sip-validator.ts';

/** The name a report gives each of our actors' legs. */
const LEG: Record<string, string> = {
  provider: 'provider leg (SBC WAN side)',
  oxo: 'OXO leg (SBC LAN side)',
};

/** Longest message text kept as evidence. */
const MAX_MESSAGE_CHARS = 2000;

/** The name of a failed check that recordSipRuleChecks records for a rule broken on a leg. */
const SIP_RULE_CHECK = /^SIP rule [\w-]+ on the /;

/**
 * Whether a check is one of the SIP validator's rules (recordSipRuleChecks): what the SBC sent
 * broke a rule whatever our own RTP did, so a failure of ours to send media cannot explain it.
 */
export function isSipRuleCheck(r: { name: string }): boolean {
  return SIP_RULE_CHECK.test(r.name);
}

export function legName(actor: string): string {
  return LEG[actor] ?? `${actor} leg`;
}

/**
 * Records the validator's result in `checks` at the end of a case (`nowMs` on the wall clock);
 * `ackGraceMs`: how old an unacknowledged 2xx must be to count (SipValidator.finish).
 */
export function recordSipRuleChecks(
  checks: Checks,
  validator: SipValidator,
  nowMs: number,
  ackGraceMs?: number,
): boolean {
  const findings = validator.finish(nowMs, ackGraceMs);
  const s = validator.stats;
  const seen = `${s.judged} SIP message(s) from the SBC (${s.sdp} SDP) judged against ${SIP_RULES.length} rules`;
  if (findings.length === 0) {
    return checks.that('SIP rules (RFC 3261, RFC 3264)', true, {
      expected: 'every message the SBC sends follows the rules of docs/sip-rules.md',
      observed: `${seen}; no rule broken`,
    });
  }
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const k = `${f.rule}\n${f.actor}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  let failed = false;
  for (const [key, list] of groups) {
    const first = list[0] as Finding;
    const rule = sipRule(first.rule);
    const more = list.length > 1 ? ` (${list.length} times)` : '';
    const waived = validator.waived.get(key);
    const text =
      first.message.length > MAX_MESSAGE_CHARS
        ? `${first.message.slice(0, MAX_MESSAGE_CHARS)}\n[… ${first.message.length - MAX_MESSAGE_CHARS} more characters]`
        : first.message;
    if (!waived) failed = true;
    checks.that(`SIP rule ${rule.id} on the ${legName(first.actor)}`, false, {
      expected: `${rule.rule} (${rule.rfc})`,
      observed: `${first.detail}${more}`,
      ...(waived ? { notJudgedBy: `waived by the case: ${waived}` } : {}),
      failure: `${rule.failure} on the ${legName(first.actor)}: ${first.detail}${more} [${rule.rfc}, rule ${rule.id}]`,
      evidence: [
        `rule ${rule.id}, ${rule.rfc}: ${rule.rule}`,
        `offending message (received ${new Date(first.wallMs).toISOString()}):\n${text}`,
      ],
    });
  }
  return !failed;
}
