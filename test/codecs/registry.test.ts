import { describe, expect, it } from 'vitest';
import * as codecs from '../../codecs/index.ts';
import { availableCodecs, codecByName, codecByPayloadType, PLAN_CODECS } from '../../codecs/registry.ts';

describe('codec registry', () => {
  it("lists the plan's five codecs once each, with distinct static payload types", () => {
    expect(PLAN_CODECS.map((c) => c.name)).toEqual(['PCMA', 'PCMU', 'G722', 'G729', 'G723']);
    expect(new Set(PLAN_CODECS.map((c) => c.payloadType)).size).toBe(5);
  });

  it('finds codecs by SDP encoding name, case-insensitively, with or without rate/channels', () => {
    expect(codecByName('PCMA')?.payloadType).toBe(8);
    expect(codecByName('pcmu')?.payloadType).toBe(0);
    expect(codecByName('G722/8000')?.name).toBe('G722');
    expect(codecByName(' g729/8000/1 ')?.name).toBe('G729');
    expect(codecByName('G729a')?.name).toBe('G729');
    expect(codecByName('g723')?.name).toBe('G723');
    expect(codecByName('G723.1')?.name).toBe('G723');
    expect(codecByName('telephone-event/8000')).toBeUndefined();
    expect(codecByName('')).toBeUndefined();
  });

  it('finds codecs by static payload type (RFC 3551)', () => {
    expect([0, 4, 8, 9, 18].map((pt) => codecByPayloadType(pt)?.name)).toEqual([
      'PCMU',
      'G723',
      'PCMA',
      'G722',
      'G729',
    ]);
    expect(codecByPayloadType(101)).toBeUndefined();
    expect(codecByPayloadType(-1)).toBeUndefined();
  });

  it('G.723.1 is never available and says why; encoding it throws a clear error', () => {
    const g723 = codecByName('G723')!;
    expect(g723.available()).toBe(false);
    expect(g723.unavailableReason?.()).toMatch(/no G\.723\.1 encoder.*fixture/);
    expect(() => g723.createEncoder()).toThrow(/G\.723\.1 cannot be encoded/);
    expect(() => g723.createDecoder()).toThrow(/G\.723\.1 cannot be decoded/);
    expect([g723.frameMs, g723.frameSamples, g723.frameBytes]).toEqual([30, 240, 24]);
  });

  it('availableCodecs() holds exactly the codecs whose available() is true', () => {
    const names = availableCodecs().map((c) => c.name);
    expect(names).toEqual(PLAN_CODECS.filter((c) => c.available()).map((c) => c.name));
    expect(names).toContain('PCMA');
    expect(names).not.toContain('G723');
  });

  it('index.ts exposes the codecs, the registry and the fixture check', () => {
    expect(codecs.pcma).toBe(codecByName('PCMA'));
    expect(codecs.g722).toBe(codecByName('G722'));
    expect(codecs.g729).toBe(codecByName('G729'));
    expect(typeof codecs.verifyFixtureEcho).toBe('function');
    expect(typeof codecs.loadCodecFixture).toBe('function');
  });
});
