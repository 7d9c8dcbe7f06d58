/**
 * The SIP layer's public surface: messages, URIs, header values, transports, transactions,
 * dialogs, the user agent, digest authentication, SDP offer/answer, session timers, REFER.
 * Layers above import from here, never from the files behind it.
 */

export * from './dialog.ts';
export * from './digest.ts';
export * from './header-names.ts';
export * from './header-values.ts';
export * from './ids.ts';
export * from './message.ts';
export * from './message-factory.ts';
export * from './parse-result.ts';
export * from './parser.ts';
export * from './refer.ts';
export * from './sdp.ts';
export * from './sdp-codecs.ts';
export * from './sdp-crypto.ts';
export * from './sdp-negotiation.ts';
export * from './sdp-offer-answer.ts';
export * from './session-timer.ts';
export * from './source-limits.ts';
export * from './stream-framer.ts';
export * from './target.ts';
export * from './timers.ts';
export * from './transaction.ts';
export * from './transaction-layer.ts';
export * from './transport.ts';
export * from './uri.ts';
export * from './user-agent.ts';
