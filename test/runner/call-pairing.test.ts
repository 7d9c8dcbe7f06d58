/**
 * How call-invariants.ts pairs the two legs of one call through a back-to-back SBC, on legs
 * described by hand (the fields pairing reads). An SBC may send an incoming call to the
 * registered Contact, whose user is the OXO trunk's (digits on many trunks, the main number
 * among them), with the DID in To only (RFC 3261 §10.2.1, §16.5).
 */
import { describe, expect, it } from 'vitest';
import type { TrackedCall } from '../../harness/actors/call-registry.ts';
import { pairCalls } from '../../harness/runner/call-invariants.ts';

function leg(
  side: 'provider' | 'oxo',
  direction: 'incoming' | 'outgoing',
  createdMs: number,
  party: string,
  to: string,
  requestUser?: string,
): TrackedCall {
  const call = {
    direction,
    requestUser,
    remoteParty: { user: to },
    invite: { get: (h: string) => (h === 'to' ? `<sip:${to}@sbc.test>` : undefined) },
  };
  return { side, party, createdMs, call } as unknown as TrackedCall;
}

const names = (pairs: Array<[TrackedCall, TrackedCall]>) => pairs.map(([a, b]) => `${a.party}-${b.party}`);

describe('pairing the legs of a call across the SBC', () => {
  it('by the To of the OXO leg when the Request-URI is the trunk’s Contact, all digits', () => {
    const p = leg('provider', 'outgoing', 1000, 'pstn1', '+4930555001');
    const o = leg('oxo', 'incoming', 1020, 'deskphone1', '+4930555001', '4930555000');
    expect(names(pairCalls([p, o]))).toEqual(['pstn1-deskphone1']);
  });

  it('a trunk user that is the main number does not take another call’s leg', () => {
    const main = '4930123456';
    const pMain = leg('provider', 'outgoing', 1000, 'pstn1', '+4930123456');
    const pDid = leg('provider', 'outgoing', 1000, 'pstn2', '+4930777100');
    // The DID's leg arrives first, both at the trunk's Contact.
    const oDid = leg('oxo', 'incoming', 1010, 'deskphone1', '+4930777100', main);
    const oMain = leg('oxo', 'incoming', 1040, 'attendant', '+4930123456', main);
    expect(names(pairCalls([pMain, pDid, oDid, oMain])).sort()).toEqual([
      'pstn1-attendant',
      'pstn2-deskphone1',
    ]);
  });

  it('by the Request-URI when the To names no number (the DID in the Request-URI only)', () => {
    const p = leg('provider', 'outgoing', 1000, 'pstn1', '+4930555001');
    const o = leg('oxo', 'incoming', 1020, 'deskphone1', 'oxo-trunk', '+4930555001');
    expect(names(pairCalls([p, o]))).toEqual(['pstn1-deskphone1']);
  });
});
