/**
 * The library's own metrics: names, help, labels and buckets in one place, so
 * the instrumenters, the health signals, the default alert rules and the docs
 * agree on them.
 */
import type { Counter, Gauge, Histogram, Metrics } from './metrics-port.js';

/** Latency buckets in seconds: 0.5 ms to 30 s. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;
/** Size buckets (events per append or batch). */
export const SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] as const;

/** Every metric name the library records (prefix `creatorflow_`). */
export const METRIC = {
  appendDuration: 'creatorflow_store_append_duration_seconds',
  appendBatchSize: 'creatorflow_store_append_batch_size',
  appendedEvents: 'creatorflow_store_appended_events_total',
  readerHeldBack: 'creatorflow_store_reader_held_back_events',
  processorLagEvents: 'creatorflow_processor_lag_events',
  processorLagSeconds: 'creatorflow_processor_lag_seconds',
  processorBatchDuration: 'creatorflow_processor_batch_duration_seconds',
  processorBatchSize: 'creatorflow_processor_batch_size',
  processorEvents: 'creatorflow_processor_events_total',
  processorRetries: 'creatorflow_processor_retries_total',
  processorDeadLetters: 'creatorflow_processor_dead_letters_total',
  sagaStepDuration: 'creatorflow_saga_step_duration_seconds',
  sagaStepFailures: 'creatorflow_saga_step_failures_total',
  sagaStepsDeferred: 'creatorflow_saga_steps_deferred_total',
  sagaOutcomes: 'creatorflow_sagas_total',
  sagasActive: 'creatorflow_sagas_active',
  webhookDuration: 'creatorflow_webhook_duration_seconds',
  webhookRequests: 'creatorflow_webhook_requests_total',
  webhookRefused: 'creatorflow_webhook_refused_total',
  admissionRate: 'creatorflow_webhook_admission_rate',
  realtimeDelivery: 'creatorflow_realtime_delivery_seconds',
  realtimeFrames: 'creatorflow_realtime_frames_total',
  realtimeSubscriptions: 'creatorflow_realtime_subscriptions',
  realtimeQueued: 'creatorflow_realtime_queued_messages',
  realtimeBuffered: 'creatorflow_realtime_buffered_batches',
  realtimeResets: 'creatorflow_realtime_resets_total',
  realtimeGaps: 'creatorflow_realtime_gaps_total',
  poolConnections: 'creatorflow_db_pool_connections',
  poolMax: 'creatorflow_db_pool_max',
  apiDuration: 'creatorflow_external_api_duration_seconds',
  apiRequests: 'creatorflow_external_api_requests_total',
  apiRateLimitHeadroom: 'creatorflow_external_api_rate_limit_headroom',
  cacheRequests: 'creatorflow_cache_requests_total',
  cacheEvictions: 'creatorflow_cache_evictions_total',
  cacheHitRatio: 'creatorflow_cache_hit_ratio',
  cacheEntries: 'creatorflow_cache_entries',
  cacheBytes: 'creatorflow_cache_bytes',
  cacheInvalidationLag: 'creatorflow_cache_invalidation_lag_seconds',
  consistencyChecks: 'creatorflow_consistency_checks_total',
  conflicts: 'creatorflow_conflicts_total',
  stockoutsPredicted: 'creatorflow_inventory_stockouts_predicted',
  forecastWithin20Pct: 'creatorflow_forecast_within_20pct_ratio',
  forecastCoverage80: 'creatorflow_forecast_coverage_80_ratio',
  forecastsScored: 'creatorflow_forecasts_scored',
  capacityUsage: 'creatorflow_capacity_usage_ratio',
  capacityDaysToThreshold: 'creatorflow_capacity_days_to_threshold',
  capacityScaleUp: 'creatorflow_capacity_scale_up',
  up: 'creatorflow_up',
} as const;

