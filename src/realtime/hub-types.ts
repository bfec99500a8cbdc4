/**
 * Public shapes of the realtime hub: its options, lifecycle events, the
 * subscription handle a transport gets, its counters, and the hub itself.
 */
import type { EventEmitter } from 'eventemitter3';
import type { Observable, SchedulerLike } from 'rxjs';
import type { RowChange } from '../core/row-change.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { ReplayLimits } from './channel-log.js';
import type { ChannelDefinition } from './channels.js';
import type { ConnectionLimiterPort, ReleaseSlot } from './connection-limiter.js';
import type { Envelope } from '../core/envelope.js';
import type { ParsedFilter } from './filter.js';
import type { ChangeBatch } from './fold.js';
import type { AccessAuditStore } from '../access/access-audit.js';
import type { PubSub } from './pubsub.js';
import type { ResetReason } from './subscription.js';
import type {
  Authorization,
  MessageSink,
  SnapshotPort,
  SubscriberBufferLimits,
  SubscriptionRequest,
} from './types.js';

/**
 * Options of {@link createRealtimeHub}.
 *
 * @example
 * ```ts
 * const options: RealtimeHubOptions = {
 *   channels: [taskBoard],                                   // what clients may subscribe to
 *   changes: merge(...projections.map((p) => p.changes)),    // row changes, after commit
 *   snapshot: createSqlSnapshot(sql, { schema: 'app', checkpoint }),
 *   pubsub: createPgPubSub(sql, { schema: 'app' }),          // several hosts
 *   accessAudit: createAccessAudit({ sql, schema: 'app' }), // admins' cross-tenant subscriptions
 *   maxConnectionsPerUser: 10,
 *   heartbeatMs: 15_000,
 * };
 * const hub = createRealtimeHub(options);
 * ```
 */
export interface RealtimeHubOptions {
  /** Read-model channels a client may subscribe to (commerce's are `COMMERCE_CHANNELS`). */
  channels: readonly ChannelDefinition[];
  /** The projections' row changes (absent on processes that only serve subscribers). */
  changes?: Observable<RowChange>;
  /** Fresh snapshots for initial loads and resets. */
  snapshot: SnapshotPort;
  /** Cross-process fan-out; without it batches stay in this process. */
  pubsub?: PubSub;
  /**
   * Where admins' cross-tenant subscriptions are recorded (once per
   * subscription, before its first row: who, roles, channel, filter). Without
   * it the admin role widens nothing: every subscription sees only its
   * caller's own tenants. The engine passes its `accessAudit`.
   */
  accessAudit?: AccessAuditStore;
  /** Pub/sub topic. Default `'creatorflow_realtime'`. */
  topic?: string;
  /** Coalescing window in ms. Default 100. */
  windowMs?: number;
  /** Replay buffer per channel. */
  replay?: ReplayLimits;
  /** Everything after this position will reach the hub (lets early resumes skip a snapshot). */
  startCursor?: LogCheckpoint;
  /**
   * The identity of the log the positions come from (`EventStore.logIdentity()`),
   * or undefined while it is not known yet. Cursors handed out are bound to it,
   * so a cursor from another log — a fresh database whose log has already
   * passed its position — gets a snapshot instead of resuming from rows it
   * never had. Every hub of one database must give the same. The engine passes
   * its store's once started.
   */
  logIdentity?: () => string | undefined;
  /** Connections per user (a multiplexed connection counts once). Default 10. */
  maxConnectionsPerUser?: number;
  /** `Retry-After` past the connection limit, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /**
   * Where connection slots are taken; default an in-memory limiter of
   * `maxConnectionsPerUser` per process. Give a shared one (Redis) so the limit
   * holds across hosts; its own settings then apply. The host closes it.
   */
  connectionLimiter?: ConnectionLimiterPort;
  /** Heartbeat interval in ms (0 = none). Default 30,000. */
  heartbeatMs?: number;
  /** Bounds of each subscriber's queue. */
  subscriberBuffer?: SubscriberBufferLimits;
  /** Scheduler for windows, throttles and heartbeats (TestScheduler in tests). */
  scheduler?: SchedulerLike;
  /** Clock for `serverTime`. Default `Date.now`. */
  now?: () => number;
}

/**
 * Why every channel of a hub reloaded: its pub/sub connection came back after
 * a break (batches sent meanwhile are lost).
 */
export type ResyncReason = 'pubsub_resumed';

/**
 * Options of {@link RealtimeHub.invalidate}.
 *
 * @example
 * ```ts
 * // Every host noticed the rebuild itself (the engine's rebuild watcher): reload here only.
 * hub.invalidate('order_totals', { thisHostOnly: true });
 * ```
 */
export interface InvalidateOptions {
  /** Reload this hub's subscribers without telling the other hosts (each notices by itself). Default false. */
  thisHostOnly?: boolean;
  /**
   * The newest position of the replaced rows (a rebuild's `through`): a
   * cursor at or before it resumes with a snapshot on this hub from now on,
   * even one this hub never handed out. Default: what this hub has seen.
   */
  before?: LogCheckpoint | null;
}

