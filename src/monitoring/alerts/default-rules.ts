/**
 * The specification's section-8 alerts as the default rule set, over the
 * library's own metrics (see `METRIC`). Each carries a `component` label
 * (so a critical inhibits the warnings of its component), the spec's
 * channels and automatic actions.
 */
import { METRIC } from '../metrics/library-metrics.js';
import { defineAlertRules, type AlertRule } from './alert-rule.js';

const MINUTE = 60_000;

/**
 * The default rules.
 *
 * @example
 * ```ts
 * const alerting = createAlerting({ rules: [...DEFAULT_ALERT_RULES, ...mine], ... });
 * ```
 */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = defineAlertRules([
  {
    name: 'system_down',
    severity: 'critical',
    signal: { kind: 'value', of: { metric: METRIC.up }, aggregate: 'min' },
    condition: { op: '<', threshold: 1 },
    forMs: 2 * MINUTE,
    labels: { component: 'system' },
    annotations: {
      summary: 'Service health check failing for more than 2 minutes',
      description: 'Respond within 5 minutes',
    },
    channels: ['sms', 'phone', 'slack'],
  },
  {
    name: 'data_corruption',
    severity: 'critical',
    signal: {
      kind: 'increase',
      of: { metric: METRIC.consistencyChecks, labels: { result: 'failed' } },
      windowMs: 15 * MINUTE,
    },
    condition: { op: '>', threshold: 0 },
    labels: { component: 'data' },
    annotations: { summary: 'A consistency check failed' },
    channels: ['email', 'slack'],
    actions: ['stop_affected_processes', 'backup_current_state'],
  },
  {
    name: 'payment_failures',
    severity: 'critical',
    signal: {
      kind: 'ratio',
      numerator: {
        kind: 'increase',
        of: { metric: METRIC.apiRequests, labels: { api: 'payment', code: { notRe: '2..' } } },
        windowMs: 5 * MINUTE,
      },
      denominator: {
        kind: 'increase',
        of: { metric: METRIC.apiRequests, labels: { api: 'payment' } },
        windowMs: 5 * MINUTE,
      },
    },
    condition: { op: '>', threshold: 0.05, clearAt: 0.03 },
    labels: { component: 'payments' },
    annotations: { summary: 'Payment error rate above 5 %', description: 'Potential revenue loss' },
    channels: ['email', 'dashboard'],
  },
  {
    name: 'performance_degradation',
    severity: 'warning',
    signal: {
      kind: 'quantile',
      q: 0.95,
      of: { metric: METRIC.processorBatchDuration },
      windowMs: 10 * MINUTE,
    },
    condition: {
      op: '>',
      baseline: {
        kind: 'quantile',
        q: 0.95,
        of: { metric: METRIC.processorBatchDuration },
        windowMs: 24 * 60 * MINUTE,
      },
      factor: 2,
      minBaseline: 0.001,
    },
    forMs: 10 * MINUTE,
    labels: { component: 'processing' },
    annotations: { summary: 'Event processing latency above twice its daily baseline for 10 minutes' },
    channels: ['email', 'slack'],
    actions: ['scale_up_resources', 'enable_caching'],
  },
  {
    name: 'high_error_rate',
    severity: 'warning',
    signal: {
      kind: 'ratio',
      numerator: { kind: 'increase', of: { metric: METRIC.processorRetries }, windowMs: 5 * MINUTE },
      denominator: { kind: 'increase', of: { metric: METRIC.processorEvents }, windowMs: 5 * MINUTE },
    },
    condition: { op: '>', threshold: 0.01, clearAt: 0.005 },
    forMs: 5 * MINUTE,
    labels: { component: 'processing' },
    annotations: {
      summary: 'Event processing error rate above 1 % for 5 minutes',
      description: 'Root cause analysis required',
    },
    channels: ['email', 'dashboard'],
  },
  {
    name: 'capacity_warning',
    severity: 'warning',
    signal: {
      kind: 'ratio',
      numerator: { kind: 'value', of: { metric: METRIC.poolConnections, labels: { state: 'in_use' } } },
      denominator: { kind: 'value', of: { metric: METRIC.poolMax } },
    },
    condition: { op: '>', threshold: 0.8, clearAt: 0.7 },
    forMs: 5 * MINUTE,
    labels: { component: 'database' },
    annotations: { summary: 'Database pool above 80 % of its connections' },
    channels: ['email'],
  },
  {
    name: 'high_volume_events',
    severity: 'info',
    signal: { kind: 'rate', of: { metric: METRIC.appendedEvents }, windowMs: 5 * MINUTE },
    condition: {
      op: '>',
      baseline: { kind: 'rate', of: { metric: METRIC.appendedEvents }, windowMs: 24 * 60 * MINUTE },
      factor: 3,
      minBaseline: 0.01,
    },
    labels: { component: 'ingest' },
    annotations: {
      summary: 'Event volume above three times normal',
      description: 'Potential viral content driving traffic',
    },
    channels: ['dashboard', 'email'],
  },
  {
    name: 'stockout_predicted',
    severity: 'warning',
    signal: { kind: 'value', of: { metric: METRIC.stockoutsPredicted }, aggregate: 'sum' },
    condition: { op: '>', threshold: 0 },
    by: ['creator'],
    labels: { component: 'inventory' },
    annotations: { summary: 'A stock-out is forecast within the horizon' },
    channels: ['email', 'slack', 'dashboard'],
  },
  {
    name: 'capacity_predicted',
    severity: 'warning',
    signal: { kind: 'value', of: { metric: METRIC.capacityScaleUp }, aggregate: 'max' },
    condition: { op: '>', threshold: 0 },
    by: ['resource', 'host'],
    labels: { component: 'capacity' },
    annotations: {
      summary: 'A resource is forecast to reach 70 % of its capacity within 30 days',
      description: 'Capacity planning review: scale up before it is reached',
    },
    channels: ['email', 'dashboard'],
    actions: ['scale_up_resources'],
  },
]);
