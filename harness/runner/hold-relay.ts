/**
 * How long the SBC has, after it answered the OXO's hold or resume, to carry the new direction to
 * the provider's leg: one bound for the plan's cases (8-4-x) and the load's shapes, so that the
 * load never asks more of an SBC than the plan does. A back-to-back SBC may answer the OXO before
 * it re-INVITEs the provider, or re-INVITE it without an offer and give the direction in the ACK
 * (RFC 3261 §14, RFC 3264 §8).
 */
export const HOLD_RELAY_MS = 5000;