/** Lifecycle events of the hub. */
export interface RealtimeEventMap {
  /** A background failure (pub/sub, malformed message); never thrown. */
  error: [error: unknown];
  /**
   * A batch did not follow the last one received — one from another process
   * lost in transit, or one whose transaction committed after a later one's
   * batch was sent (`head`: the newest cursor received): the channel was invalidated.
   */
  'realtime:gap': [info: { channel: string; expected: string | null; head: string }];
  /** Channels were reloaded because batches may have been lost (see {@link ResyncReason}). */
  'realtime:resync': [info: { channels: string[]; reason: ResyncReason }];
  /** A subscriber is being sent a snapshot. */
  'realtime:reset': [info: { subscriptionId: string; channel: string; reason: ResetReason }];
}

/**
 * Options of {@link RealtimeHub.subscribe}.
 *
 * @example
 * ```ts
 * // One connection slot for a connection that carries several subscriptions.
 * const auth = { userId: 'u1', tenantIds: ['c1'] };
 * const release = await hub.acquireConnection(auth.userId);
 * const sink = {
 *   write: (envelope: Envelope) => {
 *     socket.send(JSON.stringify(envelope));
 *     return socket.bufferedAmount < 1_000_000; // false: backed up, the hub queues until `drained()`
 *   },
 * };
 * const orders = hub.subscribe({ channel: 'order_metrics' }, auth, sink, { slotHeld: true });
 * const alerts = hub.subscribe({ channel: 'inventory_alerts' }, auth, sink, { slotHeld: true });
 * socket.on('close', () => { orders.close(); alerts.close(); release(); });
 * ```
 */
export interface HubSubscribeOptions {
  /** The caller holds a slot from `acquireConnection` for this connection: take none for this subscription. */
  slotHeld?: boolean;
  /**
   * Cursors handed to the client carry a fingerprint of this subscription, and
   * a presented cursor resumes only with the same one (otherwise a `reset`).
   * Set by every transport a client reaches (SSE, WebSocket); see docs/realtime.md.
   */
  bindCursors?: boolean;
}

/** A live subscription handed to a transport. */
export interface RealtimeSubscription {
  readonly id: string;
  readonly channel: string;
  /** Call when the connection can take more after `sink.write` returned false. */
  drained(): void;
  /** End it (the connection closed). */
  close(): void;
}

/** Counters for health pages and benchmarks. */
export interface RealtimeStats {
  subscriptions: number;
  /** Batches held in replay buffers over all channels. */
  bufferedBatches: number;
  /** Messages queued for slow connections over all subscriptions. */
  queuedMessages: number;
  /** The connection limiter runs on its fallback (e.g. Redis unreachable: per-process limit). */
  limiterDegraded: boolean;
  /**
   * The hub's pub/sub subscription has not held since it started (the broker
   * was unreachable): it keeps trying, and reloads every channel once it holds.
   */
  pubsubDown: boolean;
  /** Pub/sub messages dropped because they were not valid (each also an `'error'` event). */
  malformedMessages: number;
}

/** The realtime hub. */
export interface RealtimeHub {
  readonly channels: ReadonlyMap<string, ChannelDefinition>;
  readonly events: EventEmitter<RealtimeEventMap>;
  /**
   * Resolves once the hub receives batches (pub/sub subscription active), or
   * once the first attempt to subscribe failed: the hub then serves meanwhile
   * (`stats().pubsubDown`), keeps trying and reloads every channel when it holds.
   */
  readonly ready: Promise<void>;
  /**
   * Subscribe a connection. Validates synchronously: throws `InvalidFilterError`,
   * `UnknownChannelError`, and `TooManyConnectionsError` from an in-memory
   * limiter; a shared limiter's refusal arrives as `sink.close(error)` before
   * any message. `request.throttleMs` below the channel's throttle is raised to it.
   */
  subscribe(
    request: SubscriptionRequest,
    auth: Authorization,
    sink: MessageSink,
    options?: HubSubscribeOptions,
  ): RealtimeSubscription;
  /**
   * Take one connection slot of `userId` for a multiplexed connection (many
   * subscriptions, one slot: the per-user limit counts connections). Its
   * subscriptions then pass `{ slotHeld: true }`; the caller releases the
   * slot when the connection ends. Throws or rejects with `TooManyConnectionsError`.
   */
  acquireConnection(userId: string): ReleaseSlot | Promise<ReleaseSlot>;
  /**
   * The same as an Observable (an always-writable sink), for in-process
   * consumers. Its `throttleMs` is taken as given: the channel's throttle is a
   * floor for connections (`subscribe`), not for the host's own code.
   */
  messages(request: SubscriptionRequest, auth: Authorization): Observable<Envelope>;
  /**
   * Feed one folded batch (what the pub/sub delivers); duplicates are ignored.
   * With `previous` (the cursor of the producer's batch before it), a batch that
   * does not follow the last one received invalidates the channel.
   */
  ingest(batch: ChangeBatch & { previous?: string | null }): void;
  /**
   * The channel's rows changed behind the stream's back (a projection rebuild,
   * a manual repair): drop its replay buffer and send every subscriber a fresh
   * snapshot — on every host sharing the pub/sub (only on this one with
   * `thisHostOnly`). An engine does it by itself after a rebuild of one of its
   * projections, whichever process ran it.
   */
  invalidate(channel: string, options?: InvalidateOptions): void;
  /** Validate a request without subscribing (parsed filter). */
  validate(request: SubscriptionRequest): {
    channel: ChannelDefinition;
    filter: ParsedFilter;
    select?: readonly string[];
  };
  stats(): RealtimeStats;
  close(): Promise<void>;
}
