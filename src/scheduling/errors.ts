/**
 * Errors of the scheduler. Each carries a stable `code` and the HTTP status a
 * route answers with, so a manual-trigger route needs no mapping of its own.
 */
import { SyncError } from '../core/errors.js';

/**
 * A schedule definition is unusable: a cron expression croner cannot parse, an
 * unknown time zone, an interval that is not a positive number of ms, a
 * duplicate or malformed name, a bad retry policy.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof InvalidScheduleError) console.error(err.schedule, err.message); }
 * ```
 */
export class InvalidScheduleError extends SyncError {
  readonly status = 400;
  /** The schedule's name, when it has one. */
  readonly schedule: string | undefined;
  constructor(schedule: string | undefined, message: string, options?: { cause?: unknown }) {
    super(
      'INVALID_SCHEDULE',
      schedule === undefined ? message : `Schedule "${schedule}": ${message}`,
      options,
    );
    this.schedule = schedule;
  }
}

/**
 * No schedule of that name is registered with the scheduler (a manual trigger
 * or a history read named an unknown one), or no run has that id.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ScheduleNotFoundError) reply(404); }
 * ```
 */
export class ScheduleNotFoundError extends SyncError {
  readonly status = 404;
  readonly schedule: string;
  constructor(schedule: string, message = `No schedule named "${schedule}"`) {
    super('SCHEDULE_NOT_FOUND', message);
    this.schedule = schedule;
  }
}

/**
 * True when `err` is an {@link InvalidScheduleError} or a {@link ScheduleNotFoundError}.
 *
 * @example
 * ```ts
 * if (isScheduleError(err)) return reply(err.status, err.message);
 * ```
 */
export function isScheduleError(err: unknown): err is InvalidScheduleError | ScheduleNotFoundError {
  return err instanceof InvalidScheduleError || err instanceof ScheduleNotFoundError;
}
