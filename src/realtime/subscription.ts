/**
 * One subscriber of a channel: pins its position (replay or snapshot), turns
 * folded changes into its own deltas (filter, tenancy, enter/leave), throttles
 * them, and queues them for a possibly slow connection with bounded memory.
 */
import { type SchedulerLike, Subject, type Subscription, interval } from 'rxjs';
import type { Row, RowOperation } from '../core/row-change.js';
import type { SyncError } from '../core/errors.js';
import { type LogCheckpoint, compareCheckpoints, isCheckpoint } from '../core/checkpoint.js';
import { type ChannelDefinition, keyIdOf } from './channels.js';
import type { ChannelLog } from './channel-log.js';
import { type Delta, type DeltaTuple, diffRows, fromTuple, mergeDeltas, toTuple } from '../core/delta.js';
import type { Envelope } from '../core/envelope.js';
import { type ParsedFilter, matchesFilter } from './filter.js';
import type { ChangeBatch, FoldedChange } from './fold.js';
import { type DeltaBatch, mergeDeltaBatches, throttleBatches } from './operators.js';
import type { MessageSink, Snapshot } from './types.js';
import { InvalidFilterError, InvalidSelectError, SnapshotError } from './errors.js';
import { selectFields } from './select.js';

/** Snapshots in a row that may be older than the replay buffer before the subscription gives up. */
const MAX_STALE_SNAPSHOTS = 3;
const STALE_MESSAGE = 'the snapshot source lags further behind than the replay buffer reaches';

/** What a subscription needs from its hub. */
export interface SubscriptionContext {
  channel: ChannelDefinition;
  log: ChannelLog;
  scheduler: SchedulerLike;
  now: () => number;
  heartbeatMs: number;
  maxMessages: number;
  maxDeltas: number;
  snapshot: () => Promise<Snapshot>;
  /** The log position the read model reflects now (see `SnapshotPort.position`). */
  position?: () => Promise<LogCheckpoint>;
  onReset: (reason: ResetReason) => void;
  onClose: () => void;
  /** A failure that ended this subscription without reaching the client (a broken connection). */
  onError: (error: unknown) => void;
}

/**
 * Why a subscriber got a snapshot. `cursor_ahead`: the resume cursor is past
 * every position this server knows (a cursor from another database instance,
 * e.g. after a restart on a fresh or restored database, or made up).
 * `cursor_mismatch`: the cursor was issued for another subscription (channel,
 * filter, scope, `select` or `events`); `cursor_unverified`: it carries no
 * subscription fingerprint (issued before they existed). See cursor-binding.ts.
 */
export type ResetReason =
  | 'initial'
  | 'cursor_too_old'
  | 'cursor_ahead'
  | 'cursor_mismatch'
  | 'cursor_unverified'
  | 'slow_consumer'
  | 'invalidated';

type State = 'pinning' | 'live' | 'stalled' | 'closed';

/** Internal subscriber; the hub hands out a {@link RealtimeSubscription} view of it. */
export class HubSubscription {
  readonly id: string;
  readonly userId: string;
  readonly #ctx: SubscriptionContext;
  readonly #filter: ParsedFilter;
  /** Null: every tenant (an admin's audited cross-tenant subscription). */
  readonly #tenantIds: ReadonlySet<string> | null;
  readonly #events: ReadonlySet<RowOperation>;
  readonly #throttleMs: number;
  readonly #sink: MessageSink;
  /** `select`: the columns sent (key columns plus the selected ones); null = every column. */
  readonly #keep: ReadonlySet<string> | null;
  #state: State = 'pinning';
  #position: LogCheckpoint | null = null;
  #delivered: LogCheckpoint | null = null;
  #current: FoldedChange[] = [];
  #pending: ChangeBatch[] = [];
  #pendingChanges = 0;
  #pendingOverflow = false;
  #throttleIn: Subject<DeltaBatch> | null = null;
  #throttleSub: Subscription | null = null;
  #throttledCursor: LogCheckpoint | null = null;
  #outbox: Envelope[] = [];
  #blocked = false;
  #heartbeat: Subscription | null = null;
  #wantsAll = true;
  /** Bumped by every pinning attempt, so a late answer to an earlier one is ignored. */
  #attempt = 0;
  /** Snapshots in a row older than the replay buffer reaches. */
  #staleSnapshots = 0;

