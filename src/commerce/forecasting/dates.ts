/**
 * Calendar days as `YYYY-MM-DD` strings (UTC), the unit of daily demand.
 */
import { ForecastInputError } from './errors.js';

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Milliseconds of a `YYYY-MM-DD` date at UTC midnight; throws on a malformed date. */
export function dateMs(field: string, date: string): number {
  const ms = DATE.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new ForecastInputError(field, `expected a YYYY-MM-DD date, got ${JSON.stringify(date)}`);
  }
  return ms;
}

/**
 * The date `days` after `date`.
 *
 * @example
 * ```ts
 * addDays('2026-12-31', 1) // '2027-01-01'
 * ```
 */
export function addDays(date: string, days: number): string {
  return new Date(dateMs('date', date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return Math.round((dateMs('date', to) - dateMs('date', from)) / DAY_MS);
}

/** Weekday names, in `Date.getUTCDay()` order. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** One of {@link WEEKDAYS}. */
export type Weekday = (typeof WEEKDAYS)[number];

/** The weekday of a date. */
export function weekdayOf(date: string): Weekday {
  return WEEKDAYS[new Date(dateMs('date', date)).getUTCDay()]!;
}
