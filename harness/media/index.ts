/**
 * The media layer: RTP/RTCP/SRTP sessions and statistics (`rtp`), DTMF in its three modes
 * (`dtmf`), signal analysis and test signals (`analysis`), and evidence files (`capture`).
 * It knows nothing of SIP. Each part is also importable through its own index.ts.
 */
export * as analysis from './analysis/index.ts';
export * as capture from './capture/index.ts';
export * as dtmf from './dtmf/index.ts';
export * as rtp from './rtp/index.ts';