  constructor(
    id: string,
    userId: string,
    ctx: SubscriptionContext,
    filter: ParsedFilter,
    tenantIds: readonly string[] | null,
    events: readonly RowOperation[],
    throttleMs: number,
    sink: MessageSink,
    select?: readonly string[],
  ) {
    this.id = id;
    this.userId = userId;
    this.#ctx = ctx;
    this.#filter = filter;
    this.#tenantIds = tenantIds === null ? null : new Set(tenantIds);
    this.#events = new Set(events);
    this.#throttleMs = throttleMs;
    this.#sink = sink;
    this.#keep = select ? new Set([...ctx.channel.keyColumns, ...select]) : null;
  }

  /** Name of the subscription's channel. */
  get channelName(): string {
    return this.#ctx.channel.name;
  }

  /** `pinning` until the first `ready`, then `live`; `stalled` while a slow consumer waits for its reset. */
  get state(): State {
    return this.#state;
  }

  /**
   * True while the position may fall inside a fold (pinning, or just after a
   * snapshot or a resume): the hub then offers every change of a batch, not only
   * the index's candidates, because a row's state at the position is unknown.
   */
  get wantsAll(): boolean {
    return this.#wantsAll;
  }

  /** Messages waiting for the connection. */
  get queued(): number {
    return this.#outbox.length;
  }

  /**
   * Start: resume from `cursor` when the buffer covers it, else load a snapshot.
   * A cursor past everything this process has seen is only resumed once the
   * read model is known to be at or past it (another host handed it out);
   * otherwise it describes rows this database never had, and gets a snapshot.
   * `unusable`: the reason of the snapshot when a cursor was presented but refused (no `cursor` then).
   */
  start(cursor: LogCheckpoint | null | undefined, unusable?: ResetReason): void {
    if (this.#ctx.heartbeatMs > 0) {
      this.#heartbeat = interval(this.#ctx.heartbeatMs, this.#ctx.scheduler).subscribe(() =>
        this.#sendHeartbeat(),
      );
    }
    const log = this.#ctx.log;
    if (!cursor) this.#resync(unusable ?? 'initial');
    else if (log.knows(cursor)) {
      if (log.covers(cursor)) this.#resume(cursor);
      else this.#resync('cursor_too_old');
    } else if (!isCheckpoint(cursor)) this.#resync('cursor_too_old');
    else if (!this.#ctx.position) this.#resync('cursor_ahead');
    else this.#checkAhead(cursor, this.#ctx.position);
  }

