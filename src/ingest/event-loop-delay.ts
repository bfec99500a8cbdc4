/**
 * This process's event-loop delay, one reading per interval: how long a
 * callback that was ready waited to run. A saturated loop makes every
 * accepted webhook wait before and after its append, whatever the database does.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Readings of the event-loop delay. */
export interface EventLoopDelaySampler {
  /** The mean delay since the previous call, ms; starts a new interval. */
  take(): number;
  /** Stop measuring. */
  stop(): void;
}

/**
 * Measure the event-loop delay with `perf_hooks.monitorEventLoopDelay`.
 *
 * @example
 * ```ts
 * const loop = sampleEventLoopDelay();
 * setInterval(() => console.log(loop.take()), 1000);
 * ```
 */
export function sampleEventLoopDelay(resolutionMs = 10): EventLoopDelaySampler {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    take() {
      // The mean, not a high percentile: one garbage collection or one slow
      // synchronous call is not a saturated loop. The histogram includes the
      // timer's own resolution: take it off.
      const mean = histogram.count > 0 ? histogram.mean / 1e6 - resolutionMs : 0;
      histogram.reset();
      return Math.max(0, Math.round(mean * 10) / 10);
    },
    stop: () => histogram.disable(),
  };
}
