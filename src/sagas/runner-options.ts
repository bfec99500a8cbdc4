/**
 * Options of the saga runner, validated once with zod and frozen.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { resolveLogger, type Logger } from '../core/logger.js';
import { defaultLeaseOwner } from '../runtime/lease-owner.js';
import { resolveLeaseTiming } from '../runtime/lease-timing.js';
import type { SqlClient } from '../core/sql-client.js';
import {
  resolveRetryPolicy,
  retryPolicySchema,
  type RetryPolicy,
  type RetryPolicyInput,
} from '../runtime/retry-policy.js';
import type { AnySagaDefinition } from './define-saga.js';
import type { SagaStore } from './saga-store.js';

/**
 * Options of `createSagaRunner`.
 *
 * @example
 * ```ts
 * const runner = createSagaRunner({
 *   sql: fromPg(pool), schema: 'app', definitions: [orderFulfillment],
 *   concurrency: 8, stepTimeoutMs: 10_000, leaseMs: 15_000,
 *   retry: { attempts: 4, minTimeoutMs: 200 }, compensationRetry: { attempts: 11 },
 * });
 * ```
 */
export interface SagaRunnerOptions {
  /** Keep saga state in PostgreSQL/PGlite through this port. */
  sql?: SqlClient;
  /** Schema of the saga tables (with `sql`). Default `'creatorflow'`. */
  schema?: string;
  /** A ready store; overrides `sql`. Without `sql` and `store`, state lives in memory. */
  store?: SagaStore;
  /** Definitions to register at once. */
  definitions?: readonly AnySagaDefinition[];
  /** This worker's id in leases and the step log. Default `defaultLeaseOwner()`: `<host>:<pid>:<random>`. */
  workerId?: string;
  /** How long a lease lasts without a heartbeat; a dead worker's sagas resume elsewhere after it. Default 6 000. */
  leaseMs?: number;
  /**
   * Heartbeat period, shorter than `leaseMs`. Default `leaseMs / 3`. A saga whose
   * lease was not renewed for `leaseMs − heartbeatMs` is stopped by this worker
   * (self-fencing) before another may claim it.
   */
  heartbeatMs?: number;
  /** Backstop poll for claimable sagas when no notification arrives. Default 1 000. */
  pollIntervalMs?: number;
  /** Sagas this worker runs at once. Default 100. */
  concurrency?: number;
  /** Per-attempt timeout of steps and compensations that set none. Default 30 000. */
  stepTimeoutMs?: number;
  /**
   * A step (or compensation) whose every attempt failed on an outage of the
   * runner's own database or store — not on anything about the step — is
   * neither compensated nor dead-lettered: it runs again after this pause
   * (`saga:step_deferred`). Default 2 000.
   */
  outagePauseMs?: number;
  /** Retry policy of actions. Default {@link DEFAULT_SAGA_STEP_RETRY}: 4 attempts, 100 ms doubling to 5 s, with jitter. */
  retry?: RetryPolicyInput;
  /** Retry policy of compensations. Default {@link DEFAULT_SAGA_COMPENSATION_RETRY}: 6 attempts, 200 ms doubling to 10 s, with jitter. */
  compensationRetry?: RetryPolicyInput;
  /** Most writes per group commit. Default 500. */
  batchSize?: number;
  /** Group commits in flight at once (capped by the pool size - 1). Default 4. */
  writeFlushes?: number;
  /**
   * Where dead-lettered compensations and background errors are logged (at
   * `error`), besides the events. Default: one line on stderr; pass
   * `silentLogger` only when you watch `'error'` and `'saga:dead_lettered'` yourself.
   */
  logger?: Logger;
}

/** Options with defaults applied. */
export interface ResolvedRunnerOptions {
  workerId: string;
  leaseMs: number;
  heartbeatMs: number;
  /** `leaseMs − heartbeatMs`: how long a saga runs on without a successful renewal. */
  selfFenceAfterMs: number;
  pollIntervalMs: number;
  concurrency: number;
  stepTimeoutMs: number;
  outagePauseMs: number;
  retry: Readonly<RetryPolicy>;
  compensationRetry: Readonly<RetryPolicy>;
  batchSize: number;
  writeFlushes: number;
  logger: Logger;
}

