/**
 * The SIP validator: the rule table (docs/sip-rules.md mirrors it), the RFC 3264 answer checks
 * and the watcher that judges every message the SBC sends during a case.
 */
export * from './offer-answer-rules.ts';
export * from './sip-rules.ts';
export * from './sip-validator.ts';
export * from './validator-checks.ts';
