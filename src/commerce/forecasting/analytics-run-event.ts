/**
 * The analytics run as the fold reads it from its `analytics.run_completed`
 * event: the instant, the day and the recorded inputs.
 */
import type { StoredEvent } from '../../store/types.js';
import type { EventPayload } from '../events/catalog.js';
import { utcDay } from '../metrics/revenue.js';
import type { AnalyticsRunSettings } from './product-forecast-run.js';

/** The event type of a run. */
export const ANALYTICS_RUN_EVENT = 'analytics.run_completed';

/** A run, as folded. */
export interface FoldedAnalyticsRun {
  /** The event's id: which run a row was last computed by. */
  runId: string;
  creatorId: string;
  /** The run's UTC day. */
  today: string;
  /** The run's instant, ISO in UTC (the rows' `updated_at`). */
  stamp: string;
  settings: AnalyticsRunSettings;
  mentions: ReadonlyMap<string, { fromDate: string; daily: readonly number[] }>;
}

/**
 * The run an `analytics.run_completed` event records.
 *
 * @example
 * ```ts
 * const run = analyticsRunOf(event); // { runId, creatorId, today: '2026-11-10', stamp, settings, mentions }
 * ```
 */
export function analyticsRunOf(event: StoredEvent): FoldedAnalyticsRun {
  const d = event.data as EventPayload<'analytics.run_completed'>;
  const ms = Date.parse(d.asOf);
  return {
    runId: event.id,
    creatorId: d.creatorId,
    today: utcDay(ms),
    stamp: new Date(ms).toISOString(),
    settings: { leadTimeDays: d.leadTimeDays, serviceLevel: d.serviceLevel, historyDays: d.historyDays },
    mentions: new Map((d.mentions ?? []).map((m) => [m.productId, { fromDate: m.fromDate, daily: m.daily }])),
  };
}
