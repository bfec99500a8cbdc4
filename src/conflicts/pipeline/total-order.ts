/**
 * The one total order over contenders: source priority (higher first), trusted
 * clock before untrusted, HLC time (later first), source id, event id. Every
 * strategy sees contenders in this order, which is why arrival order never
 * matters.
 */
import { compareHlc } from '../../core/hlc.js';
import type { Contender } from '../types.js';

/**
 * Negative when `a` ranks before (beats) `b`. Total: only equal event ids compare equal.
 *
 * @example
 * ```ts
 * const ranked = [...contenders].sort(compareContenders); // ranked[0] wins last-write-wins
 * ```
 */
export function compareContenders(a: Contender, b: Contender): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.trusted !== b.trusted) return a.trusted ? -1 : 1;
  const byClock = compareHlc(b.hlc, a.hlc);
  if (byClock !== 0) return byClock;
  if (a.sourceId !== b.sourceId) return a.sourceId < b.sourceId ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Negative when `a` happened before `b` (trusted clocks first, then HLC time,
 * then the total order) — "the first successful shipment wins".
 *
 * @example
 * ```ts
 * const first = [...shipped].sort(compareEarliest)[0];
 * ```
 */
export function compareEarliest(a: Contender, b: Contender): number {
  if (a.trusted !== b.trusted) return a.trusted ? -1 : 1;
  const byClock = compareHlc(a.hlc, b.hlc);
  return byClock !== 0 ? byClock : compareContenders(a, b);
}
