/**
 * Replaces across the reference SBC (harness/actors/sbc-replaces.ts): a Replaces naming the
 * SBC's dialog on one side is renamed to the SBC's dialog with the other side's UA, tags turned
 * for that UA (RFC 3891 §3); or the call and legs it names are found, for an SBC that honours
 * it by joining legs it has (personality replaces-local). Hand-made dialogs; the load tests
 * run both end to end.
 */
import { describe, expect, it } from 'vitest';
import { replacesAcross, replacesNamed } from '../../harness/actors/sbc-replaces.ts';
import type { Dialog } from '../../harness/sip/index.ts';

const dialog = (callId: string, localTag: string, remoteTag: string) =>
  ({ id: { callId, localTag, remoteTag } }) as unknown as Dialog;

const consultation = {
  legs: [
    { side: 'lan' as const, dialog: dialog('lan-call', 'sbc-lan', 'oxo') },
    { side: 'wan' as const, dialog: dialog('wan-call', 'sbc-wan', 'target') },
  ],
};
const other = {
  legs: [
    { side: 'lan' as const, dialog: dialog('lan-other', 'x', 'y') },
    { side: 'wan' as const, dialog: dialog('wan-other', 'z', 'w') },
  ],
};

describe('Replaces across the SBC', () => {
  it('names the other leg of the same call, with to-tag the recipient’s own tag', () => {
    // As the OXO writes it: to-tag is the SBC's (its peer's) tag, from-tag its own.
    expect(replacesAcross('lan-call;to-tag=sbc-lan;from-tag=oxo', 'lan', [other, consultation])).toBe(
      'wan-call;to-tag=target;from-tag=sbc-wan',
    );
    // Tags in either order name the same dialog; early-only is kept.
    expect(replacesAcross('lan-call;to-tag=oxo;from-tag=sbc-lan;early-only', 'lan', [consultation])).toBe(
      'wan-call;to-tag=target;from-tag=sbc-wan;early-only',
    );
    // From the other side, the other way round.
    expect(replacesAcross('wan-call;to-tag=sbc-wan;from-tag=target', 'wan', [consultation])).toBe(
      'lan-call;to-tag=oxo;from-tag=sbc-lan',
    );
  });

  it('leaves alone what names no dialog of the SBC on that side, or cannot be parsed', () => {
    expect(replacesAcross('lan-call;to-tag=sbc-lan;from-tag=other', 'lan', [consultation])).toBeUndefined();
    expect(replacesAcross('lan-call;to-tag=sbc-lan;from-tag=oxo', 'wan', [consultation])).toBeUndefined();
    expect(replacesAcross('lan-call;to-tag=sbc-lan', 'lan', [consultation])).toBeUndefined();
    const half = {
      legs: [
        consultation.legs[0] as (typeof consultation.legs)[0],
        { side: 'wan' as const, dialog: undefined },
      ],
    };
    expect(replacesAcross('lan-call;to-tag=sbc-lan;from-tag=oxo', 'lan', [half])).toBeUndefined();
  });

  it('finds the named call, the named leg and the call’s leg on the other side', () => {
    const m = replacesNamed('lan-call;to-tag=sbc-lan;from-tag=oxo', 'lan', [other, consultation]);
    expect(m?.call).toBe(consultation);
    expect(m?.named).toBe(consultation.legs[0]);
    expect(m?.other).toBe(consultation.legs[1]);
    expect(m?.earlyOnly).toBe(false);
    expect(
      replacesNamed('lan-call;to-tag=oxo;from-tag=sbc-lan;early-only', 'lan', [consultation])?.earlyOnly,
    ).toBe(true);
    expect(replacesNamed('lan-call;to-tag=sbc-lan;from-tag=oxo', 'wan', [consultation])).toBeUndefined();
    expect(replacesNamed('not a replaces', 'lan', [consultation])).toBeUndefined();
  });
});
