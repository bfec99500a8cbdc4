/**
 * The log itself: no event id stored twice, and every stream's versions are
 * exactly 1..n with the `streams` row at n, in log order (events are loaded
 * in the order readers get them: transaction id, then position).
 */
import { groupBy } from './group-by.js';
import { verdict, type InvariantResult } from './invariant.js';
import type { LogEvent, StreamRow } from './log-data.js';

/** Where in the run a write happened: seconds since it began, and the faults in progress. */
export type Locate = (epochMs: number) => { atS: number; duringFaults: string[] };

/**
 * Every event id appears once. With `locate`, each copy says when (in the run) it was written.
 *
 * @example
 * ```ts
 * checkEventIds(data.events).ok
 * ```
 */
export function checkEventIds(events: readonly LogEvent[], locate?: Locate): InvariantResult {
  const byId = groupBy(events, (e) => e.id);
  const violations = [...byId]
    .filter(([, copies]) => copies.length > 1)
    .map(([id, copies]) => ({
      problem: 'event_id_twice',
      id,
      stream: copies[0]!.streamId,
      type: copies[0]!.type,
      copies: copies.map((c) => ({
        version: c.version,
        transactionId: c.transactionId,
        position: c.position,
        ...locate?.(c.processedMs),
      })),
    }));
  return verdict(byId.size, violations);
}

/**
 * Per stream: versions 1..n, none missing, none repeated, read from the log in
 * version order, and `streams.version` = n.
 *
 * @example
 * ```ts
 * checkStreamVersions(data.events, data.streams).ok
 * ```
 */
export function checkStreamVersions(
  events: readonly LogEvent[],
  streams: readonly StreamRow[],
): InvariantResult {
  const versions = new Map(
    [...groupBy(events, (e) => e.streamId)].map(([k, list]) => [k, list.map((e) => e.version)]),
  );
  const heads = new Map(streams.map((s) => [s.streamId, s.version]));
  const violations: unknown[] = [];
  for (const [stream, list] of versions) {
    const sorted = [...list].sort((a, b) => a - b);
    const repeated = sorted.filter((v, i) => i > 0 && v === sorted[i - 1]);
    const present = new Set(sorted);
    const max = sorted.at(-1) ?? 0;
    const missing: number[] = [];
    for (let v = 1; v <= max; v++) if (!present.has(v)) missing.push(v);
    if (repeated.length > 0)
      violations.push({ problem: 'version_repeated', stream, versions: [...new Set(repeated)] });
    if (missing.length > 0)
      violations.push({ problem: 'version_gap', stream, missing: missing.slice(0, 20) });
    const inversion = list.findIndex((v, i) => i > 0 && v < list[i - 1]!);
    if (inversion > 0)
      violations.push({
        problem: 'version_out_of_log_order',
        stream,
        logOrder: list.slice(Math.max(0, inversion - 2), inversion + 2),
      });
    const head = heads.get(stream);
    if (head !== max)
      violations.push({ problem: 'head_mismatch', stream, streamsVersion: head ?? null, lastEvent: max });
  }
  for (const [stream, head] of heads) {
    if (head > 0 && !versions.has(stream))
      violations.push({ problem: 'head_without_events', stream, streamsVersion: head });
  }
  return verdict(new Set([...versions.keys(), ...heads.keys()]).size, violations);
}
