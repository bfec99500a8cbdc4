/**
 * The typed lifecycle events of a scheduler (eventemitter3 event map).
 */
import type { LeaseLostReason } from '../runtime/errors.js';
import type { ScheduleRun } from './schedule-run.js';

/**
 * Events a scheduler emits. Background failures (the database unreachable, a
 * listener throwing) arrive as `'error'` and are logged, never thrown.
 *
 * @example
 * ```ts
 * scheduler.on('schedule:run_failed', ({ run, error }) => alert(run.schedule, error));
 * ```
 */
export interface SchedulerEventMap {
  /** This host took the scheduler's lease: it runs every schedule until it loses it. */
  'scheduler:lease_acquired': [info: { owner: string }];
  /** This host lost the lease; its running jobs' signals are aborted and another host takes them over. */
  'scheduler:lease_lost': [info: { owner: string; reason: LeaseLostReason }];
  /** A run started here (a due time, a manual trigger, or a run taken over from a host that died). */
  'schedule:run_started': [info: { run: ScheduleRun }];
  'schedule:run_succeeded': [
    info: { run: ScheduleRun; result: unknown; attempts: number; durationMs: number },
  ];
  /** Every attempt failed. */
  'schedule:run_failed': [info: { run: ScheduleRun; error: unknown; attempts: number; durationMs: number }];
  /** An attempt failed and another follows after the retry policy's delay. */
  'schedule:retry': [info: { run: ScheduleRun; error: unknown; attempt: number }];
  /** `count` due times passed over by the missed-run policy, none later than `through`. */
  'schedule:skipped': [info: { schedule: string; count: number; through: Date }];
  error: [error: unknown];
}
