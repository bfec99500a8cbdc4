/**
 * Take confirmed spikes out of a history before models are fitted: a viral
 * week would otherwise inflate the smoothing parameters and the residuals
 * every later interval is drawn from. Each spike's days, from onset until the
 * weekly mean is back within 20 % of the pre-spike level (at most
 * {@link MAX_SPIKE_DAYS}), are replaced by the same weekday's mean of the four
 * weeks before onset.
 */
import { WEEK } from './exponential-smoothing.js';
import { mean } from './statistics.js';

/** Longest a spike is taken to last. */
export const MAX_SPIKE_DAYS = 120;

/** A cleaned window: `[start, end)`. */
export interface SpikeWindow {
  start: number;
  end: number;
}

/**
 * Replace the spike windows that begin at `onsets` with pre-spike weekday means.
 *
 * @example
 * ```ts
 * const { cleaned, windows } = cleanSpikes(sales, [412]);
 * ```
 */
export function cleanSpikes(
  sales: readonly number[],
  onsets: readonly number[],
): { cleaned: number[]; windows: SpikeWindow[] } {
  const cleaned = [...sales];
  const windows: SpikeWindow[] = [];
  for (const onset of [...onsets].sort((a, b) => a - b)) {
    if (onset < WEEK || onset >= sales.length) continue;
    const before = cleaned.slice(Math.max(0, onset - 4 * WEEK), onset);
    const baseline = mean(before);
    const byWeekday = new Array<number>(WEEK).fill(baseline);
    for (let d = 0; d < WEEK; d++) {
      const same = before.filter((_, i) => (onset - before.length + i) % WEEK === d);
      if (same.length > 0) byWeekday[d] = mean(same);
    }
    let end = Math.min(sales.length, onset + MAX_SPIKE_DAYS);
    for (let t = onset + WEEK; t < end; t++) {
      if (mean(sales.slice(t - WEEK, t)) <= 1.2 * baseline + 1) {
        end = t;
        break;
      }
    }
    for (let t = onset; t < end; t++) cleaned[t] = byWeekday[t % WEEK]!;
    windows.push({ start: onset, end });
  }
  return { cleaned, windows };
}
