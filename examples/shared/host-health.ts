/**
 * `GET /healthz` of the example hosts: a typed status per component and an
 * overall `status`, never an exception's text (it can name servers, users
 * or queries, and a health endpoint is often public). Every probe has a
 * deadline, so a hung database makes health say `down` instead of hanging.
 */
import type { SqlClient } from '@creatorflow/sync';
import { READ_MODEL_DEGRADED_LAG_MS, type SyncEngineHealth } from '@creatorflow/sync';

/** Overall status: `ok`, `degraded` (serving, something is wrong) or `down` (cannot take webhooks). */
export const HOST_STATUSES = ['ok', 'degraded', 'down'] as const;
/** One of {@link HOST_STATUSES}. */
export type HostStatus = (typeof HOST_STATUSES)[number];

/** Status of one component; `disabled` when the host runs without it (Redis). */
export type ComponentStatus = 'ok' | 'degraded' | 'down' | 'disabled' | 'unknown';

/** The JSON body of `GET /healthz`. */
export interface HostHealth {
  status: HostStatus;
  hostId: string;
  components: {
    database: { status: 'ok' | 'down'; engine: 'postgres' | 'pglite' };
    redis: { status: 'ok' | 'down' | 'disabled' };
    /** Largest lag of the asynchronous read models; null when it could not be read. */
    readModels: { status: 'ok' | 'degraded' | 'unknown'; lagEvents: number | null; lagMs: number | null };
    sagas: { status: 'ok' | 'unknown'; active: number; completed: number; failed: number };
    /**
     * Dead letters waiting for a person: `events` every processor gave up on
     * (read models, saga triggers, handlers), `compensations` of sagas; any
     * makes it `degraded`. Null when the engine's health could not be read.
     */
    deadLetters: {
      status: 'ok' | 'degraded' | 'unknown';
      events: number | null;
      compensations: number | null;
    };
    /** Whether this host runs the singleton jobs (inventory poller, health monitor) now. */
    singletons: { status: 'ok'; leader: boolean };
    /**
     * Webhook admission: `degraded` while it sheds load (webhooks refused
     * with 503 `OVERLOADED`, to be redelivered), with the rate it lets in
     * and its refusals since start by reason.
     */
    intake: {
      status: 'ok' | 'degraded' | 'disabled' | 'unknown';
      ratePerS: number | null;
      refused: Readonly<Record<string, number>> | null;
    };
  };
  realtime: SyncEngineHealth['realtime'] | null;
}

/** What the probes found (see {@link probeHealth}). */
export interface HealthReadings {
  hostId: string;
  engine: 'postgres' | 'pglite';
  databaseUp: boolean;
  /** Undefined when the host runs without Redis. */
  redisUp: boolean | undefined;
  /** The engine's own health; undefined when it could not be read in time. */
  engineHealth: SyncEngineHealth | undefined;
  sagas: { active: number; completed: number; failed: number };
  leader: boolean;
}

const DEFAULT_DEADLINE_MS = 1500;

/**
 * Resolve `promise`, or undefined when it rejects or takes longer than `ms`.
 *
 * @example
 * ```ts
 * const rows = await withDeadline(sql.query('SELECT 1'), 1000);
 * ```
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether the database answers `SELECT 1` within the deadline.
 *
 * @example
 * ```ts
 * const up = await pingDatabase(sql);
 * ```
 */
export async function pingDatabase(sql: SqlClient, deadlineMs = DEFAULT_DEADLINE_MS): Promise<boolean> {
  return (await withDeadline(sql.query('SELECT 1'), deadlineMs)) !== undefined;
}

/** Redis is down when its connection is, or when a limiter had to fall back to per-process limits. */
function redisStatus(r: HealthReadings): 'ok' | 'down' | 'disabled' {
  if (r.redisUp === undefined) return 'disabled';
  const fellBack =
    r.engineHealth?.rateLimiter?.state === 'degraded' || r.engineHealth?.realtime.limiterDegraded;
  return r.redisUp && !fellBack ? 'ok' : 'down';
}

