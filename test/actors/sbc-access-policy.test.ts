/**
 * The reference SBC's access policy on virtual time (harness/actors/sbc-access-policy.ts): the
 * hold-off counts failures per source within its window, holds a source off for its period and
 * lets it go after; a success clears the count; the address forms compare as one; the two
 * misbehaviours of faults flood-lockout and malformed-stall trip at their thresholds.
 */
import { describe, expect, it } from 'vitest';
import {
  AuthHoldOff,
  addressIn,
  GlobalInviteLockout,
  MalformedStall,
  normalAddress,
} from '../../harness/actors/sbc-access-policy.ts';
import { VirtualClock } from '../../harness/support/clock.ts';

const HOLD = { enabled: true, failures: 3, windowS: 10, holdS: 20 };

describe('AuthHoldOff', () => {
  it('holds a source off after N failures within the window, for the hold period only', () => {
    const clock = new VirtualClock();
    const h = new AuthHoldOff(
      () => HOLD,
      () => false,
      clock,
    );
    expect(h.failure('10.0.0.1')).toBe(false);
    expect(h.failure('10.0.0.1')).toBe(false);
    expect(h.held('10.0.0.1')).toBeUndefined();
    expect(h.failure('10.0.0.1')).toBe(true);
    expect(h.held('10.0.0.1')).toBe(20);
    expect(h.held('10.0.0.2')).toBeUndefined();
    clock.advance(19_500);
    expect(h.held('10.0.0.1')).toBe(1);
    clock.advance(500);
    expect(h.held('10.0.0.1')).toBeUndefined();
    expect(h.heldCount).toBe(1);
  });

  it('forgets failures older than the window, and a success clears the count', () => {
    const clock = new VirtualClock();
    const h = new AuthHoldOff(
      () => HOLD,
      () => false,
      clock,
    );
    h.failure('10.0.0.1');
    h.failure('10.0.0.1');
    clock.advance(10_001);
    expect(h.failure('10.0.0.1')).toBe(false);
    h.failure('10.0.0.1');
    h.success('10.0.0.1');
    expect(h.failure('10.0.0.1')).toBe(false);
    expect(h.heldCount).toBe(0);
  });

  it('holds nobody off when disabled or switched off by the fault', () => {
    const clock = new VirtualClock();
    for (const h of [
      new AuthHoldOff(
        () => ({ ...HOLD, enabled: false }),
        () => false,
        clock,
      ),
      new AuthHoldOff(
        () => HOLD,
        () => true,
        clock,
      ),
    ]) {
      for (let i = 0; i < 10; i++) expect(h.failure('10.0.0.1')).toBe(false);
      expect(h.held('10.0.0.1')).toBeUndefined();
    }
  });

  it('treats an IPv4-mapped IPv6 source as the IPv4 address', () => {
    expect(normalAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressIn('::FFFF:10.1.2.3', ['10.1.2.3'])).toBe(true);
    expect(addressIn('2001:DB8::1', ['2001:db8::1'])).toBe(true);
    expect(addressIn('10.1.2.4', ['10.1.2.3'])).toBe(false);
    const clock = new VirtualClock();
    const h = new AuthHoldOff(
      () => HOLD,
      () => false,
      clock,
    );
    for (let i = 0; i < 3; i++) h.failure('::ffff:10.0.0.9');
    expect(h.held('10.0.0.9')).toBe(20);
  });
});

describe('the misbehaviours of faults flood-lockout and malformed-stall', () => {
  it('flood-lockout: the 101st INVITE within 2 s locks every INVITE out for 10 s', () => {
    const clock = new VirtualClock();
    const l = new GlobalInviteLockout(clock);
    for (let i = 0; i < 100; i++) expect(l.locked()).toBe(false);
    expect(l.locked()).toBe(true);
    clock.advance(9_999);
    expect(l.locked()).toBe(true);
    clock.advance(1);
    expect(l.locked()).toBe(false);
  });

  it('flood-lockout: 100 INVITEs spread wider than the window never lock', () => {
    const clock = new VirtualClock();
    const l = new GlobalInviteLockout(clock);
    for (let i = 0; i < 300; i++) {
      expect(l.locked()).toBe(false);
      clock.advance(25);
    }
  });

  it('malformed-stall: the 101st unparsable message within 5 s stalls the SBC for 10 s', () => {
    const clock = new VirtualClock();
    const s = new MalformedStall(clock);
    for (let i = 0; i < 100; i++) s.malformed();
    expect(s.stalled()).toBe(false);
    s.malformed();
    expect(s.stalled()).toBe(true);
    clock.advance(10_000);
    expect(s.stalled()).toBe(false);
  });
});
