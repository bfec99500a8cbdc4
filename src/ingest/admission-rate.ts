/**
 * The adaptive part of webhook admission: how many webhooks per second a host
 * lets in, moved by what the pipeline behind it shows. Pure arithmetic, no
 * clock, so a test can drive it sample by sample.
 */

/** One observation of the pipeline, taken every sampling interval. */
export interface PressureSample {
  /** How far the slowest processor is behind the log's head, ms. */
  readonly lagMs: number;
  /** Event-loop delay of this process over the interval (mean), ms. */
  readonly eventLoopDelayMs: number;
  /** Webhooks admitted per second over the interval. */
  readonly admittedPerS: number;
}

/** Targets and bounds of {@link nextAdmissionRate}. */
export interface AdmissionRateSettings {
  readonly targetLagMs: number;
  readonly targetEventLoopDelayMs: number;
  readonly minPerS: number;
  readonly maxPerS: number;
}

/** Which signal was over its target (the reason a refusal is given). */
export type PressureSignal = 'pipeline_lag' | 'event_loop_delay';

/** The rate for the next interval, and the signal over its target (undefined: none). */
export interface AdmissionRateStep {
  readonly perS: number;
  readonly over: PressureSignal | undefined;
}

/** Cut at most in half per interval, so one noisy sample cannot close intake. */
const MAX_CUT = 0.5;
/** Cut at least 10 % while a signal is over its target, so the backlog drains. */
const MIN_CUT = 0.9;
/** Growth per interval with the pipeline idle; less as the lag nears its target. */
const MAX_GROWTH = 0.2;

/**
 * Gradient step in the manner of Netflix's concurrency-limits (Gradient2),
 * on a rate instead of a concurrency: over a target, the rate is multiplied
 * by `target / observed` (clamped to [0.5, 0.9]) of what was actually
 * admitted; under both targets and using at least half the rate, it grows by
 * up to 20 %, less the closer the lag is to its target. A rate the traffic
 * does not use is not raised (it would let a burst through unchecked).
 *
 * @example
 * ```ts
 * nextAdmissionRate(100, { lagMs: 4000, eventLoopDelayMs: 20, admittedPerS: 100 }, settings)
 * // { perS: 50, over: 'pipeline_lag' } with targetLagMs 1000
 * ```
 */
export function nextAdmissionRate(
  perS: number,
  sample: PressureSample,
  settings: AdmissionRateSettings,
): AdmissionRateStep {
  const lagRatio = sample.lagMs / settings.targetLagMs;
  const loopRatio = sample.eventLoopDelayMs / settings.targetEventLoopDelayMs;
  const worst = Math.max(lagRatio, loopRatio);
  const clamp = (n: number) => Math.min(settings.maxPerS, Math.max(settings.minPerS, n));
  if (worst > 1) {
    const over: PressureSignal = lagRatio >= loopRatio ? 'pipeline_lag' : 'event_loop_delay';
    const cut = Math.min(MIN_CUT, Math.max(MAX_CUT, 1 / worst));
    // From what got in, not from a ceiling the traffic never reached.
    return { perS: clamp(Math.min(perS, sample.admittedPerS) * cut), over };
  }
  if (sample.admittedPerS < perS / 2) return { perS: clamp(perS), over: undefined };
  return { perS: clamp(perS * (1 + MAX_GROWTH * (1 - worst))), over: undefined };
}
