/**
 * System health: a component's status from its measurements and configurable
 * thresholds. The worst measurement decides; unknown measurements are kept
 * but do not count.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import {
  HEALTH_COMPONENTS,
  HEALTH_STATUSES,
  type HealthComponent,
  type HealthStatus,
} from '../events/common.js';

/** A threshold on one measurement: bad when above (latency) or below (success rate). */
export interface Threshold {
  direction: 'above' | 'below';
  warning: number;
  critical: number;
}

/** Thresholds per component, per measurement name. */
export type HealthThresholds = Record<HealthComponent, Record<string, Threshold>>;

/** Overrides of {@link DEFAULT_HEALTH_THRESHOLDS}, merged per measurement. */
export type HealthThresholdOverrides = Partial<Record<HealthComponent, Record<string, Threshold>>>;

/**
 * Default thresholds (from the specification's monitoring scope and alerting
 * targets).
 */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  tiktok_api: {
    connection_health: { direction: 'below', warning: 0.99, critical: 0.9 },
    rate_limit_headroom: { direction: 'below', warning: 0.2, critical: 0.05 },
    webhook_latency_ms: { direction: 'above', warning: 500, critical: 2000 },
    api_error_rate: { direction: 'above', warning: 0.01, critical: 0.1 },
    api_errors: { direction: 'above', warning: 5, critical: 20 },
  },
  order_processing: {
    queue_depth: { direction: 'above', warning: 100, critical: 1000 },
    processing_latency_ms: { direction: 'above', warning: 30_000, critical: 300_000 },
    failure_rate: { direction: 'above', warning: 0.01, critical: 0.05 },
    failures: { direction: 'above', warning: 1, critical: 5 },
  },
  inventory_sync: {
    stock_accuracy: { direction: 'below', warning: 0.995, critical: 0.98 },
    sync_delay_ms: { direction: 'above', warning: 5_000, critical: 30_000 },
    conflict_frequency_per_hour: { direction: 'above', warning: 5, critical: 20 },
    failures: { direction: 'above', warning: 1, critical: 3 },
  },
  automation_health: {
    success_rate: { direction: 'below', warning: 0.95, critical: 0.8 },
    processing_time_ms: { direction: 'above', warning: 60_000, critical: 600_000 },
    error_rate: { direction: 'above', warning: 0.01, critical: 0.05 },
  },
});

const thresholdSchema = z
  .object({
    direction: z.enum(['above', 'below']),
    warning: z.number().finite(),
    critical: z.number().finite(),
  })
  .refine((t) => (t.direction === 'above' ? t.critical >= t.warning : t.critical <= t.warning), {
    message: 'critical must be at least as bad as warning',
  });
const overridesSchema = z.partialRecord(
  z.enum(HEALTH_COMPONENTS),
  z.record(z.string().min(1), thresholdSchema),
);

/**
 * Merge overrides over the defaults (validated once, frozen).
 *
 * @example
 * ```ts
 * const thresholds = resolveHealthThresholds({
 *   tiktok_api: { webhook_latency_ms: { direction: 'above', warning: 200, critical: 1000 } },
 * });
 * ```
 */
export function resolveHealthThresholds(overrides: HealthThresholdOverrides = {}): HealthThresholds {
  const parsed = overridesSchema.safeParse(overrides);
  if (!parsed.success) {
    throw new InvalidArgumentError(`invalid health thresholds: ${z.prettifyError(parsed.error)}`);
  }
  const merged = {} as HealthThresholds;
  for (const component of HEALTH_COMPONENTS) {
    merged[component] = Object.freeze({ ...DEFAULT_HEALTH_THRESHOLDS[component], ...overrides[component] });
  }
  return Object.freeze(merged);
}

/**
 * Status of one measurement against its threshold.
 *
 * @example
 * ```ts
 * measurementStatus(0.5, { direction: 'below', warning: 0.95, critical: 0.8 }) // 'critical'
 * ```
 */
export function measurementStatus(value: number, threshold: Threshold): HealthStatus {
  const bad = (limit: number) => (threshold.direction === 'above' ? value >= limit : value <= limit);
  if (bad(threshold.critical)) return 'critical';
  if (bad(threshold.warning)) return 'warning';
  return 'nominal';
}

/**
 * The worse of two statuses.
 *
 * @example
 * ```ts
 * worstStatus('warning', 'critical') // 'critical'
 * ```
 */
export function worstStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return HEALTH_STATUSES.indexOf(a) >= HEALTH_STATUSES.indexOf(b) ? a : b;
}

/** A component's status and the measurements that drove it. */
export interface ComponentHealth {
  status: HealthStatus;
  /** Measurement names at warning or critical. */
  breaches: string[];
}

/**
 * Status of a component from its measurements.
 *
 * @example
 * ```ts
 * componentHealth('tiktok_api', { webhook_latency_ms: 2500, rate_limit_headroom: 0.6 }, DEFAULT_HEALTH_THRESHOLDS)
 * // { status: 'critical', breaches: ['webhook_latency_ms'] }
 * ```
 */
export function componentHealth(
  component: HealthComponent,
  measurements: Readonly<Record<string, number>>,
  thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): ComponentHealth {
  let status: HealthStatus = 'nominal';
  const breaches: string[] = [];
  const limits = thresholds[component];
  for (const name of Object.keys(measurements).sort()) {
    const threshold = limits[name];
    const value = measurements[name];
    if (!threshold || value === undefined || !Number.isFinite(value)) continue;
    const s = measurementStatus(value, threshold);
    if (s !== 'nominal') breaches.push(name);
    status = worstStatus(status, s);
  }
  return { status, breaches };
}
