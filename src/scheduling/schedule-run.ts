/**
 * A run of a schedule as kept in its history, and the port that keeps them
 * (`sqlScheduleStorage` on PostgreSQL and PGlite, `memoryScheduleStorage`
 * with the in-memory store).
 */
import type { ScheduleTrigger } from './schedule-definition.js';

/**
 * Where a run is: `pending` (asked for by hand, not started), `running`,
 * `succeeded`, `failed` (every attempt failed), `skipped` (missed due times
 * passed over by the `'skip'` policy; `skipped` says how many).
 */
export const SCHEDULE_RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped'] as const;
/** One of {@link SCHEDULE_RUN_STATUSES}. */
export type ScheduleRunStatus = (typeof SCHEDULE_RUN_STATUSES)[number];

/** Why a run failed, as stored. */
export interface ScheduleRunError {
  message: string;
  code?: string;
}

/** One run in a schedule's history. */
export interface ScheduleRun {
  readonly id: string;
  readonly schedule: string;
  readonly trigger: ScheduleTrigger;
  /** The due time it stands for; for a manual run, when it was asked for. */
  readonly dueAt: Date;
  readonly status: ScheduleRunStatus;
  /** Attempts started so far. */
  readonly attempts: number;
  /** Earlier due times this run passed over (missed-run policy). */
  readonly skipped: number;
  /** The lease owner (host) running or last running it. */
  readonly owner: string | null;
  /** A manual run's idempotency key. */
  readonly key: string | null;
  readonly requestedBy: string | null;
  readonly error: ScheduleRunError | null;
  /** The job's return value (JSON), when it gave one. */
  readonly result: unknown;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/**
 * True for the statuses a run never leaves.
 *
 * @example
 * ```ts
 * if (isFinished(await scheduler.run(runId))) showResult();
 * ```
 */
export function isFinished(run: Pick<ScheduleRun, 'status'>): boolean {
  return run.status === 'succeeded' || run.status === 'failed' || run.status === 'skipped';
}

/** A due time claimed by the scheduler's leader. */
export interface ClaimDue {
  schedule: string;
  dueAt: number;
  owner: string;
  /** Earlier due times passed over by this claim. */
  skipped: number;
  /** `'running'` to run it now; `'skipped'` to record the due times passed over without running. */
  status: 'running' | 'skipped';
}

/** A manual run asked for. */
export interface RequestRun {
  schedule: string;
  at: number;
  /** Idempotency key: asking twice with one key gives the first run. */
  key?: string | undefined;
  requestedBy?: string | undefined;
}

/** How a run ended. */
export interface RunOutcome {
  status: 'succeeded' | 'failed';
  attempts: number;
  error?: ScheduleRunError | undefined;
  result?: unknown;
}

/**
 * Where runs are kept. Every write that changes a running row is fenced on
 * its owner, so a host that lost the lease cannot overwrite its successor.
 *
 * @example
 * ```ts
 * const storage: ScheduleStorage = sqlScheduleStorage(sql, 'creatorflow');
 * await storage.migrate();
 * const run = await storage.claimDue({ schedule: 'sync', dueAt: Date.now(), owner, skipped: 0, status: 'running' });
 * ```
 */
export interface ScheduleStorage {
  /** Create the tables (no-op in memory). */
  migrate(): Promise<void>;
  /** The newest due time recorded for a schedule (its scheduled runs only), or null. */
  lastDue(schedule: string): Promise<number | null>;
  /** Record a due time once: null when a row for it exists already (someone else claimed it). */
  claimDue(claim: ClaimDue): Promise<ScheduleRun | null>;
  /** Add a pending manual run, or return the run already asked for with the same key. */
  request(request: RequestRun): Promise<ScheduleRun>;
  /** Which of `schedules` have pending manual runs. */
  pendingSchedules(schedules: readonly string[]): Promise<string[]>;
  /** Start the oldest pending manual run of a schedule under `owner`. */
  claimPending(schedule: string, owner: string): Promise<ScheduleRun | null>;
  /** Runs of `schedules` left `running` (by a host that died or lost the lease). */
  running(schedules: readonly string[]): Promise<ScheduleRun[]>;
  /** Take a running run over from `from` (its previous owner); null when someone else did. */
  takeOver(runId: string, from: string | null, owner: string): Promise<ScheduleRun | null>;
  /** Record a started attempt (and the previous attempt's error); false when `owner` no longer holds the run. */
  recordAttempt(
    runId: string,
    owner: string,
    attempts: number,
    error: ScheduleRunError | null,
  ): Promise<boolean>;
  /** Finish a run; false when `owner` no longer holds it. */
  finish(runId: string, owner: string, outcome: RunOutcome): Promise<boolean>;
  get(runId: string): Promise<ScheduleRun | null>;
  /** Newest first. */
  history(schedule: string, limit: number): Promise<ScheduleRun[]>;
  /** Delete finished runs of a schedule beyond the newest `keep`. */
  prune(schedule: string, keep: number): Promise<void>;
}