  /** Ask the read model whether it has reached `cursor`; meanwhile changes are kept as while pinning. */
  #checkAhead(cursor: LogCheckpoint, position: () => Promise<LogCheckpoint>): void {
    const attempt = ++this.#attempt;
    call(position).then(
      (reached) => {
        if (attempt !== this.#attempt || this.#state !== 'pinning') return;
        if (compareCheckpoints(cursor, reached) > 0) this.#resync('cursor_ahead');
        // Everything after the buffer's floor reaches it, including what is still in flight to this process.
        else if (this.#ctx.log.covers(cursor)) this.#resume(cursor);
        else this.#resync('cursor_too_old');
      },
      () => {
        if (attempt === this.#attempt && this.#state === 'pinning') this.#resync('cursor_ahead');
      },
    );
  }

  /** Go live at `cursor` with what the buffer holds after it (unfiltered: it may fall inside a fold). */
  #resume(cursor: LogCheckpoint): void {
    this.#position = cursor;
    this.#delivered = cursor;
    this.#pending = [];
    this.#pendingChanges = 0;
    this.#pendingOverflow = false;
    this.#goLive(this.#ctx.log.since(cursor));
  }

  /** True when a row belongs to this subscriber's tenants and passes its filter. */
  #visible(row: Row | null): boolean {
    if (!row) return false;
    const tenant = tenantOf(row[this.#ctx.channel.tenantColumn]);
    // Exact comparison: the tenant check never normalises ('001' is not '1').
    return this.#inScope(tenant) && matchesFilter(this.#filter, row);
  }

  #ownTenant(row: Row | null): boolean {
    return this.#inScope(row ? tenantOf(row[this.#ctx.channel.tenantColumn]) : null);
  }

  /** A row without a tenant is nobody's, even for an every-tenant subscription. */
  #inScope(tenant: string | null): boolean {
    return tenant !== null && (this.#tenantIds === null || this.#tenantIds.has(tenant));
  }

  /** A change of the batch being fanned out that may concern this subscriber. */
  offer(change: FoldedChange): void {
    if (this.#state === 'live' || this.#state === 'pinning') this.#current.push(change);
  }

  /** The batch being fanned out is complete. */
  endBatch(cursor: LogCheckpoint): void {
    const changes = this.#current;
    this.#current = [];
    if (this.#state === 'pinning') {
      this.#pendingChanges += changes.length;
      // Bounded while a snapshot loads: past the limit we load another snapshot.
      if (this.#pendingChanges > this.#ctx.maxDeltas) this.#pendingOverflow = true;
      else this.#pending.push({ channel: this.#ctx.channel.name, cursor, changes });
    } else if (this.#state === 'live') {
      const batch = this.#deltasOf([{ channel: this.#ctx.channel.name, cursor, changes }]);
      // The position is now a batch boundary: no fold can straddle it any more.
      this.#wantsAll = false;
      if (batch) this.#enqueue(batch);
    }
  }

  /**
   * The deltas these batches mean to this subscriber, after its position;
   * advances the position. Null when nothing concerns it.
   */
  #deltasOf(batches: readonly ChangeBatch[]): DeltaBatch | null {
    let out: DeltaBatch | null = null;
    for (const batch of batches) {
      const p = this.#position;
      if (p !== null && compareCheckpoints(batch.cursor, p) <= 0) continue;
      const deltas = new Map<string, Delta>();
      for (const change of batch.changes) {
        const delta = this.#deltaOf(change, p);
        if (delta && this.#events.has(delta.op)) deltas.set(change.keyId, delta);
      }
      this.#position = batch.cursor;
      if (deltas.size > 0) {
        const next = { cursor: batch.cursor, deltas };
        out = out ? mergeDeltaBatches(out, next) : next;
      }
    }
    return out;
  }

  /** One folded change as this subscriber sees it, given its position `p`. */
  #deltaOf(change: FoldedChange, p: LogCheckpoint | null): Delta | null {
    if (p !== null && compareCheckpoints(change.lastCheckpoint, p) <= 0) return null;
    // The position falls inside the fold (after a snapshot): the client's row is
    // somewhere between old and new, so send the whole new row (or a delete).
    const straddles = p !== null && compareCheckpoints(change.firstCheckpoint, p) <= 0;
    const before = this.#visible(change.oldRow);
    const after = this.#visible(change.newRow);
    if (!after) {
      // A straddling row may have been visible at p; still never name another tenant's key.
      const mine = straddles && this.#ownTenant(change.lastSeen);
      return before || mine ? { op: 'DELETE', key: change.key, fields: {} } : null;
    }
    const row = this.#project(change.newRow!);
    if (!before || straddles) return { op: 'INSERT', key: change.key, fields: row };
    const fields = diffRows(this.#project(change.oldRow!), row);
    return Object.keys(fields).length > 0 ? { op: 'UPDATE', key: change.key, fields } : null;
  }

  #project(row: Row): Row {
    if (this.#keep) return selectFields(this.#keep, row);
    const columns = this.#ctx.channel.columns;
    if (!columns) return row;
    const out: Row = {};
    for (const c of columns) if (c in row) out[c] = row[c];
    return out;
  }

  /** Hand a batch to the throttle (or straight out when unthrottled). */
  #enqueue(batch: DeltaBatch): void {
    if (this.#throttleMs <= 0) {
      this.#emitData(batch);
      return;
    }
    if (!this.#throttleIn) {
      this.#throttleIn = new Subject<DeltaBatch>();
      this.#throttleSub = this.#throttleIn
        .pipe(throttleBatches(this.#throttleMs, this.#ctx.scheduler))
        .subscribe((b) => this.#emitData(b));
    }
    this.#throttledCursor = batch.cursor;
    this.#throttleIn.next(batch);
  }

  #stopThrottle(): void {
    this.#throttleSub?.unsubscribe();
    this.#throttleSub = null;
    this.#throttleIn = null;
    this.#throttledCursor = null;
  }

  #emitData(batch: DeltaBatch): void {
    if (this.#state !== 'live') return;
    this.#send({
      type: 'data',
      channel: this.#ctx.channel.name,
      cursor: batch.cursor,
      serverTime: this.#ctx.now(),
      deltas: [...batch.deltas.values()].map(toTuple),
    });
  }

  /** Load a snapshot, send it as `reset`, then what arrived meanwhile, then `ready`. */
  #resync(reason: ResetReason): void {
    this.#state = 'pinning';
    this.#wantsAll = true;
    this.#stopThrottle();
    this.#pending = [];
    this.#pendingChanges = 0;
    this.#pendingOverflow = false;
    const attempt = ++this.#attempt;
    // What this process had received when the snapshot was asked for: a snapshot
    // from a lagging source (a read replica) may be older, and then the batches in
    // between come from the replay buffer, not from what arrives meanwhile.
    const knownAtStart = this.#ctx.log.head;
    this.#ctx.onReset(reason);
    call(this.#ctx.snapshot).then(
      (snapshot) => {
        if (attempt !== this.#attempt || this.#state !== 'pinning') return;
        if (this.#pendingOverflow) {
          this.#resync(reason);
          return;
        }
        const behind =
          knownAtStart !== null &&
          isCheckpoint(snapshot.checkpoint) &&
          compareCheckpoints(snapshot.checkpoint, knownAtStart) < 0;
        if (behind && !this.#ctx.log.covers(snapshot.checkpoint)) {
          // Older than the buffer reaches: the rows in between cannot be replayed.
          if (++this.#staleSnapshots > MAX_STALE_SNAPSHOTS) {
            this.close(new SnapshotError(this.#ctx.channel.name, { cause: new Error(STALE_MESSAGE) }));
          } else this.#resync(reason);
          return;
        }
        this.#staleSnapshots = 0;
        this.#send({
          type: 'reset',
          channel: this.#ctx.channel.name,
          cursor: snapshot.checkpoint,
          serverTime: this.#ctx.now(),
          // Defence in depth: the port filtered by tenant and filter, and so do we.
          rows: snapshot.rows.filter((r) => this.#visible(r)).map((r) => this.#project(r)),
          keyColumns: [...this.#ctx.channel.keyColumns],
        });
        this.#position = snapshot.checkpoint;
        this.#ctx.log.noteSnapshot(snapshot.checkpoint);
        const pending = this.#pending;
        this.#pending = [];
        this.#pendingChanges = 0;
        this.#goLive(behind ? this.#ctx.log.since(snapshot.checkpoint) : pending);
      },
      (err: unknown) => {
        if (attempt !== this.#attempt || this.#state !== 'pinning') return;
        // A refused filter value or selected column is the client's to fix (400); anything else is an outage (503).
        this.close(
          err instanceof InvalidFilterError || err instanceof InvalidSelectError
            ? err
            : new SnapshotError(this.#ctx.channel.name, { cause: err }),
        );
      },
    );
  }

  /** Send the catch-up (replay or what arrived during the snapshot) as one message, then `ready`. */
  #goLive(catchUp: readonly ChangeBatch[]): void {
    if (this.#state === 'closed') return; // the connection broke while the reset was written
    this.#state = 'live';
    const batch = this.#deltasOf(catchUp);
    if (batch) this.#emitData(batch);
    this.#send({
      type: 'ready',
      channel: this.#ctx.channel.name,
      cursor: this.#position,
      serverTime: this.#ctx.now(),
    });
  }

  /** A resume position the client may safely hold now. */
  #safeCursor(): LogCheckpoint | null {
    const idle = this.#state === 'live' && this.#outbox.length === 0 && this.#throttledCursor === null;
    if (!idle) return this.#delivered;
    // Every batch up to the channel head has been handled for this subscriber (fan-out is synchronous).
    const head = this.#ctx.log.head;
    if (head === null) return this.#delivered;
    if (this.#delivered === null || compareCheckpoints(head, this.#delivered) > 0) return head;
    return this.#delivered;
  }

  #sendHeartbeat(): void {
    if (this.#state !== 'live' || this.#blocked || this.#outbox.length > 0) return;
    this.#send({
      type: 'heartbeat',
      channel: this.#ctx.channel.name,
      cursor: this.#safeCursor(),
      serverTime: this.#ctx.now(),
    });
  }

  /** Write to the sink, or queue when it is backed up. */
  #send(envelope: Envelope): void {
    if (this.#state === 'closed' || this.#state === 'stalled') return;
    if (envelope.type === 'data' && envelope.cursor === this.#throttledCursor) this.#throttledCursor = null;
    if (!this.#blocked && this.#outbox.length === 0) {
      this.#write(envelope);
      return;
    }
    this.#outbox.push(envelope);
    if (this.#outbox.length > this.#ctx.maxMessages) this.#conflate();
  }

  #write(envelope: Envelope): void {
    if (envelope.cursor !== null && envelope.type !== 'heartbeat') this.#delivered = envelope.cursor;
    let writable: boolean;
    try {
      writable = this.#sink.write(envelope);
    } catch (err) {
      // A connection that throws is gone: end the subscription (its slot too), never the fan-out.
      this.#ctx.onError(err);
      this.close();
      return;
    }
    if (!writable) this.#blocked = true;
  }

  /**
   * The queue is full: merge queued data by key. A reset supersedes the data
   * queued before it. Still too much: drop it all and send a reset once the connection drains.
   */
  #conflate(): void {
    const resetAt = this.#outbox.findLastIndex((e) => e.type === 'reset');
    const head = resetAt >= 0 ? [this.#outbox[resetAt]!] : [];
    let data: Map<string, DeltaTuple> | null = null;
    let dataCursor: LogCheckpoint | null = null;
    const tail: Envelope[] = [];
    for (const envelope of this.#outbox.slice(resetAt + 1)) {
      if (envelope.type === 'data') {
        data ??= new Map();
        for (const tuple of envelope.deltas ?? []) mergeTuple(data, this.#ctx.channel, tuple);
        dataCursor = envelope.cursor;
      } else if (envelope.type === 'ready' || envelope.type === 'error') tail.push(envelope);
    }
    if (data && data.size > this.#ctx.maxDeltas) {
      this.#outbox = [];
      this.#state = 'stalled';
      this.#stopThrottle();
      return;
    }
    const merged: Envelope[] = data
      ? [
          {
            type: 'data',
            channel: this.#ctx.channel.name,
            cursor: dataCursor,
            serverTime: this.#ctx.now(),
            deltas: [...data.values()],
          },
        ]
      : [];
    this.#outbox = [...head, ...merged, ...tail];
  }

  /** The channel's rows changed without row changes (e.g. a rebuild): send a fresh snapshot. */
  invalidate(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'stalled') return; // its reset is already due when the connection drains
    this.#outbox = this.#outbox.filter((e) => e.type !== 'data' && e.type !== 'heartbeat');
    this.#resync('invalidated');
  }

  /** The connection can take more: flush the queue, or start the reset of a stalled subscriber. */
  drained(): void {
    if (this.#state === 'closed') return;
    this.#blocked = false;
    if (this.#state === 'stalled') {
      this.#resync('slow_consumer');
      return;
    }
    while (!this.#blocked && this.#outbox.length > 0) this.#write(this.#outbox.shift()!);
  }

  /** End the subscription (idempotent). */
  close(error?: SyncError): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stopThrottle();
    this.#heartbeat?.unsubscribe();
    this.#outbox = [];
    this.#pending = [];
    this.#ctx.onClose();
    try {
      this.#sink.close?.(error);
    } catch (err) {
      this.#ctx.onError(err);
    }
  }
}

function mergeTuple(into: Map<string, DeltaTuple>, channel: ChannelDefinition, tuple: DeltaTuple): void {
  const keyId = keyIdOf(channel, tuple[1]);
  const seen = into.get(keyId);
  // Re-insert so the queue keeps the order of each key's last change.
  into.delete(keyId);
  into.set(keyId, seen ? toTuple(mergeDeltas(fromTuple(seen), fromTuple(tuple))) : tuple);
}

/** Call a port, turning a synchronous throw into a rejection. */
function call<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

/** A tenant id as text, compared exactly. */
function tenantOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}
