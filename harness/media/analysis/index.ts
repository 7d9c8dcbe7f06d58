/**
 * Signal analysis for "check audio quality": test signals to send, and the measurements
 * that decide OK/NOK on what came back — delay, SNR/SINAD, tones, band energy and the
 * wideband check, activity/one-way audio — plus the ITU-T G.107 E-model for R and MOS.
 */
export {
  type ActivityOptions,
  type ActivityReport,
  type AudioDirectionVerdict,
  analyseActivity,
  checkTwoWayAudio,
  frameLevels,
  type TwoWayAudioReport,
} from './activity.ts';
export { type CodecImpairment, codecImpairment, type EModelCodec } from './codec-impairment.ts';
export { type CrossCorrelation, crossCorrelate, MAX_CORRELATION_FFT } from './cross-correlation.ts';
export { type DelayEstimate, type DelayOptions, estimateDelay } from './delay-estimate.ts';
export {
  computeEModel,
  delayImpairmentIdd,
  type EModelBreakdown,
  type EModelParameters,
  effectiveEquipmentImpairment,
  G107_DEFAULTS,
  mosFromR,
  type VoipQuality,
  type VoipQualityInput,
  voipQuality,
} from './e-model.ts';
export { fft, isPowerOfTwo, nextPowerOfTwo } from './fft.ts';
export { goertzel, goertzelAmplitude } from './goertzel.ts';
export {
  DBM0_OFFSET_ALAW,
  DBM0_OFFSET_MULAW,
  dbfsOfRms,
  dbfsOfSineAmplitude,
  dbfsToDbm0,
  dbm0ToDbfs,
  FULL_SCALE_PEAK,
  isSilence,
  levelDbfs,
  meanSquare,
  powerRatioDb,
  rms,
  rmsForDbfs,
  SILENCE_DBFS,
  SILENCE_RMS,
  sineAmplitudeForDbfs,
} from './levels.ts';
export { type NoiseOptions, pinkNoise, whiteNoise, whiteNoiseFloat } from './noise-signal.ts';
export {
  measureOneWayDelay,
  measurePayloadDelay,
  type OneWayDelay,
  type OneWayDelayOptions,
  type OneWayDelayReason,
  rmsEnvelope,
  type TimedChunk,
  type TimedPayload,
  TimedRecorder,
  type TimedSignal,
} from './one-way-delay.ts';
export {
  concatSignals,
  mixSignals,
  type Samples,
  samplesForMs,
  scaleSignal,
  shiftSignal,
  silence,
  toFloat64,
  toInt16,
} from './pcm.ts';
export { createPrng, type Prng } from './prng.ts';
export { measureSnr, type SnrOptions, type SnrResult } from './snr.ts';
export {
  bandEnergyRatioDb,
  bandPower,
  type PowerSpectrum,
  powerSpectrum,
  type SpectrumOptions,
  totalPower,
} from './spectrum.ts';
export {
  type SpeechLikeOptions,
  type SpeechLikeSignal,
  speechLike,
  speechLikeSignal,
  type Talkspurt,
} from './speech-like-signal.ts';
export { type SweepOptions, sweep, sweepFrequencyAt } from './sweep-signal.ts';
export { analyseTone, type ToneAnalysis, type ToneAnalysisOptions } from './tone-analysis.ts';
export {
  applyRamp,
  componentDbfs,
  multiTone,
  sineTone,
  type ToneComponent,
  type ToneOptions,
} from './tone-signal.ts';
export { checkWideband, type WidebandCheck, type WidebandOptions } from './wideband-check.ts';
