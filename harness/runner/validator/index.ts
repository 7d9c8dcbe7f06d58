/**
 * The SIP validator: the rule table (docs/sip-rules.md mirrors it), the RFC 3264 answer checks
 * and the watcher that judges every message the SBC sends during a case; and the RTP validator
 * (docs/rtp-rules.md), which judges the RTP the SBC sends to our legs.
 */
export * from './offer-answer-rules.ts';
export * from './rtp-checks.ts';
export * from './rtp-rules.ts';
export * from './rtp-validator.ts';
export * from './sip-rules.ts';
export * from './sip-validator.ts';
export * from './validator-checks.ts';
