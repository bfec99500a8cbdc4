/**
 * The specification's health measurements per component, computed from the
 * metrics registry: rates are over the interval since the previous sample
 * (counter deltas), latencies are p95 of the histograms since the start.
 */
import { METRIC } from '../metrics/library-metrics.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';

/** The dashboard's health components (`system_health_metrics.component`). */
export type MeasuredComponent = 'tiktok_api' | 'order_processing' | 'inventory_sync' | 'automation_health';

/** Measurements per component, named as the health thresholds name them. */
export type HealthMeasurements = Record<MeasuredComponent, Record<string, number>>;

/** Which processors and routes feed which component. */
export interface HealthSources {
  /** Route prefix of the TikTok webhook. Default `/api/webhooks/tiktok`. */
  tiktokRoute?: string;
  /** External API label of TikTok calls. Default `tiktok`. */
  tiktokApi?: string;
  /** Processors whose lag is the order queue. Default: names containing `order`. */
  isOrderProcessor?: (name: string) => boolean;
  /** Processors whose lag is the inventory sync delay. Default: names containing `inventory` or `stock`. */
  isInventoryProcessor?: (name: string) => boolean;
}

/** Counter totals remembered between samples, for rates. */
export type CounterMemory = Map<string, number>;

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

/**
 * Measure every component now.
 *
 * @example
 * ```ts
 * const memory = new Map();
 * const m = measureHealth(registry, memory, 60_000);
 * m.order_processing.queue_depth; // events the order processors still have to apply
 * ```
 */
export function measureHealth(
  registry: MetricsRegistry,
  memory: CounterMemory,
  intervalMs: number,
  sources: HealthSources = {},
): HealthMeasurements {
  const snapshot = registry.snapshot();
  const family = (name: string) => snapshot.find((f) => f.name === name)?.series ?? [];
  // Sum of a counter's series matching `where`, and its increase since the last sample.
  const delta = (key: string, name: string, where: (l: Record<string, string>) => boolean) => {
    const total = family(name)
      .filter((s) => where(s.labels))
      .reduce((a, s) => a + s.value, 0);
    const before = memory.get(key) ?? 0;
    memory.set(key, total);
    return Math.max(0, total - before);
  };
  const route = sources.tiktokRoute ?? '/api/webhooks/tiktok';
  const api = sources.tiktokApi ?? 'tiktok';
  const isOrder = sources.isOrderProcessor ?? ((n: string) => n.includes('order'));
  const isInventory = sources.isInventoryProcessor ?? ((n: string) => /inventory|stock/.test(n));
  const maxGauge = (name: string, where: (l: Record<string, string>) => boolean) =>
    family(name)
      .filter((s) => where(s.labels))
      .reduce((a, s) => Math.max(a, s.value), 0);
  const p95ms = (name: string, labels?: Record<string, string>) => {
    const q = registry.quantile(name, 0.95, labels);
    return Number.isNaN(q) ? 0 : q * 1000;
  };
  const hooks = (l: Record<string, string>) => (l['route'] ?? '').startsWith(route);
  const webhooks = delta('webhooks', METRIC.webhookRequests, hooks);
  const webhookErrors = delta('webhooks_5xx', METRIC.webhookRequests, (l) => hooks(l) && l['code']! >= '500');
  const apiCalls = delta('api', METRIC.apiRequests, (l) => l['api'] === api);
  const apiErrors = delta(
    'api_err',
    METRIC.apiRequests,
    (l) => l['api'] === api && !l['code']!.startsWith('2'),
  );
  const headroom = family(METRIC.apiRateLimitHeadroom).find((s) => s.labels['api'] === api)?.value;
  const orderEvents = delta('order_events', METRIC.processorEvents, (l) => isOrder(l['processor']!));
  const orderFailures = delta('order_dead', METRIC.processorDeadLetters, (l) => isOrder(l['processor']!));
  const stockOk = delta(
    'stock_ok',
    METRIC.consistencyChecks,
    (l) => l['check'] === 'stock' && l['result'] === 'ok',
  );
  const stockBad = delta(
    'stock_bad',
    METRIC.consistencyChecks,
    (l) => l['check'] === 'stock' && l['result'] !== 'ok',
  );
  const conflicts = delta('conflicts', METRIC.conflicts, () => true);
  const outcome = (o: string) => delta(`saga_${o}`, METRIC.sagaOutcomes, (l) => l['outcome'] === o);
  const completed = outcome('completed');
  const failed = outcome('compensated') + outcome('compensation_failed');
  const stepFailures = delta('steps_failed', METRIC.sagaStepFailures, () => true);
  const hours = intervalMs / 3_600_000;
  const tiktok: Record<string, number> = {
    webhook_latency_ms: p95ms(METRIC.webhookDuration),
    connection_health: 1 - ratio(webhookErrors, webhooks),
    api_error_rate: ratio(apiErrors, apiCalls),
  };
  if (headroom !== undefined) tiktok['rate_limit_headroom'] = headroom;
  const inventory: Record<string, number> = {
    sync_delay_ms: maxGauge(METRIC.processorLagSeconds, (l) => isInventory(l['processor']!)) * 1000,
    conflict_frequency_per_hour: hours > 0 ? conflicts / hours : 0,
  };
  if (stockOk + stockBad > 0) inventory['stock_accuracy'] = ratio(stockOk, stockOk + stockBad);
  return {
    tiktok_api: tiktok,
    order_processing: {
      queue_depth: maxGauge(METRIC.processorLagEvents, (l) => isOrder(l['processor']!)),
      processing_latency_ms: p95ms(METRIC.processorBatchDuration),
      failure_rate: ratio(orderFailures, orderEvents),
    },
    inventory_sync: inventory,
    automation_health: {
      success_rate: completed + failed > 0 ? ratio(completed, completed + failed) : 1,
      processing_time_ms: p95ms(METRIC.sagaStepDuration),
      error_rate: ratio(stepFailures, completed + failed + stepFailures),
    },
  };
}
