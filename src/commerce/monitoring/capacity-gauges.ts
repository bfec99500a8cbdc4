/**
 * The capacity gauges, from a check: set by the host that ran it, and on
 * every other host by `capacityGauges`, a worker that reads the newest check
 * back from the log — the scheduler's lease holder and the alert
 * evaluator's may be different hosts, and a registry is per process.
 */
import { resolveLogger, type Logger } from '../../core/logger.js';
import type { LibraryMetrics } from '../../monitoring/metrics/library-metrics.js';
import { everyInterval } from '../../runtime/every-interval.js';
import type { PollLoop } from '../../runtime/poll-loop.js';
import type { EventStore } from '../../store/types.js';
import { CAPACITY_STREAM, type CapacityCheck } from './capacity-history.js';

// The series each registry's gauges were set for, so one that left the check (a host that stopped) is reset.
const seriesSet = new WeakMap<LibraryMetrics, Map<string, { resource: string; host: string }>>();

/**
 * Set `creatorflow_capacity_usage_ratio`, `_days_to_threshold` (+Inf when
 * not within the horizon) and `_scale_up` from one check, labelled by
 * `resource` and `host` (empty for the shared resources). A series set by
 * an earlier check but absent from this one (a host that stopped
 * reporting) is reset to no signal: scale-up 0, +Inf days, usage NaN.
 *
 * @example
 * ```ts
 * recordCapacityGauges(monitoring.instruments, check);
 * ```
 */
export function recordCapacityGauges(m: LibraryMetrics, check: CapacityCheck): void {
  const before = seriesSet.get(m) ?? new Map<string, { resource: string; host: string }>();
  const now = new Map<string, { resource: string; host: string }>();
  const labelsOf = (x: { resource: string; host?: string | undefined }) => {
    const labels = { resource: x.resource, host: x.host ?? '' };
    now.set(`${labels.resource}\u0000${labels.host}`, labels);
    return labels;
  };
  for (const s of check.samples) {
    if (s.capacity !== null) m.capacityUsage.set(labelsOf(s), s.value / s.capacity);
  }
  for (const p of check.plans) {
    const labels = labelsOf(p);
    m.capacityDaysToThreshold.set(labels, p.daysToThreshold ?? Number.POSITIVE_INFINITY);
    m.capacityScaleUp.set(labels, p.scaleUp ? 1 : 0);
  }
  for (const [key, labels] of before) {
    if (now.has(key) || labels.host === '') continue;
    m.capacityUsage.set(labels, Number.NaN);
    m.capacityDaysToThreshold.set(labels, Number.POSITIVE_INFINITY);
    m.capacityScaleUp.set(labels, 0);
  }
  seriesSet.set(m, now);
}

/**
 * Read the newest check of the log (or null when none was kept yet).
 *
 * @example
 * ```ts
 * const check = await latestCapacityCheck(store);
 * ```
 */
export async function latestCapacityCheck(store: EventStore): Promise<CapacityCheck | null> {
  const head = await store.readStream(CAPACITY_STREAM, { fromVersion: Number.MAX_SAFE_INTEGER, maxCount: 1 });
  // A check is followed by at most one signal per resource and host: usually found in the first page.
  for (let upTo = head.version; upTo > 0; upTo -= 64) {
    const fromVersion = Math.max(1, upTo - 63);
    const { events } = await store.readStream(CAPACITY_STREAM, {
      fromVersion,
      maxCount: upTo - fromVersion + 1,
    });
    const last = events.findLast((e) => e.type === 'system.capacity_checked');
    if (last) return last.data as CapacityCheck;
  }
  return null;
}

/**
 * Options of {@link capacityGauges}.
 *
 * @example
 * ```ts
 * const options: CapacityGaugesOptions = { metrics: () => monitoring?.instruments, intervalMs: 30_000 };
 * ```
 */
export interface CapacityGaugesOptions {
  /** Where the gauges are set (`instrumentEngine(...).instruments`), or a function read at each refresh. */
  metrics: LibraryMetrics | (() => LibraryMetrics | undefined);
  /** Default 60 000 ms. */
  intervalMs?: number;
  logger?: Logger;
}

/** A running refresher of the capacity gauges (an engine worker). */
export interface CapacityGauges {
  readonly name: string;
  start(context: { store: EventStore }): void;
  stop(): Promise<void>;
  /** Read the newest check and set the gauges now; returns it. */
  refresh(): Promise<CapacityCheck | null>;
}

/**
 * Keep this host's capacity gauges equal to the newest check in the log, so
 * the alert evaluator sees them wherever the schedule ran. Pass it to
 * `createSyncEngine({ workers })` (every host), next to `capacityCheckSchedule`.
 *
 * @example
 * ```ts
 * createSyncEngine({ ...config, workers: [capacityGauges({ metrics: () => monitoring?.instruments })] });
 * ```
 */
export function capacityGauges(options: CapacityGaugesOptions): CapacityGauges {
  const intervalMs = options.intervalMs ?? 60_000;
  const metrics =
    typeof options.metrics === 'function' ? options.metrics : () => options.metrics as LibraryMetrics;
  const logger = resolveLogger(options.logger, 'capacityGauges');
  let store: EventStore | undefined;
  let loop: PollLoop | undefined;
  const refresh = async (): Promise<CapacityCheck | null> => {
    const m = metrics();
    if (!store || !m) return null;
    const check = await latestCapacityCheck(store);
    if (check) recordCapacityGauges(m, check);
    return check;
  };
  return {
    name: 'monitoring:capacity-gauges',
    refresh,
    start(context) {
      if (loop) return;
      store = context.store;
      loop = everyInterval(
        intervalMs,
        refresh,
        (err) => logger.error({ component: 'monitoring', err }, 'capacity gauges refresh failed'),
        0,
      );
    },
    async stop() {
      await loop?.stop();
      loop = undefined;
      store = undefined;
    },
  };
}
