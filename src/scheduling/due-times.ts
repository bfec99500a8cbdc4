/**
 * When a schedule is due: a cron expression in a time zone (croner parses and
 * steps it — the only file that imports croner) or a fixed interval anchored
 * at the Unix epoch. Due times are a pure function of the definition, so
 * every host computes the same ones and a due time names one run everywhere.
 */
import { Cron } from 'croner';
import { InvalidScheduleError } from './errors.js';

/** The due times of one schedule. */
export interface DueTimes {
  /** The first due time strictly after `after` (ms since the epoch), or null when there is none. */
  next(after: number): number | null;
  /** The latest `n` due times at or before `upTo`, oldest first. */
  previous(upTo: number, n: number): number[];
}

/** Cron expressions with more occurrences than this between two looks are counted as "this many". */
export const MAX_COUNTED_DUE_TIMES = 10_000;

/**
 * The due times of a cron expression (5 fields, or 6 with seconds first) in
 * an IANA time zone; throws {@link InvalidScheduleError} on a bad expression
 * or zone.
 *
 * @example
 * ```ts
 * cronDueTimes('monthly', '0 3 1 * *', 'Europe/Berlin').next(Date.parse('2026-01-15T00:00:00Z')); // 1 Feb 02:00 UTC
 * ```
 */
export function cronDueTimes(schedule: string, expression: string, timeZone: string): DueTimes {
  checkTimeZone(schedule, timeZone);
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone: timeZone, mode: '5-or-6-parts' });
  } catch (err) {
    throw new InvalidScheduleError(
      schedule,
      `cron expression "${expression}" is invalid: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  if (cron.nextRun(new Date(0)) === null) {
    throw new InvalidScheduleError(schedule, `cron expression "${expression}" never fires`);
  }
  return {
    next(after) {
      return cron.nextRun(new Date(after))?.getTime() ?? null;
    },
    previous(upTo, n) {
      return cron
        .previousRuns(n, new Date(upTo + 1))
        .map((d) => d.getTime())
        .reverse();
    },
  };
}

/**
 * The due times of a fixed interval: every multiple of `everyMs` since the
 * epoch (every 5 minutes is :00, :05, … UTC on every host).
 *
 * @example
 * ```ts
 * intervalDueTimes('sync', 300_000).next(Date.parse('2026-01-01T00:01:00Z')); // 00:05:00
 * ```
 */
export function intervalDueTimes(schedule: string, everyMs: number): DueTimes {
  if (!Number.isSafeInteger(everyMs) || everyMs < 1) {
    throw new InvalidScheduleError(schedule, `every must be a positive whole number of ms, got ${everyMs}`);
  }
  return {
    next(after) {
      return (Math.floor(after / everyMs) + 1) * everyMs;
    },
    previous(upTo, n) {
      const last = Math.floor(upTo / everyMs);
      // From the epoch at the earliest: fewer than n due times lie before upTo when it is near it.
      const first = Math.max(0, last - n + 1);
      return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => (first + i) * everyMs);
    },
  };
}

/** Due times in `(after, upTo]`: how many (counted up to a bound) and the latest `keep` of them, oldest first. */
export interface DueWindow {
  total: number;
  latest: number[];
}

/**
 * The due times of `times` after `after` and at or before `upTo`.
 *
 * @example
 * ```ts
 * dueBetween(intervalDueTimes('s', 1000), 0, 10_500, 3); // { total: 10, latest: [8000, 9000, 10000] }
 * ```
 */
export function dueBetween(times: DueTimes, after: number, upTo: number, keep: number): DueWindow {
  const latest: number[] = [];
  let total = 0;
  let at = times.next(after);
  while (at !== null && at <= upTo && total < MAX_COUNTED_DUE_TIMES) {
    total++;
    latest.push(at);
    if (latest.length > keep) latest.shift();
    at = times.next(at);
  }
  // Too many to count (a long outage of a frequent schedule): the latest are read backwards.
  if (at !== null && at <= upTo)
    return { total, latest: times.previous(upTo, keep).filter((t) => t > after) };
  return { total, latest };
}

function checkTimeZone(schedule: string, timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch (err) {
    throw new InvalidScheduleError(schedule, `time zone "${timeZone}" is not an IANA zone`, { cause: err });
  }
}
