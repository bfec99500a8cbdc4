/**
 * The conflict events in summary form (`ConflictResolverOptions.eventDetail:
 * 'summary'`). A conflict of many contenders from a few sources — twenty stock
 * figures from four sources in one window — lists every contender in its
 * detected event and repeats every value in its escalation's markers: about
 * 5.5 kB of JSON for the log, written, parsed into jsonb, compressed and read
 * back by every follower, while the audit row (by `conflictId`) keeps all of
 * it. The summary keeps the same shape, so readers of either form read both:
 * the detected event names the first contender of each source (in the
 * resolution's order) and how many there were (`contenderCount`); each field's
 * markers keep the first of each distinct source and value.
 */
import type { ConflictMarker } from '../types.js';
import type { ConflictDetectedData, ConflictEscalatedData } from './events.js';
import { ownPayload } from './own-payloads.js';

/**
 * How much of a conflict its events carry: `'full'` (every contender, every
 * marker) or `'summary'` (one contender per source with `contenderCount`, one
 * marker per source and value); the audit record is whole either way.
 *
 * @example
 * ```ts
 * new ConflictResolver({ store, eventDetail: 'summary' });
 * ```
 */
export type ConflictEventDetail = 'full' | 'summary';

/**
 * A detected event's payload with one contender per source and the count of all.
 *
 * @example
 * ```ts
 * summariseDetected(data).contenders.length; // the number of distinct sources
 * ```
 */
export function summariseDetected(data: ConflictDetectedData): ConflictDetectedData {
  const seen = new Set<string>();
  const contenders = data.contenders.filter((c) => !seen.has(c.source) && seen.add(c.source));
  return ownPayload({ ...data, contenders, contenderCount: data.contenders.length });
}

/**
 * An escalated event's payload with, per field, one marker per distinct source and value.
 *
 * @example
 * ```ts
 * summariseEscalated(data).markers.quantity; // [{ eventId, source: 'tiktok_webhook', value: 7 }, …]
 * ```
 */
export function summariseEscalated(data: ConflictEscalatedData): ConflictEscalatedData {
  const markers: Record<string, ConflictMarker[]> = {};
  for (const [field, list] of Object.entries(data.markers)) {
    const seen = new Set<string>();
    markers[field] = list.filter((m) => {
      const key = JSON.stringify([m.source, 'value' in m, m.value, 'delta' in m, m.delta]);
      return !seen.has(key) && seen.add(key);
    });
  }
  return ownPayload({ ...data, markers });
}
