/**
 * Times a webhook reports (a carrier's scan time, TikTok's `update_time`).
 * They are facts about the sender and stay in the event's payload; the log's
 * own time (`occurredAt`) is the store's clock when the webhook is received,
 * because it picks the monthly partition and archival works on it.
 */
import { z } from 'zod';
import { IngestError } from './errors.js';

/** How far a reported time may lie from the receive time. */
export interface SourceTimeBounds {
  /** How old it may be, in seconds. */
  maxAgeSeconds: number;
  /** How far ahead it may be (clock skew), in seconds. */
  maxAheadSeconds: number;
}

/**
 * Default bounds: 30 days back (late carrier scans, TikTok's 72 h
 * redeliveries), one hour ahead.
 *
 * @example
 * ```ts
 * createShippingWebhookHandler({ store, providers, sourceTimeBounds: { ...DEFAULT_SOURCE_TIME_BOUNDS, maxAgeSeconds: 86_400 } });
 * ```
 */
export const DEFAULT_SOURCE_TIME_BOUNDS: Readonly<SourceTimeBounds> = Object.freeze({
  maxAgeSeconds: 30 * 86_400,
  maxAheadSeconds: 3600,
});

/**
 * Validates {@link SourceTimeBounds} in receiver options.
 *
 * @example
 * ```ts
 * sourceTimeBoundsSchema.parse({ maxAgeSeconds: 86_400, maxAheadSeconds: 60 });
 * ```
 */
export const sourceTimeBoundsSchema = z.object({
  maxAgeSeconds: z.number().min(0),
  maxAheadSeconds: z.number().min(0),
});

/**
 * Refuse a reported time outside the bounds around `nowMs` with
 * `TIMESTAMP_OUT_OF_RANGE` (400): year 1 or 9999 is no carrier's scan.
 *
 * @example
 * ```ts
 * assertSourceTime(Date.parse(update.occurred_at), Date.now(), DEFAULT_SOURCE_TIME_BOUNDS, 'data.occurred_at');
 * ```
 */
export function assertSourceTime(ms: number, nowMs: number, bounds: SourceTimeBounds, field: string): void {
  const ageSeconds = (nowMs - ms) / 1000;
  if (Number.isFinite(ms) && ageSeconds <= bounds.maxAgeSeconds && -ageSeconds <= bounds.maxAheadSeconds)
    return;
  // Date covers ±8.64e15 ms; beyond that toISOString throws.
  const when = Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
  throw new IngestError(
    'TIMESTAMP_OUT_OF_RANGE',
    `${field} (${when}) is more than ${bounds.maxAgeSeconds} s before or ${bounds.maxAheadSeconds} s after the time it was received`,
  );
}
