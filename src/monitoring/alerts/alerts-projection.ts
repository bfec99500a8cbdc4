/**
 * `monitoring_alerts`: the alert state events folded into a table, one row
 * per alert (its fingerprint) with its rule, labels, severity, state, since
 * when, and who was last notified through which channels at which
 * escalation level. A projection like any read model, so the engine streams
 * it over the realtime hub (`channel`) and a rebuild replays it from the log.
 * Resolved alerts stay as history; a pending breach that cleared is deleted.
 */
import type { Row } from '../../core/row-change.js';
import { defineProjection, type ProjectionDefinition } from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import type { AlertSeverity } from './alert-rule.js';
import type { AlertEventData, AlertIdentity } from './alert-events.js';

/** The states of an alert row. */
export const ALERT_ROW_STATES = ['pending', 'firing', 'acknowledged', 'resolved'] as const;
/** One of {@link ALERT_ROW_STATES}. */
export type AlertRowState = (typeof ALERT_ROW_STATES)[number];

/** A `monitoring_alerts` row. Times are ISO strings when written (`Date` as read back from SQL). */
export interface AlertRow extends Row {
  /** The tenant column of the channel: who may see the alerts. */
  scope: string;
  fingerprint: string;
  rule: string;
  severity: AlertSeverity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: AlertRowState;
  value: number | null;
  /** When the current state began. */
  since: string | Date;
  /** When the breach began. */
  active_at: string | Date;
  fired_at: string | Date | null;
  resolved_at: string | Date | null;
  acknowledged_by: string | null;
  acknowledged_at: string | Date | null;
  /** The last notification of the alert's group: its escalation level (0 first), when, to whom, how. */
  group_key: string | null;
  level: number | null;
  notified_at: string | Date | null;
  recipients: string[];
  channels: string[];
}

/** The alert events as stored, typed by their data. */
export type StoredAlertEvent = {
  [K in keyof AlertEventData]: StoredEvent<AlertEventData[K], K>;
}[keyof AlertEventData];

/**
 * Options of {@link alertsProjection}.
 *
 * @example
 * ```ts
 * const options: AlertsProjectionOptions = { scope: 'ops', name: 'monitoring_alerts', throttleMs: 250 };
 * ```
 */
export interface AlertsProjectionOptions {
  /** The value of every row's tenant column `scope`; a subscriber sees the rows of its tenants. Default `'system'`. */
  scope?: string;
  /** Projection and table name (and so the channel's). Default `monitoring_alerts`. */
  name?: string;
  /** The channel's throttle, ms. Default 100. */
  throttleMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const LIVE: ReadonlySet<string> = new Set(['pending', 'firing', 'acknowledged']);

function identityColumns(scope: string, d: AlertIdentity): Partial<AlertRow> {
  return {
    scope,
    rule: d.rule,
    severity: d.severity,
    labels: d.labels,
    annotations: d.annotations,
  };
}

const byFingerprint = (e: { data: { fingerprint: string } }) => ({ fingerprint: e.data.fingerprint });

/**
 * The alerts read model, streamed on a realtime channel of the same name
 * (tenant column `scope`; filterable by `state`, `severity` and `rule`).
 * Run it on the store the alerting runtime appends to.
 *
 * @example
 * ```ts
 * const engine = createSyncEngine({ sql, projections: [alertsProjection({ scope: 'ops' })] });
 * // browsers: subscribe({ channel: 'monitoring_alerts', filter: 'state=neq.resolved' })
 * ```
 */
export function alertsProjection(options: AlertsProjectionOptions = {}): ProjectionDefinition<AlertRow> {
  const scope = options.scope ?? 'system';
  return defineProjection<AlertRow, StoredAlertEvent>({
    name: options.name ?? 'monitoring_alerts',
    key: ['fingerprint'],
    migrations: [
      `CREATE TABLE :TABLE: (
        scope text NOT NULL,
        fingerprint text PRIMARY KEY,
        rule text NOT NULL,
        severity text NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}',
        annotations jsonb NOT NULL DEFAULT '{}',
        state text NOT NULL,
        value double precision,
        since timestamptz NOT NULL,
        active_at timestamptz NOT NULL,
        fired_at timestamptz,
        resolved_at timestamptz,
        acknowledged_by text,
        acknowledged_at timestamptz,
        group_key text,
        level integer,
        notified_at timestamptz,
        recipients jsonb NOT NULL DEFAULT '[]',
        channels jsonb NOT NULL DEFAULT '[]'
      );
      CREATE INDEX :TABLE_NAME:_live ON :TABLE: (scope) WHERE state <> 'resolved';`,
    ],
    handlers: {
      'alert.pending': {
        key: byFingerprint,
        // A new breach (or one after a resolution): a fresh life, nothing carried over.
        apply: (_current, e) => ({
          ...identityColumns(scope, e.data),
          state: 'pending',
          value: e.data.value,
          since: iso(e.data.at),
          active_at: iso(e.data.at),
          fired_at: null,
          resolved_at: null,
          acknowledged_by: null,
          acknowledged_at: null,
          group_key: null,
          level: null,
          notified_at: null,
          recipients: [],
          channels: [],
        }),
      },
      'alert.fired': {
        key: byFingerprint,
        apply: (current, e) => {
          // An acknowledgement given while pending holds; one from a previous life does not.
          const live = current !== null && LIVE.has(current.state);
          const acked = live && current.acknowledged_by !== null;
          return {
            ...identityColumns(scope, e.data),
            state: acked ? 'acknowledged' : 'firing',
            value: e.data.value,
            since: iso(e.data.at),
            active_at: iso(e.data.activeAt),
            fired_at: iso(e.data.at),
            resolved_at: null,
            ...(live
              ? {}
              : {
                  acknowledged_by: null,
                  acknowledged_at: null,
                  group_key: null,
                  level: null,
                  notified_at: null,
                  recipients: [],
                  channels: [],
                }),
          };
        },
      },
      'alert.cleared': {
        key: byFingerprint,
        // A pending breach that ended never was an alert.
        apply: (current) => (current?.state === 'pending' ? null : undefined),
      },
      'alert.resolved': {
        key: byFingerprint,
        apply: (current, e) => {
          if (current === null || !LIVE.has(current.state)) return undefined;
          return {
            state: 'resolved',
            since: iso(e.data.at),
            resolved_at: iso(e.data.at),
            ...(e.data.value === null ? {} : { value: e.data.value }),
          };
        },
      },
      'alert.acknowledged': {
        key: byFingerprint,
        apply: (current, e) => {
          // The first acknowledgement of a life wins, as in the alerting runtime's book.
          if (current === null || !LIVE.has(current.state) || current.acknowledged_by !== null)
            return undefined;
          const firing = current.state !== 'pending';
          return {
            acknowledged_by: e.data.by,
            acknowledged_at: iso(e.data.at),
            ...(firing ? { state: 'acknowledged' as const, since: iso(e.data.at) } : {}),
          };
        },
      },
      'alert.notified': {
        key: (e) => e.data.fingerprints.map((fingerprint) => ({ fingerprint })),
        apply: (current, e) => {
          if (current === null || !LIVE.has(current.state)) return undefined;
          return {
            group_key: e.data.groupKey,
            level: e.data.level,
            notified_at: iso(e.data.at),
            recipients: e.data.recipients,
            channels: e.data.channels,
          };
        },
      },
    },
    channel: {
      tenantColumn: 'scope',
      filterableColumns: ['state', 'severity', 'rule'],
      throttleMs: options.throttleMs ?? 100,
    },
  });
}
