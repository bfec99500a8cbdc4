/**
 * `@creatorflow/sync/monitoring`: metrics of the library's hot paths, their
 * Prometheus and OpenTelemetry exports, the specification's health signals,
 * and alerting (rules, evaluation with durable state, routing, escalation,
 * notification channels). Never loaded by the root entry; prom-client is an
 * optional peer the host passes in.
 */
export {
  AlertNotFoundError,
  AlertResolvedError,
  InvalidAlertConfigError,
  InvalidMetricError,
  NotificationFailedError,
} from './errors.js';
export type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  Labels,
  MetricOptions,
  Metrics,
} from './metrics/metrics-port.js';
export { bucketQuantile, createMetricsRegistry } from './metrics/metrics-registry.js';
export type {
  HistogramSeries,
  MetricSnapshot,
  MetricsRegistry,
  SeriesSnapshot,
} from './metrics/metrics-registry.js';
export { fromPromClient } from './metrics/prom-client.js';
export type { PromClientLike, PromConfig, PromMetrics, PromRegistryLike } from './metrics/prom-client.js';
export { fromOpenTelemetry } from './metrics/opentelemetry.js';
export type { OtelMeterLike } from './metrics/opentelemetry.js';
export { teeMetrics } from './metrics/tee-metrics.js';
export { LATENCY_BUCKETS, libraryMetrics, METRIC, SIZE_BUCKETS } from './metrics/library-metrics.js';
export type { LibraryMetrics } from './metrics/library-metrics.js';
export { instrumentEventStore } from './instrument/instrument-store.js';
export { instrumentProcessor } from './instrument/instrument-processor.js';
export type { ProcessorEventSource } from './instrument/instrument-processor.js';
export { instrumentSagaRunner } from './instrument/instrument-sagas.js';
export { instrumentHttpHandler } from './instrument/instrument-http.js';
export { instrumentRealtimeHub } from './instrument/instrument-hub.js';
export { instrumentPool } from './instrument/instrument-pool.js';
export type { PoolLike } from './instrument/instrument-pool.js';
export { instrumentCache } from './instrument/instrument-cache.js';
export type { CacheFiguresSource, CacheTierFigures } from './instrument/instrument-cache.js';
export { instrumentConflictResolver } from './instrument/instrument-conflicts.js';
export type { ConflictEventSource } from './instrument/instrument-conflicts.js';
export { recordApiCall } from './instrument/record-api-call.js';
export { instrumentEngine } from './instrument/instrument-engine.js';
export type { EngineInstrumentation, InstrumentEngineOptions } from './instrument/instrument-engine.js';
export { measureHealth } from './health/measure-health.js';
export type {
  CounterMemory,
  HealthMeasurements,
  HealthSources,
  MeasuredComponent,
} from './health/measure-health.js';
export { matchLabels } from './alerts/matchers.js';
export type { Matcher, Matchers } from './alerts/matchers.js';
export { ALERT_SEVERITIES, defineAlertRules } from './alerts/alert-rule.js';
export type { AlertRule, AlertSeverity, Condition, Selector, Signal } from './alerts/alert-rule.js';
export { DEFAULT_ALERT_RULES } from './alerts/default-rules.js';
export { ALERT_EVENT_TYPES, ALERT_STREAM } from './alerts/alert-events.js';
export type { AlertEvent, AlertEventData, AlertIdentity, Silence } from './alerts/alert-events.js';
export { AlertBook } from './alerts/alert-book.js';
export type { Alert, AlertState, GroupNotice } from './alerts/alert-book.js';
export type { AlertAcknowledgement } from './alerts/acknowledge-alert.js';
export { AlertLog } from './alerts/alert-log.js';
export { ALERT_ROW_STATES, alertsProjection } from './alerts/alerts-projection.js';
export type {
  AlertRow,
  AlertRowState,
  AlertsProjectionOptions,
  StoredAlertEvent,
} from './alerts/alerts-projection.js';
export { MetricHistory, toSample } from './alerts/metric-history.js';
export type { Sample } from './alerts/metric-history.js';
export { evaluateSignal, signalWindow } from './alerts/evaluate-signal.js';
export type { GroupValue } from './alerts/evaluate-signal.js';
export { evaluateRules, fingerprintOf } from './alerts/evaluate-rules.js';
export { compileRoutes } from './routing/route.js';
export type { ResolvedRoute, RouteConfig, RoutingTree } from './routing/route.js';
export { DEFAULT_INHIBIT_RULES, isInhibited, isSilenced } from './routing/inhibition.js';
export type { InhibitRule } from './routing/inhibition.js';
export {
  compileEscalation,
  DELAYED,
  ESCALATION_PERIODS,
  LOGS_ONLY,
  SPEC_CHANNELS_BY_SEVERITY,
  SPEC_ESCALATION_MATRIX,
} from './routing/escalation-policy.js';
export type { Contact, Escalation, EscalationPeriod, EscalationPolicy } from './routing/escalation-policy.js';
export { planNotifications } from './routing/plan-notifications.js';
export type { Delivery, PlannedNotification, RoutingSetup } from './routing/plan-notifications.js';
export { notificationText } from './notify/notification-channel.js';
export type { Notification, NotificationChannel } from './notify/notification-channel.js';
export { reliableChannel } from './notify/reliable-channel.js';
export type { ReliableChannelOptions } from './notify/reliable-channel.js';
export { alertmanagerSink, slackChannel, webhookChannel } from './notify/webhook-channel.js';
export type { HttpChannelOptions } from './notify/webhook-channel.js';
export { createAlerting } from './alerting.js';
export type { AlertAction, Alerting, AlertingOptions, AlertsView, TickResult } from './alerting.js';
export { setStageTraceSink, traceStage } from '../core/stage-trace.js';
export type { StageTraceSink } from '../core/stage-trace.js';
