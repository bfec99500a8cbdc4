/**
 * Public shapes of the realtime hub: requests, authorisation, sinks, snapshots.
 */
import type { Row, RowOperation } from '../core/row-change.js';
import type { SyncError } from '../core/errors.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { ChannelDefinition } from './channels.js';
import type { Envelope } from '../core/envelope.js';
import type { ParsedFilter } from './filter.js';

export type { Authorization } from '../core/authorization.js';

/** What a client asks for. */
export interface SubscriptionRequest {
  /** Channel (read-model table) name. */
  channel: string;
  /** PostgREST-style filter, e.g. `status=eq.critical AND stock=lt.10`. */
  filter?: string | undefined;
  /** Operations to receive; all when absent. */
  events?: readonly RowOperation[] | undefined;
  /** At most one message per this many ms; never below the channel's throttle (its default). */
  throttleMs?: number | undefined;
  /** Resume after this cursor; a snapshot (`reset`) when absent or too old. */
  cursor?: LogCheckpoint | null | undefined;
  /**
   * Columns to receive (`select=col1,col2`): deltas and reset rows carry only
   * these plus the key columns. All columns when absent. A column the channel
   * does not have is an `InvalidSelectError` (`INVALID_SELECT`, 400).
   */
  select?: readonly string[] | undefined;
}

/**
 * Where a subscription's messages go (a transport connection).
 * `write` returns false when the connection is backed up; the subscription
 * then queues (bounded) until `drained()` is called.
 */
export interface MessageSink {
  write(envelope: Envelope): boolean;
  /** The hub ends the subscription (hub closed, snapshot failed). */
  close?(error?: SyncError): void;
}

/** A snapshot of the rows a subscription may see and the log position they reflect. */
export interface Snapshot {
  rows: Row[];
  /** Checkpoint of the last event reflected in `rows`. */
  checkpoint: LogCheckpoint;
}

/**
 * Reads a fresh snapshot for a subscription (filled by the host/projection layer).
 * The optional `position` reads only the log position the channel's read model
 * reflects now: the hub asks it when a client resumes from a cursor this
 * process has not seen yet (handed out by another host, or by another database).
 * Without it, such a resume always gets a snapshot.
 *
 * @example
 * ```ts
 * const snapshot: SnapshotPort = createSqlSnapshot(sql, { schema: 'app', checkpoint: readProcessorCheckpoint('app', 'dashboard') });
 * ```
 */
export interface SnapshotPort {
  /**
   * `tenantIds`: return only rows of these tenants (the channel's
   * `tenantColumn`); `null` for every tenant (an admin's cross-tenant
   * subscription, already written to the access audit).
   * `select` (when the subscription narrowed its columns): the port may read
   * only the key, tenant and filter columns plus these, and should refuse a
   * column the table lacks with `InvalidSelectError`.
   */
  (
    channel: ChannelDefinition,
    filter: ParsedFilter,
    tenantIds: readonly string[] | null,
    select?: readonly string[],
  ): Promise<Snapshot>;
  /** The newest log position the channel's read model reflects (no rows read). */
  position?(channel: ChannelDefinition): Promise<LogCheckpoint>;
}

/** Bounds of one subscriber's outgoing queue. */
export interface SubscriberBufferLimits {
  /** Queued messages before queued deltas are conflated by key. Default 64. */
  maxMessages?: number;
  /** Distinct keys a conflated queue may hold before the subscriber gets a `reset`. Default 10,000. */
  maxDeltas?: number;
}
