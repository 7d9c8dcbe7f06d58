/**
 * The engineer in the loop: with real equipment on one side (oxo.kind or provider.kind: real),
 * a step that a simulator would play becomes an instruction to the engineer, and an observation
 * the harness cannot make (what a deskphone's display shows, what the handset plays) becomes a
 * question. Each answer is recorded as a check with who judged it, when, and the engineer's
 * words; an engineer's NOK makes the cell NOK with those words.
 */

/** What the engineer is asked. */
export interface Instruction {
  /** Unique in the run: `<case id>#<n>`. */
  id: string;
  caseId: string;
  /**
   * action: do this now ("Answer on Premium Deskphone 1"), then say done (ok), or that it could
   * not be done (nok) or does not apply (na).
   * check: observe and judge ("Does the display show 040555001?"): ok, nok or na.
   * setting: configure the SBC or the PBX before the case goes on (asked once per run).
   */
  kind: 'action' | 'check' | 'setting';
  /** Which equipment the engineer acts on or looks at. */
  side: 'oxo' | 'provider' | 'sbc';
  /** The instruction in the plan's words. */
  text: string;
  /** For a check: what should be observed. */
  expected?: string;
  /** When it was asked (ms since the epoch). */
  askedAtMs: number;
  /** For a setting: what it sets ("oxo:deskphone-codecs"), so an unchanged setting is not asked again. */
  subject?: string;
}

export type EngineerVerdict = 'ok' | 'nok' | 'na';

/** The engineer's answer to one instruction. */
export interface EngineerAnswer {
  verdict: EngineerVerdict;
  /** Free comment (the engineer's words; required in spirit for a NOK). */
  comment: string;
  /** ISO time of the answer. */
  at: string;
  /** Where it came from. */
  via: 'terminal' | 'console' | 'script' | 'journal';
}

/** Something that can put an instruction to the engineer and wait for the answer. */
export interface InstructionAsker {
  instruct(i: Instruction, signal?: AbortSignal): Promise<EngineerAnswer>;
}

/** A key that is the same for the same instruction in a resumed run (case, kind, side, text). */
export function instructionKey(i: Pick<Instruction, 'caseId' | 'kind' | 'side' | 'text'>): string {
  return `${i.caseId}|${i.kind}|${i.side}|${i.text}`;
}

/** Parses a typed answer: "ok", "nok", "na" / "n/a", each optionally followed by a comment. */
export function parseEngineerAnswer(line: string): { verdict: EngineerVerdict; comment: string } | undefined {
  const m = /^\s*(ok|done|yes|nok|no|na|n\/a)\b[\s:,-]*(.*)$/i.exec(line);
  if (!m) return undefined;
  const w = (m[1] ?? '').toLowerCase();
  const verdict: EngineerVerdict =
    w === 'nok' || w === 'no' ? 'nok' : w === 'na' || w === 'n/a' ? 'na' : 'ok';
  return { verdict, comment: (m[2] ?? '').trim() };
}

/**
 * The simulator settings a case asks for (its `lab` section) that become settings for the
 * engineer when that side is real equipment: the deskphones' codec order on a real OXO. A real
 * provider's codecs are the operator's, not the engineer's to set: none.
 */
export function realSideSettings(
  lab: { deskphoneCodecs?: string[] } | undefined,
  side: 'oxo' | 'provider',
  sets: string[],
  label: (codec: string) => string,
): Array<{ subject: string; text: string }> {
  if (side !== 'oxo' || !lab?.deskphoneCodecs) return [];
  return [
    {
      subject: 'oxo:deskphone-codecs',
      text: `Set the codec order of ${sets.join(' and ')} on the OXO to ${lab.deskphoneCodecs.map(label).join(', ')} (first preferred, VAD off)`,
    },
  ];
}