const schema = z.object({
  workerId: z.string().min(1).max(200).optional(),
  leaseMs: z.number().int().min(50).optional(),
  heartbeatMs: z.number().int().min(10).optional(),
  pollIntervalMs: z.number().int().min(10).optional(),
  concurrency: z.number().int().min(1).max(10_000).optional(),
  stepTimeoutMs: z.number().int().min(1).optional(),
  outagePauseMs: z.number().int().min(1).max(600_000).optional(),
  retry: retryPolicySchema.optional(),
  compensationRetry: retryPolicySchema.optional(),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  writeFlushes: z.number().int().min(1).max(64).optional(),
  schema: z.string().min(1).max(63).optional(),
});

/**
 * The default retry policy of saga actions: 4 attempts, 100 ms doubling to 5 s, with jitter.
 *
 * @example
 * ```ts
 * createSagaRunner({ sql, retry: { ...DEFAULT_SAGA_STEP_RETRY, attempts: 8 } });
 * ```
 */
export const DEFAULT_SAGA_STEP_RETRY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 4,
  minTimeoutMs: 100,
  maxTimeoutMs: 5_000,
  factor: 2,
  jitter: true,
});

/**
 * The default retry policy of compensations: 6 attempts, 200 ms doubling to 10 s, with jitter.
 * More patient than actions, because a compensation that gives up needs a person.
 *
 * @example
 * ```ts
 * createSagaRunner({ sql, compensationRetry: { ...DEFAULT_SAGA_COMPENSATION_RETRY, maxTimeoutMs: 60_000 } });
 * ```
 */
export const DEFAULT_SAGA_COMPENSATION_RETRY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 6,
  minTimeoutMs: 200,
  maxTimeoutMs: 10_000,
  factor: 2,
  jitter: true,
});

/**
 * Validate runner options and apply defaults.
 *
 * @example
 * ```ts
 * const resolved = resolveRunnerOptions({ leaseMs: 9_000 }); // heartbeatMs 3 000, selfFenceAfterMs 6 000
 * ```
 */
export function resolveRunnerOptions(options: SagaRunnerOptions): Readonly<ResolvedRunnerOptions> {
  const { sql: _sql, store: _store, definitions: _definitions, logger, ...plain } = options;
  const parsed = schema.safeParse(plain);
  if (!parsed.success) {
    throw new ValidationError(
      'Saga runner options are invalid',
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  const o = parsed.data;
  let lease;
  try {
    lease = resolveLeaseTiming({ ttlMs: o.leaseMs, renewIntervalMs: o.heartbeatMs });
  } catch (err) {
    throw new ValidationError('Saga runner options are invalid', [
      { path: 'heartbeatMs', message: err instanceof Error ? err.message : String(err) },
    ]);
  }
  return Object.freeze({
    workerId: o.workerId ?? defaultLeaseOwner(),
    leaseMs: lease.ttlMs,
    heartbeatMs: lease.renewIntervalMs,
    selfFenceAfterMs: lease.selfFenceAfterMs,
    pollIntervalMs: o.pollIntervalMs ?? 1_000,
    concurrency: o.concurrency ?? 100,
    stepTimeoutMs: o.stepTimeoutMs ?? 30_000,
    outagePauseMs: o.outagePauseMs ?? 2_000,
    retry: resolveRetryPolicy(o.retry, DEFAULT_SAGA_STEP_RETRY),
    compensationRetry: resolveRetryPolicy(o.compensationRetry, DEFAULT_SAGA_COMPENSATION_RETRY),
    batchSize: o.batchSize ?? 500,
    writeFlushes: o.writeFlushes ?? 4,
    logger: resolveLogger(logger, 'the saga runner'),
  });
}