/** The instruments of {@link METRIC}, declared on one port. */
export interface LibraryMetrics {
  appendDuration: Histogram;
  appendBatchSize: Histogram;
  appendedEvents: Counter;
  readerHeldBack: Gauge;
  processorLagEvents: Gauge;
  processorLagSeconds: Gauge;
  processorBatchDuration: Histogram;
  processorBatchSize: Histogram;
  processorEvents: Counter;
  processorRetries: Counter;
  processorDeadLetters: Counter;
  sagaStepDuration: Histogram;
  sagaStepFailures: Counter;
  sagaStepsDeferred: Counter;
  sagaOutcomes: Counter;
  sagasActive: Gauge;
  webhookDuration: Histogram;
  webhookRequests: Counter;
  webhookRefused: Counter;
  admissionRate: Gauge;
  realtimeDelivery: Histogram;
  realtimeFrames: Counter;
  realtimeSubscriptions: Gauge;
  realtimeQueued: Gauge;
  realtimeBuffered: Gauge;
  realtimeResets: Counter;
  realtimeGaps: Counter;
  poolConnections: Gauge;
  poolMax: Gauge;
  apiDuration: Histogram;
  apiRequests: Counter;
  apiRateLimitHeadroom: Gauge;
  cacheRequests: Counter;
  cacheEvictions: Counter;
  cacheHitRatio: Gauge;
  cacheEntries: Gauge;
  cacheBytes: Gauge;
  cacheInvalidationLag: Gauge;
  consistencyChecks: Counter;
  conflicts: Counter;
  stockoutsPredicted: Gauge;
  forecastWithin20Pct: Gauge;
  forecastCoverage80: Gauge;
  forecastsScored: Gauge;
  capacityUsage: Gauge;
  capacityDaysToThreshold: Gauge;
  capacityScaleUp: Gauge;
  up: Gauge;
}

/**
 * Declare the library's instruments on `metrics`.
 *
 * @example
 * ```ts
 * const m = libraryMetrics(createMetricsRegistry());
 * m.cacheRequests.inc({ cache: 'orders', tier: 'warm', result: 'hit_memory' });
 * ```
 */