/** Dead letters from the engine's health, `unknown` when it could not be read. */
function deadLetterStatus(health: SyncEngineHealth | undefined): HostHealth['components']['deadLetters'] {
  if (!health) return { status: 'unknown', events: null, compensations: null };
  const events = Object.values(health.deadLetters).reduce((n, c) => n + c, 0);
  const compensations = health.sagas.deadLetters;
  return { status: events + compensations > 0 ? 'degraded' : 'ok', events, compensations };
}

function intakeStatus(health: SyncEngineHealth | undefined): HostHealth['components']['intake'] {
  if (!health) return { status: 'unknown', ratePerS: null, refused: null };
  const admission = health.admission;
  if (!admission) return { status: 'disabled', ratePerS: null, refused: null };
  const status = admission.state === 'shedding' ? 'degraded' : 'ok';
  return { status, ratePerS: admission.ratePerS, refused: admission.refused };
}

/**
 * Grade the readings (pure). The database down means `down`: nothing can be
 * appended. Redis down, lagging or unreadable read models, dead letters
 * waiting, or intake shedding load, mean `degraded`: webhooks are still taken.
 *
 * @example
 * ```ts
 * const body = gradeHealth({ hostId: 'a', engine: 'postgres', databaseUp: true, redisUp: undefined,
 *   engineHealth, sagas: { active: 0, completed: 0, failed: 0 }, leader: true });
 * ```
 */
export function gradeHealth(r: HealthReadings): HostHealth {
  const lags = r.engineHealth ? Object.values(r.engineHealth.readModels) : [];
  const readModels: HostHealth['components']['readModels'] = r.engineHealth
    ? {
        status: lags.some((l) => l.lagMs > READ_MODEL_DEGRADED_LAG_MS) ? 'degraded' : 'ok',
        lagEvents: lags.reduce((n, l) => Math.max(n, l.lagEvents), 0),
        lagMs: lags.reduce((n, l) => Math.max(n, l.lagMs), 0),
      }
    : { status: 'unknown', lagEvents: null, lagMs: null };
  const components: HostHealth['components'] = {
    database: { status: r.databaseUp ? 'ok' : 'down', engine: r.engine },
    redis: { status: redisStatus(r) },
    readModels,
    sagas: { status: r.engineHealth ? 'ok' : 'unknown', ...r.sagas },
    deadLetters: deadLetterStatus(r.engineHealth),
    singletons: { status: 'ok', leader: r.leader },
    intake: intakeStatus(r.engineHealth),
  };
  const statuses: ComponentStatus[] = Object.values(components).map((c) => c.status);
  const status: HostStatus = !r.databaseUp
    ? 'down'
    : statuses.every((s) => s === 'ok' || s === 'disabled') && r.engineHealth?.status !== 'degraded'
      ? 'ok'
      : 'degraded';
  return { status, hostId: r.hostId, components, realtime: r.engineHealth?.realtime ?? null };
}

/**
 * HTTP status of a health answer: 503 only when the host cannot take webhooks.
 *
 * @example
 * ```ts
 * res.status(healthHttpStatus(health)).json(health);
 * ```
 */
export function healthHttpStatus(health: HostHealth): number {
  return health.status === 'down' ? 503 : 200;
}

/** What {@link probeHealth} reads. */
export interface HealthProbes {
  hostId: string;
  engine: 'postgres' | 'pglite';
  sql: SqlClient;
  engineHealth: () => Promise<SyncEngineHealth>;
  /** Undefined when the host runs without Redis. */
  redisUp?: (() => boolean) | undefined;
  sagas: () => { active: number; completed: number; failed: number };
  leader: () => boolean;
  deadlineMs?: number;
}

/**
 * Run every probe (in parallel, each with a deadline) and grade them.
 *
 * @example
 * ```ts
 * const health = await probeHealth({ hostId, engine: 'postgres', sql, engineHealth: () => engine.health(),
 *   sagas: () => counts, leader: () => singletons.leader });
 * ```
 */
export async function probeHealth(p: HealthProbes): Promise<HostHealth> {
  const deadline = p.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const [databaseUp, engineHealth] = await Promise.all([
    pingDatabase(p.sql, deadline),
    withDeadline(p.engineHealth(), deadline),
  ]);
  return gradeHealth({
    hostId: p.hostId,
    engine: p.engine,
    databaseUp,
    redisUp: p.redisUp?.(),
    engineHealth,
    sagas: p.sagas(),
    leader: p.leader(),
  });
}
