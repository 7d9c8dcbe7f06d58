/**
 * The actors layer: the simulated provider (registrar, PSTN phones, IVR), the simulated OXO
 * Connect trunk (extensions, hold with music on hold, conference, transfers, display), the
 * embedded reference SBC with its fault switches and personalities, the media leg they share, and the lab that
 * builds all three from a profile. Layers above import from here.
 */
export * from './audio-sources.ts';
export * from './call.ts';
export * from './call-registry.ts';
export * from './conference-mixer.ts';
export * from './display.ts';
export * from './extension.ts';
export * from './handset.ts';
export * from './ivr.ts';
export * from './lab.ts';
export * from './marked-tone-source.ts';
export * from './media-evidence.ts';
export * from './media-leg.ts';
export * from './number-match.ts';
export * from './oxo-trunk.ts';
export * from './provider.ts';
export * from './provider-refer.ts';
export * from './pstn-phone.ts';
export * from './reference-sbc.ts';
export * from './resample.ts';
export * from './sbc-config.ts';
export * from './sbc-faults.ts';
export * from './sbc-personalities.ts';
