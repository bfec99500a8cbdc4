/**
 * Options of the scheduled capacity check, validated once when the schedule
 * is built: every impossible setting is listed in one `CapacityConfigError`.
 */
import type { LibraryMetrics } from '../../monitoring/metrics/library-metrics.js';
import type { MetricsRegistry } from '../../monitoring/metrics/metrics-registry.js';
import type { EventStore } from '../../store/types.js';
import { CapacityConfigError } from '../errors.js';
import { CAPACITY_SIGNAL_SHARE } from '../forecasting/capacity-plan.js';

/** Name of the capacity check's schedule (and of its manual-trigger route). */
export const CAPACITY_CHECK_SCHEDULE = 'capacity-check';

/**
 * The capacities the samples are compared with. A resource without one is
 * still sampled (its history grows) but not planned.
 *
 * @example
 * ```ts
 * const capacities: CapacityBudgets = { diskGb: 200, eventsPerDay: 5_000_000 };
 * ```
 */
export interface CapacityBudgets {
  /** Disk budget of the database in GB (10^9 bytes), for `database_size`. */
  diskGb?: number;
  /** Events per day the log is sized for, for `event_log_daily`. */
  eventsPerDay?: number;
  /** Connections the server allows, for `db_connections`. Default the server's `max_connections`. */
  connections?: number;
}

/**
 * Options of {@link capacityCheckSchedule}.
 *
 * @example
 * ```ts
 * const options: CapacityCheckOptions = {
 *   store: engine.store,
 *   metrics: monitoring.instruments,
 *   registry,
 *   capacities: { diskGb: 200, eventsPerDay: 5_000_000 },
 * };
 * ```
 */
export interface CapacityCheckOptions {
  /** The store the history is kept in (stream `system-capacity`); its database is the one sampled. */
  store: EventStore;
  /**
   * Where the gauges (`creatorflow_capacity_*`) are set after each check, or
   * a function read at each run (the engine builds schedules before
   * `instrumentEngine(engine)` exists: pass `() => monitoring?.instruments`).
   */
  metrics?: LibraryMetrics | (() => LibraryMetrics | undefined);
  /** The registry `instrumentPool` records into: `pool_connections` is sampled from it. */
  registry?: MetricsRegistry;
  capacities?: CapacityBudgets;
  /** Interval of the check in ms. Default 3 600 000 (hourly); at least 60 000. */
  everyMs?: number;
  /** Share of capacity that raises the signal. Default 0.7. */
  signalAt?: number;
  /** Forecast horizon in days. Default 30. */
  horizonDays?: number;
  /** Days of history the plan reads. Default 90. */
  historyDays?: number;
  /** Days of history a resource needs before it is planned. Default 7. */
  minHistoryDays?: number;
  /** Schedule name. Default `capacity-check`. */
  name?: string;
}

/** {@link CapacityCheckOptions} with every default filled in. */
export interface ResolvedCapacityCheck extends Required<Omit<CapacityCheckOptions, 'metrics' | 'registry'>> {
  metrics: () => LibraryMetrics | undefined;
  registry: MetricsRegistry | undefined;
}

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const intIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * Fill the defaults and refuse impossible settings.
 *
 * @example
 * ```ts
 * resolveCapacityCheck({ store, capacities: { diskGb: -1 } }); // throws CapacityConfigError
 * ```
 */
export function resolveCapacityCheck(options: CapacityCheckOptions): ResolvedCapacityCheck {
  const r: ResolvedCapacityCheck = {
    store: options.store,
    metrics:
      typeof options.metrics === 'function'
        ? options.metrics
        : () => options.metrics as LibraryMetrics | undefined,
    registry: options.registry,
    capacities: options.capacities ?? {},
    everyMs: options.everyMs ?? 3_600_000,
    signalAt: options.signalAt ?? CAPACITY_SIGNAL_SHARE,
    horizonDays: options.horizonDays ?? 30,
    historyDays: options.historyDays ?? 90,
    minHistoryDays: options.minHistoryDays ?? 7,
    name: options.name ?? CAPACITY_CHECK_SCHEDULE,
  };
  const issues: string[] = [];
  if (!r.store || typeof r.store.append !== 'function') issues.push('store: an event store is required');
  for (const [key, value] of Object.entries(r.capacities)) {
    if (!['diskGb', 'eventsPerDay', 'connections'].includes(key)) issues.push(`capacities.${key}: unknown`);
    else if (value !== undefined && !positive(value))
      issues.push(`capacities.${key}: expected a positive number, got ${String(value)}`);
  }
  if (r.capacities.connections !== undefined && !Number.isInteger(r.capacities.connections))
    issues.push(`capacities.connections: expected an integer, got ${String(r.capacities.connections)}`);
  if (!intIn(r.everyMs, 60_000, 7 * 86_400_000))
    issues.push(`everyMs: expected an integer from 60000 (a minute) to a week, got ${String(r.everyMs)}`);
  if (!(typeof r.signalAt === 'number' && r.signalAt > 0 && r.signalAt <= 1))
    issues.push(`signalAt: expected a share in (0, 1], got ${String(r.signalAt)}`);
  if (!intIn(r.horizonDays, 1, 365))
    issues.push(`horizonDays: expected an integer in [1, 365], got ${String(r.horizonDays)}`);
  if (!intIn(r.minHistoryDays, 2, 365))
    issues.push(`minHistoryDays: expected an integer in [2, 365], got ${String(r.minHistoryDays)}`);
  if (!intIn(r.historyDays, 2, 3650))
    issues.push(`historyDays: expected an integer in [2, 3650], got ${String(r.historyDays)}`);
  else if (r.historyDays < r.minHistoryDays)
    issues.push(`historyDays: ${r.historyDays} is shorter than minHistoryDays ${r.minHistoryDays}`);
  if (!/^[a-z0-9][a-z0-9_.:-]{0,99}$/.test(r.name)) issues.push(`name: "${r.name}" is not a schedule name`);
  if (issues.length > 0) throw new CapacityConfigError(issues);
  return r;
}
