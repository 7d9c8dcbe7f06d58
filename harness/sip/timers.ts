/**
 * RFC 3261 timer values (Table 4 of §17). T1, T2 and T4 are configurable; the others are
 * derived from them, so a test can shrink every timer at once.
 */
export interface TimerConfig {
  /** RTT estimate, default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  t2: number;
  /** Maximum time a message remains in the network, default 5 s. */
  t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export function timerB(t: TimerConfig): number {
  return 64 * t.t1;
}
/** Timer D: wait time for response retransmits (unreliable ≥ 32 s; 0 on reliable transports). */
export function timerD(t: TimerConfig, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, 64 * t.t1);
}
export function timerF(t: TimerConfig): number {
  return 64 * t.t1;
}
export function timerH(t: TimerConfig): number {
  return 64 * t.t1;
}
export function timerI(t: TimerConfig, reliable: boolean): number {
  return reliable ? 0 : t.t4;
}
export function timerJ(t: TimerConfig, reliable: boolean): number {
  return reliable ? 0 : 64 * t.t1;
}
export function timerK(t: TimerConfig, reliable: boolean): number {
  return reliable ? 0 : t.t4;
}
/** RFC 6026 Timer L (server, Accepted) and Timer M (client, Accepted). */
export function timerL(t: TimerConfig): number {
  return 64 * t.t1;
}
export function timerM(t: TimerConfig): number {
  return 64 * t.t1;
}
