/**
 * The capacity check's history: every check is one `system.capacity_checked`
 * event on the stream `system-capacity`, and a resource's daily series (the
 * day's peak, UTC days, a day without a sample carrying the previous one
 * forward) is read back from the newest of them.
 */
import type { EventStore } from '../../store/types.js';
import type { EventPayload } from '../events/catalog.js';

/** The stream holding the capacity history and signals. */
export const CAPACITY_STREAM = 'system-capacity';

/** One stored check. */
export type CapacityCheck = EventPayload<'system.capacity_checked'>;

const DAY_MS = 86_400_000;
const dayOf = (iso: string): number => Math.floor(Date.parse(iso) / DAY_MS);
/** The UTC date (`YYYY-MM-DD`) of a day number. */
export const dateOfDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * The newest checks of the stream (at most `maxEvents` events read), oldest
 * first, and the stream's version.
 *
 * @example
 * ```ts
 * const { checks, version } = await readCapacityHistory(store, 4_000);
 * ```
 */
export async function readCapacityHistory(
  store: EventStore,
  maxEvents: number,
): Promise<{ checks: CapacityCheck[]; version: number }> {
  const head = await store.readStream(CAPACITY_STREAM, { fromVersion: Number.MAX_SAFE_INTEGER, maxCount: 1 });
  if (head.version === 0) return { checks: [], version: 0 };
  const fromVersion = Math.max(1, head.version - maxEvents + 1);
  const { events, version } = await store.readStream(CAPACITY_STREAM, { fromVersion, maxCount: maxEvents });
  const checks = events
    .filter((e) => e.type === 'system.capacity_checked')
    .map((e) => e.data as CapacityCheck);
  return { checks, version };
}

/** A resource's daily peaks, oldest first. */
export interface DailySeries {
  startDate: string;
  usage: number[];
}

/**
 * The daily peaks of `resource` (of `host`, for a host's own resource) over
 * the `days` UTC days ending with the newest check's day that sampled it.
 *
 * @example
 * ```ts
 * dailyPeaks(checks, 'database_size', 90) // { startDate: '2026-09-06', usage: [1.2e9, …] }
 * dailyPeaks(checks, 'host_memory', 90, 'api-1')
 * ```
 */
export function dailyPeaks(
  checks: readonly CapacityCheck[],
  resource: string,
  days: number,
  host?: string,
): DailySeries | null {
  const peaks = new Map<number, number>();
  for (const c of checks) {
    const s = c.samples.find((x) => x.resource === resource && x.host === host);
    if (!s) continue;
    const d = dayOf(c.checkedAt);
    peaks.set(d, Math.max(peaks.get(d) ?? 0, s.value));
  }
  if (peaks.size === 0) return null;
  const last = Math.max(...peaks.keys());
  // The first day with a sample inside the window, so the series never starts on an invented 0.
  const first = Math.min(...[...peaks.keys()].filter((d) => d > last - days));
  const usage: number[] = [];
  let carried = 0;
  for (let d = first; d <= last; d++) {
    carried = peaks.get(d) ?? carried;
    usage.push(carried);
  }
  return { startDate: dateOfDay(first), usage };
}
