/**
 * Resume cursors bound to the subscription they were issued for. A cursor
 * says "this client's copy equals the server's rows of *this* subscription
 * at this checkpoint"; resumed under another channel, filter, tenant scope,
 * `select` or `events`, the rows that match only the new subscription and did
 * not change since would never be sent. So every cursor a transport hands out
 * carries a fingerprint of its subscription (src/core/resume-cursor.ts), and
 * a cursor presented for a different subscription — or without one (issued
 * before fingerprints existed: unverifiable) — gets a snapshot, never a
 * silent resume. A malformed cursor is passed on as it is (the hub answers it
 * as before). The fingerprint is deterministic (no per-process salt), so a
 * cursor from one host resumes on another; it is no secret: forging one only
 * lets a client spoil its own copy, never widen what it may see. Where the
 * hub knows the identity of its log, the fingerprint covers it too: a
 * position means nothing on another log (a fresh database that has passed it).
 */
import { createHash } from 'node:crypto';
import type { RowOperation } from '../core/row-change.js';
import type { Envelope } from '../core/envelope.js';
import { bindCheckpoint, splitResumeCursor } from '../core/resume-cursor.js';
import type { ParsedFilter } from './filter.js';
import type { MessageSink } from './types.js';

/** What decides a subscription's row set (and so what its cursor is valid for). */
export interface CursorSubject {
  channel: string;
  filter: ParsedFilter;
  /** Null: every tenant. */
  tenantIds: readonly string[] | null;
  /** Null: every column. */
  select: readonly string[] | null;
  events: readonly RowOperation[];
  /** The log the cursor's position belongs to (`EventStore.logIdentity()`); null or absent: unknown. */
  logIdentity?: string | null;
}

/**
 * A short, stable fingerprint of a subscription (10 hex digits of SHA-256 of its normalised form).
 *
 * @example
 * ```ts
 * subscriptionFingerprint({ channel: 'c', filter, tenantIds: ['t1'], select: null, events: ['INSERT'] })
 * // '3f9a0c12bd'
 * ```
 */
export function subscriptionFingerprint(subject: CursorSubject): string {
  const sorted = (list: readonly string[] | null) => (list === null ? null : [...new Set(list)].sort());
  const normalised = JSON.stringify([
    subject.channel,
    subject.filter.text,
    sorted(subject.tenantIds),
    sorted(subject.select),
    sorted(subject.events),
    // Only when known, so a hub without one hands out the fingerprints it always did.
    ...(subject.logIdentity ? [subject.logIdentity] : []),
  ]);
  return createHash('sha256').update(normalised).digest('hex').slice(0, 10);
}

/** How a presented cursor may be used: `resumeFrom` for the hub, or a snapshot because it belongs elsewhere. */
export type CursorCheck =
  | { resumeFrom: string | null; mismatch: null }
  | { resumeFrom: null; mismatch: 'cursor_mismatch' | 'cursor_unverified' };

/**
 * Check a presented cursor against the subscription's fingerprint.
 *
 * @example
 * ```ts
 * checkResumeCursor('812:40.3f9a0c12bd', '3f9a0c12bd') // { resumeFrom: '812:40', mismatch: null }
 * checkResumeCursor('812:40', '3f9a0c12bd') // { resumeFrom: null, mismatch: 'cursor_unverified' }
 * ```
 */
export function checkResumeCursor(cursor: string | null | undefined, fingerprint: string): CursorCheck {
  if (!cursor) return { resumeFrom: null, mismatch: null };
  const parts = splitResumeCursor(cursor);
  // Malformed: left to the hub's own handling of a cursor it cannot place.
  if (parts === null) return { resumeFrom: cursor, mismatch: null };
  if (parts.fingerprint === null) return { resumeFrom: null, mismatch: 'cursor_unverified' };
  if (parts.fingerprint !== fingerprint) return { resumeFrom: null, mismatch: 'cursor_mismatch' };
  return { resumeFrom: parts.checkpoint, mismatch: null };
}

/**
 * A sink that hands out cursors bound to `fingerprint` (every other field as is).
 *
 * @example
 * ```ts
 * hub internals: new HubSubscription(…, bindingSink(sink, fingerprint))
 * ```
 */
export function bindingSink(sink: MessageSink, fingerprint: string): MessageSink {
  const bound: MessageSink = {
    write: (envelope: Envelope) =>
      sink.write(
        envelope.cursor === null
          ? envelope
          : { ...envelope, cursor: bindCheckpoint(envelope.cursor, fingerprint) },
      ),
  };
  if (sink.close) bound.close = (error) => sink.close!(error);
  return bound;
}
