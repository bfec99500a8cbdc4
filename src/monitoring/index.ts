/**
 * `@creatorflow/sync/monitoring`: metrics of the library's hot paths, their
 * Prometheus and OpenTelemetry exports, the specification's health signals,
 * and alerting (rules, evaluation with durable state, routing, escalation,
 * notification channels). Never loaded by the root entry; prom-client is an
 * optional peer the host passes in.
 */
export * from './errors.js';
export type * from './metrics/metrics-port.js';
export * from './metrics/metrics-registry.js';
export * from './metrics/prom-client.js';
export * from './metrics/opentelemetry.js';
export * from './metrics/tee-metrics.js';
export * from './metrics/library-metrics.js';
export * from './instrument/instrument-store.js';
export * from './instrument/instrument-processor.js';
export * from './instrument/instrument-sagas.js';
export * from './instrument/instrument-http.js';
export * from './instrument/instrument-hub.js';
export * from './instrument/instrument-pool.js';
export * from './instrument/instrument-cache.js';
export * from './instrument/instrument-conflicts.js';
export * from './instrument/record-api-call.js';
export * from './instrument/instrument-engine.js';
export * from './health/measure-health.js';
export * from './alerts/matchers.js';
export * from './alerts/alert-rule.js';
export * from './alerts/default-rules.js';
export * from './alerts/alert-events.js';
export * from './alerts/alert-book.js';
export * from './alerts/alert-log.js';
export * from './alerts/alerts-projection.js';
export * from './alerts/metric-history.js';
export * from './alerts/evaluate-signal.js';
export * from './alerts/evaluate-rules.js';
export * from './routing/route.js';
export * from './routing/inhibition.js';
export * from './routing/escalation-policy.js';
export * from './routing/plan-notifications.js';
export * from './notify/notification-channel.js';
export * from './notify/reliable-channel.js';
export * from './notify/webhook-channel.js';
export * from './alerting.js';
export * from '../core/stage-trace.js';
