/**
 * A named schedule: when it is due (an interval or a cron expression in a
 * time zone), what happens to due times missed while no host ran it, how a
 * failing run is retried, and the job itself. Checked once, then frozen.
 */
import { resolveRetryPolicy, type RetryPolicy, type RetryPolicyInput } from '../runtime/retry-policy.js';
import { cronDueTimes, intervalDueTimes, type DueTimes } from './due-times.js';
import { InvalidScheduleError } from './errors.js';

/**
 * What to do with due times that passed while no host ran the schedule
 * (downtime, a run that outlasted its interval): `'latest'` runs only the
 * latest of them, `'catch_up'` runs each in order (at most `maxCatchUp`),
 * `'skip'` runs none and waits for the next due time. A due time seen within
 * `graceMs` is on time and always runs.
 */
export const MISSED_RUN_POLICIES = ['latest', 'catch_up', 'skip'] as const;
/** One of {@link MISSED_RUN_POLICIES}. */
export type MissedRunPolicy = (typeof MISSED_RUN_POLICIES)[number];

/** Why a run happens: its due time came, or someone asked (`trigger`). */
export type ScheduleTrigger = 'schedule' | 'manual';

/** What a job receives. */
export interface ScheduleRunContext {
  /** The schedule's name. */
  readonly schedule: string;
  /** The run's id in the history. */
  readonly runId: string;
  /** The due time this run stands for (for a manual run, when it was asked for). */
  readonly dueAt: Date;
  readonly trigger: ScheduleTrigger;
  /** Who asked for a manual run (`trigger(name, { requestedBy })`); null for a due run. */
  readonly requestedBy: string | null;
  /** 1-based attempt number (retries and a run taken over after a host died count on). */
  readonly attempt: number;
  /**
   * Aborted when this host loses the scheduler's lease, the scheduler stops,
   * or the attempt times out: stop then, the run is finished elsewhere.
   */
  readonly signal: AbortSignal;
}

/**
 * A schedule as written by a host. Give exactly one of `every` and `cron`.
 *
 * @example
 * ```ts
 * const nightly: ScheduleDefinition = {
 *   name: 'nightly-report',
 *   cron: '0 2 * * *',
 *   timeZone: 'Europe/Berlin',
 *   missed: 'latest',
 *   retry: { attempts: 3 },
 *   run: async ({ dueAt, signal }) => sendReport(dueAt, { signal }),
 * };
 * ```
 */
export interface ScheduleDefinition {
  /** Unique name: lowercase letters, digits, `-`, `_`, `.`, `:` (at most 100). */
  name: string;
  /** Due every this many ms, on multiples of it since the epoch. */
  every?: number | undefined;
  /** A cron expression: 5 fields, or 6 with seconds first (croner's syntax, e.g. `'0 3 1 * *'`). */
  cron?: string | undefined;
  /** IANA time zone the cron expression is read in. Default `'UTC'`. */
  timeZone?: string | undefined;
  /** Due times missed while nobody ran the schedule. Default `'latest'`. */
  missed?: MissedRunPolicy | undefined;
  /** A due time at most this old when first seen is on time, whatever `missed` says. Default 60 000 ms. */
  graceMs?: number | undefined;
  /** With `missed: 'catch_up'`, run at most this many missed due times (the latest). Default 100. */
  maxCatchUp?: number | undefined;
  /** Retries of a failing run (the library's `RetryPolicy`). Default 3 attempts, 1 s doubling to 1 min. */
  retry?: RetryPolicyInput | undefined;
  /** Abandon an attempt after this long (its signal aborts, it counts as failed). Default: no limit. */
  timeoutMs?: number | undefined;
  /** The job. Its JSON-serialisable return value is kept in the run's history. */
  run: (context: ScheduleRunContext) => unknown;
}

/** A checked schedule. */
export interface ResolvedSchedule {
  readonly name: string;
  readonly due: DueTimes;
  /** `'every 300000 ms'` or `'cron 0 3 1 * * (UTC)'`, for logs and the history API. */
  readonly describe: string;
  readonly missed: MissedRunPolicy;
  readonly graceMs: number;
  readonly maxCatchUp: number;
  readonly retry: Readonly<RetryPolicy>;
  readonly timeoutMs: number | undefined;
  readonly run: ScheduleDefinition['run'];
}

/** The retry policy of scheduled jobs when a schedule gives none. */
export const SCHEDULE_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 3,
  minTimeoutMs: 1_000,
  maxTimeoutMs: 60_000,
  factor: 2,
  jitter: true,
});

const NAME = /^[a-z0-9][a-z0-9_.:-]{0,99}$/;

/**
 * Check a schedule and freeze it; throws {@link InvalidScheduleError} on a bad one.
 *
 * @example
 * ```ts
 * const s = resolveSchedule({ name: 'sync', every: 300_000, run: () => sync() });
 * s.due.next(Date.now()); // the next multiple of 5 minutes
 * ```
 */
export function resolveSchedule(definition: ScheduleDefinition): ResolvedSchedule {
  const name = definition.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidScheduleError(
      undefined,
      `schedule name ${JSON.stringify(name)} must match ${NAME.source} (lowercase, digits, - _ . :)`,
    );
  }
  if (typeof definition.run !== 'function') throw new InvalidScheduleError(name, 'run must be a function');
  const hasEvery = definition.every !== undefined;
  const hasCron = definition.cron !== undefined;
  if (hasEvery === hasCron) throw new InvalidScheduleError(name, 'give exactly one of every and cron');
  if (hasEvery && definition.timeZone !== undefined) {
    throw new InvalidScheduleError(name, 'timeZone applies to cron schedules only');
  }
  const timeZone = definition.timeZone ?? 'UTC';
  const due = hasCron
    ? cronDueTimes(name, definition.cron!, timeZone)
    : intervalDueTimes(name, definition.every!);
  const missed = definition.missed ?? 'latest';
  if (!MISSED_RUN_POLICIES.includes(missed)) {
    throw new InvalidScheduleError(name, `missed must be one of ${MISSED_RUN_POLICIES.join(', ')}`);
  }
  const graceMs = nonNegative(name, 'graceMs', definition.graceMs ?? 60_000);
  const maxCatchUp = definition.maxCatchUp ?? 100;
  if (!Number.isInteger(maxCatchUp) || maxCatchUp < 1 || maxCatchUp > 10_000) {
    throw new InvalidScheduleError(
      name,
      `maxCatchUp must be a whole number from 1 to 10000, got ${maxCatchUp}`,
    );
  }
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) {
    throw new InvalidScheduleError(name, `timeoutMs must be positive, got ${definition.timeoutMs}`);
  }
  let retry: Readonly<RetryPolicy>;
  try {
    retry = resolveRetryPolicy(definition.retry, SCHEDULE_RETRY_POLICY);
  } catch (err) {
    throw new InvalidScheduleError(name, 'retry policy is invalid', { cause: err });
  }
  return Object.freeze({
    name,
    due,
    describe: hasCron ? `cron ${definition.cron} (${timeZone})` : `every ${definition.every} ms`,
    missed,
    graceMs,
    maxCatchUp,
    retry,
    timeoutMs: definition.timeoutMs,
    run: definition.run,
  });
}

function nonNegative(schedule: string, field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidScheduleError(schedule, `${field} must be a non-negative number of ms, got ${value}`);
  }
  return value;
}
