/**
 * Fault switch values as the command line gives them (`--sbc-fault name[=value]`): flags take
 * none, 'seconds' switches a number of seconds, 'ms' switches (delay-media) a number of
 * milliseconds up to MAX_FAULT_MS, 'count' switches (session-limit) a whole number up to
 * MAX_FAULT_COUNT; anything else (an empty value too) is refused with the name and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { parseFaults } from '../../harness/actors/lab.ts';
import { MAX_FAULT_COUNT, MAX_FAULT_MS } from '../../harness/actors/sbc-faults.ts';

describe('parseFaults', () => {
  it('reads flags, seconds and milliseconds', () => {
    expect(parseFaults(['one-way-audio', 'stop-rtp-after=2', 'delay-media=300'])).toEqual({
      'one-way-audio': true,
      'stop-rtp-after': 2,
      'delay-media': 300,
    });
    expect(parseFaults(['delay-media=0'])).toEqual({ 'delay-media': 0 });
    expect(parseFaults([`delay-media=${MAX_FAULT_MS}`])).toEqual({ 'delay-media': MAX_FAULT_MS });
  });

  it('refuses a missing, empty, negative, non-numeric or too large delay, naming the unit', () => {
    for (const bad of [
      'delay-media',
      'delay-media=',
      'delay-media= ',
      'delay-media=-1',
      'delay-media=abc',
      `delay-media=${MAX_FAULT_MS + 1}`,
    ]) {
      expect(() => parseFaults([bad]), bad).toThrow(
        /"delay-media" needs a number of milliseconds from 0 to 10000/,
      );
    }
    expect(() => parseFaults(['one-way-audio=1'])).toThrow(/takes no value/);
    // An empty number of seconds is no number (it read as 0 before).
    expect(() => parseFaults(['stop-rtp-after='])).toThrow(/"stop-rtp-after" needs a number of seconds/);
  });

  it('reads a count as a whole number from 0, and refuses anything else', () => {
    expect(parseFaults(['session-limit=2'])).toEqual({ 'session-limit': 2 });
    expect(parseFaults(['session-limit=0'])).toEqual({ 'session-limit': 0 });
    expect(parseFaults([`session-limit=${MAX_FAULT_COUNT}`])).toEqual({ 'session-limit': MAX_FAULT_COUNT });
    for (const bad of [
      'session-limit',
      'session-limit=',
      'session-limit=1.5',
      'session-limit=-1',
      'session-limit=ten',
      'session-limit=0x10',
      'session-limit=1e3',
      'session-limit= 2',
      `session-limit=${MAX_FAULT_COUNT + 1}`,
    ]) {
      expect(() => parseFaults([bad]), bad).toThrow(
        /"session-limit" needs a whole number from 0 to 100000, e.g. session-limit=10/,
      );
    }
  });
});