export function libraryMetrics(metrics: Metrics): LibraryMetrics {
  const latency = (name: string, help: string, labelNames: string[] = []) =>
    metrics.histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS });
  const sizes = (name: string, help: string, labelNames: string[] = []) =>
    metrics.histogram({ name, help, labelNames, buckets: SIZE_BUCKETS });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    metrics.counter({ name, help, labelNames });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    metrics.gauge({ name, help, labelNames });
  return {
    appendDuration: latency(METRIC.appendDuration, 'Event store append latency', ['outcome']),
    appendBatchSize: sizes(METRIC.appendBatchSize, 'Events per append'),
    appendedEvents: counter(METRIC.appendedEvents, 'Events appended (duplicates excluded)'),
    readerHeldBack: gauge(METRIC.readerHeldBack, 'Events log readers cannot pass yet (open transactions)'),
    processorLagEvents: gauge(METRIC.processorLagEvents, 'Events a processor still has to apply', [
      'processor',
    ]),
    processorLagSeconds: gauge(
      METRIC.processorLagSeconds,
      'Age of the oldest event a processor has not applied',
      ['processor'],
    ),
    processorBatchDuration: latency(
      METRIC.processorBatchDuration,
      'Processor handler time per committed batch',
      ['processor'],
    ),
    processorBatchSize: sizes(METRIC.processorBatchSize, 'Events per committed processor batch', [
      'processor',
    ]),
    processorEvents: counter(METRIC.processorEvents, 'Events processors applied', ['processor']),
    processorRetries: counter(METRIC.processorRetries, 'Failed processor attempts that will be retried', [
      'processor',
    ]),
    processorDeadLetters: counter(METRIC.processorDeadLetters, 'Events moved to the dead-letter queue', [
      'processor',
    ]),
    sagaStepDuration: latency(METRIC.sagaStepDuration, 'Saga step latency (action or compensation)', [
      'definition',
      'phase',
    ]),
    sagaStepFailures: counter(METRIC.sagaStepFailures, 'Saga steps that failed after their retries', [
      'definition',
      'phase',
    ]),
    sagaStepsDeferred: counter(
      METRIC.sagaStepsDeferred,
      'Saga steps whose retries all failed on an outage of the database, run again after a pause',
      ['definition', 'phase'],
    ),
    sagaOutcomes: counter(METRIC.sagaOutcomes, 'Sagas by lifecycle outcome', ['definition', 'outcome']),
    sagasActive: gauge(METRIC.sagasActive, 'Sagas running on this host'),
    webhookDuration: latency(METRIC.webhookDuration, 'Webhook handling latency', ['route', 'code']),
    webhookRequests: counter(METRIC.webhookRequests, 'Webhook requests by response code', ['route', 'code']),
    webhookRefused: counter(METRIC.webhookRefused, 'Webhooks refused by admission control', ['reason']),
    admissionRate: gauge(METRIC.admissionRate, 'Webhooks per second admission control lets in'),
    realtimeDelivery: latency(
      METRIC.realtimeDelivery,
      'Row change published to frame written to a connection',
      ['channel'],
    ),
    realtimeFrames: counter(METRIC.realtimeFrames, 'Frames written to realtime connections', [
      'channel',
      'type',
    ]),
    realtimeSubscriptions: gauge(METRIC.realtimeSubscriptions, 'Live realtime subscriptions'),
    realtimeQueued: gauge(METRIC.realtimeQueued, 'Messages queued for slow realtime connections'),
    realtimeBuffered: gauge(METRIC.realtimeBuffered, 'Batches held in realtime replay buffers'),
    realtimeResets: counter(METRIC.realtimeResets, 'Snapshots sent to subscribers', ['reason']),
    realtimeGaps: counter(METRIC.realtimeGaps, 'Cross-host batch gaps that invalidated a channel'),
    poolConnections: gauge(METRIC.poolConnections, 'Database pool connections by state', ['state']),
    poolMax: gauge(METRIC.poolMax, 'Database pool size limit'),
    apiDuration: latency(METRIC.apiDuration, 'External API call latency', ['api', 'code']),
    apiRequests: counter(METRIC.apiRequests, 'External API calls by response code', ['api', 'code']),
    apiRateLimitHeadroom: gauge(
      METRIC.apiRateLimitHeadroom,
      'Remaining share of an external API rate limit (0..1)',
      ['api'],
    ),
    cacheRequests: counter(METRIC.cacheRequests, 'Cache lookups by tier and result', [
      'cache',
      'tier',
      'result',
    ]),
    cacheEvictions: counter(METRIC.cacheEvictions, 'In-process cache entries evicted by a size limit', [
      'cache',
      'tier',
    ]),
    cacheHitRatio: gauge(METRIC.cacheHitRatio, 'Cache hits / lookups per tier (0..1)', ['cache', 'tier']),
    cacheEntries: gauge(METRIC.cacheEntries, 'Entries in the in-process cache layer', ['cache', 'tier']),
    cacheBytes: gauge(METRIC.cacheBytes, 'Bytes in the in-process cache layer', ['cache', 'tier']),
    cacheInvalidationLag: gauge(
      METRIC.cacheInvalidationLag,
      'Commit to this host applying a cache invalidation, by quantile',
      ['cache', 'quantile'],
    ),
    consistencyChecks: counter(METRIC.consistencyChecks, 'Consistency checks by result (ok or failed)', [
      'check',
      'result',
    ]),
    conflicts: counter(METRIC.conflicts, 'Conflicts detected, by outcome (resolved or escalated)', [
      'outcome',
    ]),
    stockoutsPredicted: gauge(METRIC.stockoutsPredicted, 'SKUs forecast to run out within the horizon', [
      'creator',
    ]),
    forecastWithin20Pct: gauge(
      METRIC.forecastWithin20Pct,
      'Share of scored 30-day forecasts whose total was within 20 % of what sold (0..1; target 0.85)',
      ['creator'],
    ),
    forecastCoverage80: gauge(
      METRIC.forecastCoverage80,
      'Share of scored forecast days inside the 10-90 % interval (0..1; calibrated: about 0.8)',
      ['creator'],
    ),
    forecastsScored: gauge(METRIC.forecastsScored, 'Kept forecasts scored against what sold', ['creator']),
    // `host` names the host of a per-host resource (CPU, memory) and is empty for the shared ones.
    capacityUsage: gauge(METRIC.capacityUsage, 'Last sampled use of a resource as a share of its capacity', [
      'resource',
      'host',
    ]),
    capacityDaysToThreshold: gauge(
      METRIC.capacityDaysToThreshold,
      'Days until the forecast 90 % quantile of a resource reaches its threshold share (+Inf: not within the horizon)',
      ['resource', 'host'],
    ),
    capacityScaleUp: gauge(
      METRIC.capacityScaleUp,
      '1 when a resource is forecast to reach its threshold share of capacity within the horizon, else 0',
      ['resource', 'host'],
    ),
    up: gauge(METRIC.up, '1 while the host passes its health check, else 0'),
  };
}
