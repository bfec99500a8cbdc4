/**
 * The hosts' alerting: the library's default rules (or the host's) evaluated
 * over this host's metrics registry by one host at a time (a database
 * lease), routed through the specification's escalation matrix in UTC. The
 * demo has no SMS or email provider: every channel but the dashboard writes
 * a log line. The dashboard channel sends nothing — its panel reads the
 * `monitoring_alerts` read model, which records who was notified.
 */
import {
  InvalidAlertConfigError,
  alertsProjection,
  createAlerting,
  DEFAULT_ALERT_RULES,
  SPEC_ESCALATION_MATRIX,
  type Alerting,
  type AlertRow,
  type AlertRule,
  type MetricsRegistry,
  type NotificationChannel,
} from '@creatorflow/sync/monitoring';
import type { Authorization, ProjectionDefinition } from '@creatorflow/sync';
import type { HostLog } from './host-log.js';

/** The channel kinds of the specification. */
const KINDS = ['sms', 'phone', 'mobile_push', 'email', 'slack', 'dashboard'] as const;

/** The demo team: every role reachable on every channel. */
const CONTACTS = Object.fromEntries(
  ['team_lead', 'on_call_engineer', 'backup_engineer', 'development_team'].map((role) => [
    role,
    { addresses: Object.fromEntries(KINDS.map((kind) => [kind, `${role}@demo`])) },
  ]),
);

/**
 * Options of {@link hostAlerting}.
 *
 * @example
 * ```ts
 * const options: HostAlertingOptions = { registry, log, owner: hostId, rules: DEFAULT_ALERT_RULES, intervalMs: 15_000 };
 * ```
 */
export interface HostAlertingOptions {
  registry: MetricsRegistry;
  log: HostLog;
  /** This process's id, the lease owner. */
  owner: string;
  /** Default {@link DEFAULT_ALERT_RULES}. */
  rules?: readonly AlertRule[] | undefined;
  /** Default 15,000 ms. */
  intervalMs?: number | undefined;
}

/** What a route answers. */
export interface RouteAnswer {
  status: number;
  body: unknown;
}

/** The host's alerting: the read model, the runtime, and the acknowledge route's logic. */
export interface HostAlerting {
  projection: ProjectionDefinition<AlertRow>;
  alerting: Alerting;
  /** `POST /alerts/:fingerprint/acknowledge` by `who`: 204, 403 outside the scope, 404 for no active alert. */
  acknowledge(who: Authorization, fingerprint: string): Promise<RouteAnswer>;
}

/**
 * The alerts read model (its channel `monitoring_alerts` visible to
 * `scope`'s subscribers) and the alerting runtime feeding it.
 *
 * @example
 * ```ts
 * const alerts = hostAlerting({ registry, log, owner: hostId }, creatorId);
 * createSyncEngine({ ..., projections: [alerts.projection] });
 * await alerts.alerting.start({ store: engine.store });
 * ```
 */
export function hostAlerting(options: HostAlertingOptions, scope: string): HostAlerting {
  const channels: NotificationChannel[] = KINDS.map((kind) => ({
    kind,
    send: async (n) => {
      if (kind !== 'dashboard') options.log.info(`alert ${kind} to ${n.address}: ${n.text}`);
    },
  }));
  const intervalMs = options.intervalMs ?? 15_000;
  const alerting = createAlerting({
    registry: options.registry,
    rules: options.rules ?? DEFAULT_ALERT_RULES,
    route: { receiver: 'team', groupBy: ['alertname'], groupWaitMs: 0 },
    receivers: {
      team: {
        timeZone: 'UTC',
        matrix: SPEC_ESCALATION_MATRIX,
        escalateAfterMs: 5 * 60_000,
        contacts: CONTACTS,
      },
    },
    channels,
    intervalMs,
    lease: { owner: options.owner },
  });
  return {
    projection: alertsProjection({ scope }),
    alerting,
    async acknowledge(who, fingerprint) {
      // Whoever sees the alerts (the channel's tenant) may acknowledge them.
      if (!who.tenantIds.includes(scope)) return { status: 403, body: { error: 'Not your alerts' } };
      try {
        await alerting.acknowledge(fingerprint, who.userId);
        return { status: 204, body: null };
      } catch (err) {
        if (err instanceof InvalidAlertConfigError)
          return { status: 404, body: { error: 'No active alert' } };
        throw err;
      }
    },
  };
}
