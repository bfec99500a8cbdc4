/**
 * Health signals from measurements: every interval, one
 * `system.health_check_completed` per component (the dashboard's health row),
 * plus `system.performance_threshold_exceeded` when a measurement newly
 * crosses its threshold and `system.api_rate_limit_approached` when the
 * TikTok rate-limit headroom newly drops below its warning level.
 */
import { componentHealth, DEFAULT_HEALTH_THRESHOLDS, measurementStatus } from '../metrics/system-health.js';
import type { HealthThresholds } from '../metrics/system-health.js';
import { resolveLogger, type Logger } from '../../core/logger.js';
import { everyInterval } from '../../runtime/every-interval.js';
import type { PollLoop } from '../../runtime/poll-loop.js';
import type { EventStore, NewEvent } from '../../store/types.js';
import type { MetricsRegistry } from '../../monitoring/metrics/metrics-registry.js';
import {
  measureHealth,
  type HealthMeasurements,
  type HealthSources,
  type MeasuredComponent,
} from '../../monitoring/health/measure-health.js';

/**
 * Options of {@link createHealthSignals}.
 *
 * @example
 * ```ts
 * const signals = createHealthSignals({
 *   registry,
 *   thresholds: resolveHealthThresholds({ tiktok_api: { webhook_latency_ms: { direction: 'above', warning: 200, critical: 1000 } } }),
 *   intervalMs: 30_000,
 *   sources: { isOrderProcessor: (name) => name.startsWith('orders-') },
 *   logger: log,
 * });
 * ```
 */
export interface HealthSignalsOptions {
  registry: MetricsRegistry;
  /** Thresholds (`resolveHealthThresholds(...)`). Default the commerce defaults. */
  thresholds?: HealthThresholds;
  /** Default 60 000 ms. */
  intervalMs?: number;
  sources?: HealthSources;
  now?: () => Date;
  /** Where a failed check is logged. Default stderr. */
  logger?: Logger;
}

/** A running producer of health signals (an engine worker). */
export interface HealthSignals {
  readonly name: string;
  /** Check every `intervalMs` (the first one interval after start). */
  start(context: { store: EventStore }): void;
  /** Stop checking; resolves once a check in flight has finished. */
  stop(): Promise<void>;
  /** Measure and append now; returns what was appended. */
  check(): Promise<NewEvent[]>;
  /** The last measurements. */
  readonly last: HealthMeasurements | null;
}

/**
 * Produce the specification's health signals from measurements.
 *
 * @example
 * ```ts
 * const signals = createHealthSignals({ registry, intervalMs: 30_000 });
 * createSyncEngine({ ...config, workers: [signals] });
 * ```
 */
export function createHealthSignals(options: HealthSignalsOptions): HealthSignals {
  const thresholds = options.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;
  const intervalMs = options.intervalMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  const logger = resolveLogger(options.logger, 'createHealthSignals');
  const memory = new Map<string, number>();
  const breached = new Map<string, string>();
  let store: EventStore | undefined;
  let loop: PollLoop | undefined;
  let last: HealthMeasurements | null = null;

  const check = async (): Promise<NewEvent[]> => {
    if (!store) return [];
    const measured = measureHealth(options.registry, memory, intervalMs, options.sources);
    last = measured;
    const checkedAt = now().toISOString();
    const appended: NewEvent[] = [];
    for (const component of Object.keys(measured) as MeasuredComponent[]) {
      const measurements = measured[component];
      const events: NewEvent[] = [
        {
          type: 'system.health_check_completed',
          data: {
            component,
            status: componentHealth(component, measurements, thresholds).status,
            measurements,
            checkedAt,
          },
        },
      ];
      for (const [metric, value] of Object.entries(measurements)) {
        const threshold = thresholds[component][metric];
        if (!threshold) continue;
        const status = measurementStatus(value, threshold);
        const key = `${component}/${metric}`;
        // Only a change of level is a signal: a breach held for an hour is one event, not sixty.
        if (status === 'nominal') breached.delete(key);
        if (status === 'nominal' || breached.get(key) === status) continue;
        breached.set(key, status);
        events.push({
          type: 'system.performance_threshold_exceeded',
          data: { component, metric, value, threshold: threshold[status], severity: status },
        });
        if (metric === 'rate_limit_headroom') {
          events.push({
            type: 'system.api_rate_limit_approached',
            data: {
              api: options.sources?.tiktokApi ?? 'tiktok',
              remaining: Math.round(value * 1000),
              limit: 1000,
            },
          });
        }
      }
      await store.append(`system-health-${component}`, events, {
        aggregateType: 'system',
        metadata: { source: 'monitoring' },
      });
      appended.push(...events);
    }
    return appended;
  };

  return {
    name: 'monitoring:health-signals',
    get last() {
      return last;
    },
    start(context) {
      if (loop) return;
      store = context.store;
      // One interval between checks, not woken early; a failed check waits one too.
      loop = everyInterval(intervalMs, check, (err) =>
        logger.error({ component: 'monitoring', err }, 'health check failed'),
      );
    },
    async stop() {
      await loop?.stop();
      loop = undefined;
      store = undefined;
    },
    check,
  };
}
