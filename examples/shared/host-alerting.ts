/**
 * The hosts' alerting: the library's default rules (or the host's) evaluated
 * over this host's metrics registry by one host at a time (a database
 * lease), routed through the specification's escalation matrix in UTC. The
 * demo has no SMS or email provider: every channel but the dashboard writes
 * a log line. The dashboard channel sends nothing — its panel reads the
 * `monitoring_alerts` read model, which records who was notified.
 */
import {
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
import {
  ADMIN_ROLE,
  AccessDeniedError,
  SERVICE_ROLE,
  UnauthenticatedError,
  hasRole,
} from '@creatorflow/sync/access';
import {
  jsonResponse,
  problemOf,
  problemResponse,
  withBodyLimit,
  type HttpRequestHead,
  type HttpResponse,
  type Route,
} from '@creatorflow/sync/http';
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

/**
 * Roles that may acknowledge an alert: an operator (admin), or a machine
 * (service key, e.g. a paging integration) for the alerts of its creators.
 */
export const ACKNOWLEDGE_ROLES: readonly string[] = Object.freeze([ADMIN_ROLE, SERVICE_ROLE]);

/** The host's alerting: the read model, the runtime, and the acknowledge route's logic. */
export interface HostAlerting {
  projection: ProjectionDefinition<AlertRow>;
  alerting: Alerting;
  /**
   * `POST /alerts/:fingerprint/acknowledge` by `who`: 200 with the
   * acknowledgement `{ fingerprint, acknowledgedBy, acknowledgedAt, duplicate }`
   * — the first one of the alert's life, so a retry answers the same and
   * records nothing (`duplicate: true`); problem+json 401 `UNAUTHENTICATED`
   * without an identity, 403 `FORBIDDEN` without the admin or service role
   * (or a service outside the alerts' creator), 404 `ALERT_NOT_FOUND` for an
   * unknown alert, 409 `ALERT_RESOLVED` for a resolved one.
   */
  acknowledge(who: Authorization | null, fingerprint: string): Promise<HttpResponse>;
}

/**
 * The acknowledge route, for `createRouter`; `authorize` returns the caller or null.
 *
 * @example
 * ```ts
 * const alerts = createRouter(acknowledgeRoutes(hostAlerting(options, creatorId), caller));
 * ```
 */
export function acknowledgeRoutes(
  alerts: HostAlerting,
  authorize: (req: HttpRequestHead) => Promise<Authorization | null>,
): Route[] {
  return [
    {
      method: 'POST',
      path: '/alerts/:fingerprint/acknowledge',
      // No body is read: the fingerprint is in the path.
      handler: withBodyLimit(
        async (req) => alerts.acknowledge(await authorize(req), req.params.fingerprint!),
        1_024,
      ),
    },
  ];
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
      try {
        if (!who) throw new UnauthenticatedError();
        if (!ACKNOWLEDGE_ROLES.some((role) => hasRole(who, role)))
          throw new AccessDeniedError(who.userId, ACKNOWLEDGE_ROLES, 'Acknowledging an alert');
        // An admin acknowledges any alert; a service only its creators' (the channel's tenant).
        if (!hasRole(who, ADMIN_ROLE) && !who.tenantIds.includes(scope))
          throw new AccessDeniedError(who.userId, [ADMIN_ROLE], "Acknowledging another creator's alert");
        // Idempotent by itself (first acknowledgement wins): a retry needs no Idempotency-Key.
        const ack = await alerting.acknowledge(fingerprint, who.userId);
        return jsonResponse(200, {
          fingerprint: ack.fingerprint,
          acknowledgedBy: ack.by,
          acknowledgedAt: new Date(ack.at).toISOString(),
          duplicate: ack.duplicate,
        });
      } catch (err) {
        const problem = problemOf(err);
        if (problem.status === 500) throw err;
        return problemResponse(problem);
      }
    },
  };
}
