/**
 * `system_health_metrics`: one row per creator and component (`tiktok_api`,
 * `order_processing`, `inventory_sync`, `automation_health`) with its status
 * and the measurements behind it. Rows about the whole system (events without
 * a creator) use creator id `'*'`.
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import type { HealthComponent, HealthStatus, Severity } from '../events/common.js';
import type { EventPayload } from '../events/catalog.js';
import { componentHealth, worstStatus, type HealthThresholds } from '../metrics/system-health.js';
import { SYSTEM_CREATOR_ID, eventTime, toMeasurements } from './row-values.js';

/** A `system_health_metrics` row. */
export interface SystemHealthRow extends Row {
  creator_id: string;
  component: HealthComponent;
  status: HealthStatus;
  previous_status: HealthStatus | null;
  /** Named measurements, e.g. `{ webhook_latency_ms: 12, rate_limit_headroom: 0.8 }`. */
  measurements: Record<string, number>;
  /** Measurements at warning or critical. */
  breaches: string[];
  /** The last error or threshold message, if any. */
  last_message: string | null;
  checked_at: string | Date;
  status_changed_at: string | Date;
  updated_at: string | Date;
}

const SEVERITY_STATUS: Record<Severity, HealthStatus> = {
  info: 'nominal',
  warning: 'warning',
  critical: 'critical',
};

interface Update {
  measurements: (current: Record<string, number>) => Record<string, number>;
  /** A status the event itself asserts (worst of it and the thresholds' wins). */
  asserted?: HealthStatus;
  message?: string | null;
}

function handler(
  thresholds: HealthThresholds,
  component: (e: StoredEvent) => HealthComponent,
  update: (e: StoredEvent) => Update,
): ProjectionHandler<SystemHealthRow> {
  return {
    key: (e) => ({
      creator_id: (e.data as { creatorId?: string }).creatorId ?? SYSTEM_CREATOR_ID,
      component: component(e),
    }),
    apply: (current, event, key) => {
      const at = eventTime(event);
      const u = update(event);
      const measurements = u.measurements(toMeasurements(current?.measurements));
      const health = componentHealth(key.component!, measurements, thresholds);
      const status = u.asserted ? worstStatus(health.status, u.asserted) : health.status;
      const previous = current?.status ?? null;
      return {
        status,
        previous_status: previous !== status ? previous : (current?.previous_status ?? null),
        measurements,
        breaches: health.breaches,
        last_message: u.message === undefined ? (current?.last_message ?? null) : u.message,
        checked_at: at,
        status_changed_at: previous !== status || !current ? at : current.status_changed_at,
        updated_at: at,
      };
    },
  };
}

const data = <T extends keyof HealthEvents>(e: StoredEvent) => e.data as HealthEvents[T];
interface HealthEvents {
  'system.health_check_completed': EventPayload<'system.health_check_completed'>;
  'system.performance_threshold_exceeded': EventPayload<'system.performance_threshold_exceeded'>;
  'system.api_rate_limit_approached': EventPayload<'system.api_rate_limit_approached'>;
  'system.sync_failure_detected': EventPayload<'system.sync_failure_detected'>;
  'system.recovery_completed': EventPayload<'system.recovery_completed'>;
}

/**
 * The `system_health_metrics` projection, judging measurements by `thresholds`
 * (see `resolveHealthThresholds`).
 *
 * @example
 * ```ts
 * const health = systemHealthProjection(resolveHealthThresholds({}));
 * ```
 */
export function systemHealthProjection(thresholds: HealthThresholds): ProjectionDefinition<SystemHealthRow> {
  const own = (e: StoredEvent) => (e.data as { component: HealthComponent }).component;
  const tiktok = (): HealthComponent => 'tiktok_api';
  return defineProjection<SystemHealthRow>({
    name: 'system_health_metrics',
    key: ['creator_id', 'component'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        component text NOT NULL,
        status text NOT NULL,
        previous_status text,
        measurements jsonb NOT NULL DEFAULT '{}',
        breaches jsonb NOT NULL DEFAULT '[]',
        last_message text,
        checked_at timestamptz NOT NULL,
        status_changed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, component)
      )`,
    ],
    handlers: {
      'system.health_check_completed': handler(thresholds, own, (e) => {
        const d = data<'system.health_check_completed'>(e);
        return { measurements: (m) => ({ ...m, ...d.measurements }), asserted: d.status };
      }),
      'system.performance_threshold_exceeded': handler(thresholds, own, (e) => {
        const d = data<'system.performance_threshold_exceeded'>(e);
        return {
          measurements: (m) => ({ ...m, [d.metric]: d.value }),
          asserted: SEVERITY_STATUS[d.severity],
          message: `${d.metric} ${d.value} crossed ${d.threshold}`,
        };
      }),
      'system.api_rate_limit_approached': handler(thresholds, tiktok, (e) => {
        const d = data<'system.api_rate_limit_approached'>(e);
        return { measurements: (m) => ({ ...m, rate_limit_headroom: d.remaining / d.limit }) };
      }),
      'system.sync_failure_detected': handler(thresholds, own, (e) => {
        const d = data<'system.sync_failure_detected'>(e);
        return {
          measurements: (m) => ({ ...m, failures: (m['failures'] ?? 0) + 1 }),
          message: `${d.operation}: ${d.errorCode} ${d.message}`.slice(0, 500),
        };
      }),
      'system.recovery_completed': handler(thresholds, own, () => ({
        measurements: (m) => ({ ...m, failures: 0 }),
        message: null,
      })),
      'tiktok.rate_limit_hit': handler(thresholds, tiktok, (e) => ({
        measurements: (m) => ({
          ...m,
          rate_limit_headroom: 0,
          rate_limit_hits: (m['rate_limit_hits'] ?? 0) + 1,
        }),
        message: `429 on ${(e.data as EventPayload<'tiktok.rate_limit_hit'>).path}`,
      })),
      'tiktok.api_error': handler(thresholds, tiktok, (e) => {
        const d = e.data as EventPayload<'tiktok.api_error'>;
        return {
          measurements: (m) => ({ ...m, api_errors: (m['api_errors'] ?? 0) + 1 }),
          message: `${d.method} ${d.path}: ${d.status ?? 'network'} ${d.message}`.slice(0, 500),
        };
      }),
    },
  });
}
