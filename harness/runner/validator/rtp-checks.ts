/**
 * Turns what the RTP validator found in a case into checks of the cell: one failed check per
 * rule broken on a leg (naming the rule, its RFC section, and the offending packets as
 * evidence), or one passing check saying how many packets from the SBC were judged. A case
 * whose SDP declared no media leg gets no RTP check.
 */

import type { PacketRecord } from '../../media/rtp/index.ts';
import type { Checks } from '../checks.ts';
import { RTP_RULES, rtpRule } from './rtp-rules.ts';
import type { RtpFinding, RtpValidator } from './rtp-validator.ts';
import { legName } from './validator-checks.ts';

/** Judges `received` (what our legs received in the case) and records the result in `checks`. */
export function recordRtpRuleChecks(
  checks: Checks,
  validator: RtpValidator,
  received: readonly PacketRecord[],
): boolean {
  const findings = validator.judge(received);
  const s = validator.stats;
  // A case with no media leg gets no RTP check; one with legs always gets one (even when its
  // calls were too short for a packet), so the same case records the same checks every run.
  if (validator.declaredLegs === 0 && s.judged === 0 && findings.length === 0) return true;
  const seen = `${s.judged} RTP packet(s) from the SBC in ${s.streams} stream(s) (${s.telephoneEvents} telephone-event report(s)${
    s.headerOnly > 0 ? `, ${s.headerOnly} SRTP packet(s) judged on their header` : ''
  }) judged against ${RTP_RULES.length} rules${
    s.unmatched > 0 ? ` (${s.unmatched} packet(s) to addresses no SDP of ours declared not judged)` : ''
  }`;
  if (findings.length === 0) {
    return checks.that('RTP rules (RFC 3550, RFC 3264, RFC 4733)', true, {
      expected: 'every RTP packet the SBC sends to our legs follows the rules of docs/rtp-rules.md',
      observed: `${seen}; no rule broken`,
    });
  }
  const groups = new Map<string, RtpFinding[]>();
  for (const f of findings) {
    const k = `${f.rule}\n${f.actor}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  for (const list of groups.values()) {
    const first = list[0] as RtpFinding;
    const rule = rtpRule(first.rule);
    const times = list.reduce((n, f) => n + f.count, 0);
    const more = times > 1 ? ` (${times} times)` : '';
    checks.that(`RTP rule ${rule.id} on the ${legName(first.actor)}`, false, {
      expected: `${rule.rule} (${rule.rfc})`,
      observed: `${first.detail}${more}`,
      failure: `${rule.failure} on the ${legName(first.actor)}: ${first.detail}${more} [${rule.rfc}, rule ${rule.id}]`,
      evidence: [
        `rule ${rule.id}, ${rule.rfc}: ${rule.rule}`,
        `offending packets (received on ${first.leg}):\n${first.packets.join('\n')}`,
        seen,
        `the packet it broke on: ${first.offending}`,
      ],
    });
  }
  return false;
}
