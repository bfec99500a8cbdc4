/**
 * The realtime hub: turns the projections' row changes into per-subscriber
 * delta streams. Row changes → per channel: coalesce per key in a window →
 * (optionally across processes via a PubSub) → replay buffer → hash-indexed
 * fan-out → each subscription (filter, tenancy, throttle, bounded queue).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import {
  type Subscription,
  Observable as RxObservable,
  asyncScheduler,
  filter as rxFilter,
  merge,
  tap,
} from 'rxjs';
import { ROW_OPERATIONS, type RowOperation } from '../core/row-change.js';
import { InvalidArgumentError, StoreClosedError, SyncError } from '../core/errors.js';
import { compareCheckpoints, isCheckpoint } from '../core/checkpoint.js';
import { ChannelLog } from './channel-log.js';
import { traceStage } from '../core/stage-trace.js';
import { type ChannelDefinition, defineChannels } from './channels.js';
import type { Envelope } from '../core/envelope.js';
import { RealtimeUnavailableError, UnknownChannelError, isPubSubMessageError } from './errors.js';
import { realtimeHubOptionsSchema } from './hub-options.js';
import { parseOptions } from '../core/parse-options.js';
import { type ParsedFilter, parseFilter } from './filter.js';
import type { ChangeBatch } from './fold.js';
import { OrderedPublisher, decodeWireMessages, encodeWire, encodeWireBundle } from './hub-wire.js';
import { coalesceChanges } from './operators.js';
import { subscribeUntilHeld } from './pubsub-subscription.js';
import { ConnectionLimiter, type ConnectionLimiterPort, type ReleaseSlot } from './connection-limiter.js';
import type {
  InvalidateOptions,
  RealtimeEventMap,
  RealtimeHub,
  RealtimeHubOptions,
  RealtimeSubscription,
  ResyncReason,
} from './hub-types.js';
import { parseSelect } from './select.js';
import { bindingSink, checkResumeCursor, subscriptionFingerprint } from './cursor-binding.js';
export type { ResetReason } from './subscription.js';
import { SubscriberIndex, type IndexTerm } from './subscriber-index.js';
import { HubSubscription } from './subscription.js';
import { subscriptionScope } from './subscription-scope.js';
import type { Authorization, MessageSink, SubscriptionRequest } from './types.js';
import { canonicalValueAs, columnComparedAs } from './values.js';

export type {
  RealtimeEventMap,
  RealtimeHub,
  RealtimeHubOptions,
  RealtimeStats,
  RealtimeSubscription,
  ResyncReason,
  HubSubscribeOptions,
  InvalidateOptions,
} from './hub-types.js';

/** A batch's row keys, for the stage trace. */
const batchKeys = (batch: ChangeBatch): string[] => batch.changes.map((c) => JSON.stringify(c.key));

interface ChannelState {
  def: ChannelDefinition;
  log: ChannelLog;
  index: SubscriberIndex<HubSubscription>;
  /** Subscribers that want every change (see `HubSubscription.wantsAll`). */
  unaligned: Set<HubSubscription>;
}

/**
 * Create a realtime hub.
 *
 * @example
 * ```ts
 * const hub = createRealtimeHub({ channels, changes: projections.rowChanges$, snapshot: createSqlSnapshot(sql, opts) });
 * server.on('request', createSseHandler(hub, { authorize }));
 * ```
 */
export function createRealtimeHub(input: RealtimeHubOptions): RealtimeHub {
  const options = parseOptions('createRealtimeHub', realtimeHubOptionsSchema, input) as RealtimeHubOptions;
  const channels = defineChannels(options.channels);
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? (() => Date.now());
  const windowMs = options.windowMs ?? 100;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const limiter: ConnectionLimiterPort =
    options.connectionLimiter ??
    new ConnectionLimiter(options.maxConnectionsPerUser ?? 10, options.retryAfterSeconds ?? 5);
  const topic = options.topic ?? 'creatorflow_realtime';
  const events = new EventEmitter<RealtimeEventMap>();
  const states = new Map<string, ChannelState>();
  for (const def of channels.values()) {
    states.set(def.name, {
      def,
      log: new ChannelLog(options.replay, options.startCursor ?? null),
      index: new SubscriberIndex((column, value) => canonicalValueAs(columnComparedAs(def, column), value)),
      unaligned: new Set(),
    });
  }
  const subscriptions = new Set<HubSubscription>();
  let nextId = 1;

  /** Lifecycle listeners are the host's code: one that throws must not break a subscription or the fan-out. */
  function notify<K extends 'realtime:gap' | 'realtime:reset' | 'realtime:resync'>(
    event: K,
    ...args: EventEmitter.ArgumentMap<RealtimeEventMap>[K]
  ): void {
    try {
      (events.emit as (e: K, ...a: typeof args) => boolean)(event, ...args);
    } catch (err) {
      reportError(err);
    }
  }
  function reportError(err: unknown): void {
    try {
      events.emit('error', err);
    } catch {
      // An 'error' listener that throws has nowhere left to report to.
    }
  }
  let closed = false;

  function ingest(batch: ChangeBatch & { previous?: string | null }): void {
    const state = states.get(batch.channel);
    if (!state) return;
    traceStage(`hub.received:${batch.channel}`, () => batchKeys(batch));
    const missed = missedBefore(state.log, batch);
    if (missed !== null) {
      // A batch was lost between processes (or the producer changed): nobody may
      // silently miss it, so every subscriber of the channel reloads a snapshot.
      notify('realtime:gap', { channel: batch.channel, expected: batch.previous ?? null, head: missed });
      invalidateHere(batch.channel);
    }
    if (!state.log.append(batch)) {
      // Not newer than the head and not one the buffer holds: a transaction that took its
      // place in the log before one already sent committed after it (inline read models
      // publish in commit order). Its rows cannot be slotted in behind the cursors handed
      // out, and dropping it lost them: every subscriber of the channel reloads a snapshot.
      if (!state.log.holds(batch.cursor)) {
        const head = state.log.head ?? batch.cursor;
        notify('realtime:gap', { channel: batch.channel, expected: batch.previous ?? null, head });
        invalidateHere(batch.channel);
      }
      return;
    }
    const touched = new Set<HubSubscription>();
    for (const change of batch.changes) {
      for (const sub of state.index.candidates(change.oldRow, change.newRow)) {
        if (sub.wantsAll) continue;
        sub.offer(change);
        touched.add(sub);
      }
    }
    // Subscribers whose position may sit inside a fold see every change once.
    for (const sub of state.unaligned) {
      for (const change of batch.changes) sub.offer(change);
      touched.add(sub);
    }
    for (const sub of touched) sub.endBatch(batch.cursor);
    for (const sub of state.unaligned) if (!sub.wantsAll) state.unaligned.delete(sub);
  }

  // Row changes → one coalesced batch stream per channel.
  const batches$ =
    options.changes === undefined
      ? null
      : merge(
          ...[...channels.values()].map((def) =>
            options.changes!.pipe(
              rxFilter((c) => c.table === def.name),
              tap((c) => traceStage(`hub.change:${c.table}`, () => [JSON.stringify(c.key)])),
              coalesceChanges(def, windowMs, scheduler),
            ),
          ),
        );

  let feed: Subscription | null = null;
  let unsubscribePubSub: (() => Promise<void>) | null = null;
  // Tells this hub's own invalidation notices apart when they come back over the pub/sub.
  const hubId = randomUUID();
  let malformedMessages = 0;
  // Batches that queue behind a publish in flight go out together, in one message.
  const publisher = options.pubsub
    ? new OrderedPublisher(options.pubsub, topic, reportError, { combine: encodeWireBundle })
    : null;
  const onText = (text: string): void => {
    try {
      for (const message of decodeWireMessages(text, topic)) {
        if (message.kind === 'batch') ingest(message.batch);
        else if (message.from !== hubId && states.has(message.channel)) invalidateHere(message.channel);
      }
    } catch (err) {
      // A malformed message is dropped and reported; the subscription goes on.
      if (isPubSubMessageError(err)) malformedMessages++;
      reportError(err);
    }
  };
  /** Publish this host's batches; each names its predecessor so a receiver can detect one lost in transit. */
  const startFeed = (): void => {
    if (closed || feed || !batches$ || !publisher) return;
    const previous = new Map<string, string>();
    feed = batches$.subscribe({
      next: (batch) => {
        traceStage(`hub.published:${batch.channel}`, () => batchKeys(batch));
        publisher.publish(
          encodeWire({ kind: 'batch', batch: { ...batch, previous: previous.get(batch.channel) ?? null } }),
        );
        previous.set(batch.channel, batch.cursor);
      },
      error: reportError,
    });
  };
  const closing = new AbortController();
  let pubsubDown = false;
  let announceReady!: () => void;
  const ready = new Promise<void>((resolve) => (announceReady = resolve));
  if (options.pubsub) {
    void subscribeUntilHeld(
      options.pubsub,
      topic,
      onText,
      // The connection broke: batches sent meanwhile are lost, and a quiet
      // channel might never send the next one that would reveal the gap.
      () => resync('pubsub_resumed'),
      {
        signal: closing.signal,
        // The broker is unreachable: serve and publish (the publisher waits for it) meanwhile.
        onFirstFailure: (err) => {
          pubsubDown = true;
          reportError(err);
          startFeed();
          announceReady();
        },
      },
    ).then((off) => {
      if (!off) return;
      unsubscribePubSub = off;
      if (pubsubDown) {
        pubsubDown = false;
        // Whatever was published before the subscription held never reached this hub.
        resync('pubsub_resumed');
      }
      startFeed();
      announceReady();
    });
  } else {
    if (batches$) feed = batches$.subscribe({ next: ingest, error: reportError });
    announceReady();
  }

  /** Every channel may have missed batches: reload them all, on this host only. */
  function resync(reason: ResyncReason): void {
    if (closed) return;
    const names = [...states.keys()];
    for (const channel of names) invalidateHere(channel);
    notify('realtime:resync', { channels: names, reason });
  }

  /** Drop the channel's buffer and reload its subscribers, on this host only. */
  function invalidateHere(channel: string, before: string | null = null): void {
    states.get(channel)!.log.clear(before);
    for (const sub of [...subscriptions]) if (sub.channelName === channel) sub.invalidate();
  }

  function invalidate(channel: string, invalidateOptions: InvalidateOptions = {}): void {
    if (!states.has(channel)) throw new UnknownChannelError(channel);
    const before = invalidateOptions.before ?? null;
    if (before !== null && !isCheckpoint(before)) {
      throw new InvalidArgumentError('invalidate: before must be a log checkpoint "<txid>:<position>"');
    }
    invalidateHere(channel, before);
    // Each host noticed by itself (e.g. a rebuild's generation): no notice, or it would reload twice.
    if (invalidateOptions.thisHostOnly === true) return;
    // Every host serves this channel from the same rows: they all reload.
    publisher?.publish(encodeWire({ kind: 'invalidate', channel, from: hubId }));
  }

  function validate(request: SubscriptionRequest): {
    channel: ChannelDefinition;
    filter: ParsedFilter;
    select?: readonly string[];
  } {
    const state = states.get(request.channel);
    if (!state) throw new UnknownChannelError(request.channel);
    const filter = parseFilter(state.def, request.filter);
    const select = parseSelect(state.def, request.select);
    if (request.events?.some((e) => !(ROW_OPERATIONS as readonly string[]).includes(e))) {
      throw new InvalidArgumentError(`events must be among ${ROW_OPERATIONS.join(', ')}`);
    }
    if (
      request.throttleMs !== undefined &&
      !(Number.isInteger(request.throttleMs) && request.throttleMs >= 0)
    ) {
      throw new InvalidArgumentError('throttleMs must be a non-negative integer');
    }
    return { channel: state.def, filter, ...(select ? { select } : {}) };
  }

  /**
   * `trusted`: in-process code, whose throttle is taken as given; a connection's never goes below the channel's.
   * `slotHeld`: the caller holds a connection slot (`acquireConnection`) shared by many subscriptions.
   * `bindCursors`: cursors out carry the subscription's fingerprint, cursors in must (cursor-binding.ts).
   */
  function subscribe(
    request: SubscriptionRequest,
    auth: Authorization,
    sink: MessageSink,
    trusted = false,
    slotHeld = false,
    bindCursors = false,
  ): RealtimeSubscription {
    if (closed) throw new StoreClosedError('Realtime hub');
    const { channel, filter, select } = validate(request);
    const state = states.get(channel.name)!;
    const audit = options.accessAudit;
    const scope = subscriptionScope(channel, filter, auth, audit !== undefined);
    const acquired: ReleaseSlot | Promise<ReleaseSlot> = slotHeld
      ? () => undefined
      : limiter.acquire(auth.userId);
    // An admin's cross-tenant subscription is audited once, after its slot is
    // granted and before its first row: no entry, no rows (the refusal is a 503).
    const slot: ReleaseSlot | Promise<ReleaseSlot> =
      scope.crossTenant && audit
        ? Promise.resolve(acquired).then(async (granted) => {
            try {
              await audit.record({
                userId: auth.userId,
                roles: auth.roles ?? [],
                action: REALTIME_SUBSCRIBE_ACTION,
                resource: channel.name,
                tenantIds: scope.auditTenantIds,
                rowCount: null,
                detail: filter.text === '' ? null : filter.text,
              });
            } catch (err) {
              granted();
              throw err;
            }
            return granted;
          })
        : acquired;
    let release: ReleaseSlot | null = null;
    const id = `s${nextId++}`;
    const tenantIds = scope.tenantIds;
    const events = request.events ?? ROW_OPERATIONS;
    const fingerprint = bindCursors
      ? subscriptionFingerprint({
          channel: channel.name,
          filter,
          tenantIds,
          select: select ?? null,
          events,
          logIdentity: options.logIdentity?.() ?? null,
        })
      : null;
    const resume = fingerprint
      ? checkResumeCursor(request.cursor, fingerprint)
      : { resumeFrom: request.cursor ?? null, mismatch: null };
    const sub: HubSubscription = new HubSubscription(
      id,
      auth.userId,
      {
        channel,
        log: state.log,
        scheduler,
        now,
        heartbeatMs,
        maxMessages: options.subscriberBuffer?.maxMessages ?? 64,
        maxDeltas: options.subscriberBuffer?.maxDeltas ?? 10_000,
        snapshot: () =>
          select
            ? options.snapshot(channel, filter, tenantIds, select)
            : options.snapshot(channel, filter, tenantIds),
        ...(options.snapshot.position ? { position: () => options.snapshot.position!(channel) } : {}),
        onReset: (reason) => {
          state.unaligned.add(sub);
          notify('realtime:reset', { subscriptionId: id, channel: channel.name, reason });
        },
        onClose: () => {
          state.index.remove(sub);
          state.unaligned.delete(sub);
          subscriptions.delete(sub);
          release?.();
          release = null;
        },
        onError: reportError,
      },
      filter,
      tenantIds,
      events,
      // The channel's throttle is a floor: a client may slow its stream down, never speed it up.
      trusted
        ? (request.throttleMs ?? channel.throttleMs)
        : Math.max(request.throttleMs ?? 0, channel.throttleMs),
      fingerprint ? bindingSink(sink, fingerprint) : sink,
      select,
    );
    subscriptions.add(sub);
    const admit = (granted: ReleaseSlot): void => {
      // The connection went away (or the hub closed) while a shared limiter was deciding.
      if (sub.state === 'closed') return granted();
      release = granted;
      // Filed before it pins its position, so nothing arriving meanwhile is missed.
      state.index.add(sub, indexTerm(channel, filter, tenantIds));
      state.unaligned.add(sub);
      sub.start(resume.resumeFrom, resume.mismatch ?? undefined);
    };
    if (typeof slot === 'function') {
      try {
        admit(slot);
      } catch (err) {
        sub.close(); // unfiles it and gives its slot back
        throw err;
      }
    } else {
      // A shared limiter answers later: the refusal reaches the client through `sink.close`.
      slot.then(
        (granted) => {
          try {
            admit(granted);
          } catch (err) {
            sub.close(refusal(err));
          }
        },
        (err: unknown) => sub.close(refusal(err)),
      );
    }
    return {
      id,
      channel: channel.name,
      drained: () => sub.drained(),
      close: () => sub.close(),
    };
  }

  /** A typed refusal for the client; anything unexpected is reported and answered 503. */
  function refusal(err: unknown): SyncError {
    if (err instanceof SyncError) return err;
    reportError(err);
    return new RealtimeUnavailableError('Realtime connection could not be admitted', { cause: err });
  }

  return {
    channels,
    events,
    ready,
    subscribe: (request, auth, sink, subscribeOptions) =>
      subscribe(
        request,
        auth,
        sink,
        false,
        subscribeOptions?.slotHeld === true,
        subscribeOptions?.bindCursors === true,
      ),
    acquireConnection: (userId) => limiter.acquire(userId),
    validate,
    ingest,
    messages(request, auth) {
      return new RxObservable<Envelope>((subscriber) => {
        const handle = subscribe(
          request,
          auth,
          {
            write: (envelope) => {
              subscriber.next(envelope);
              return true;
            },
            close: (error?: SyncError) => (error ? subscriber.error(error) : subscriber.complete()),
          },
          true,
        );
        return () => handle.close();
      });
    },
    invalidate,
    stats() {
      let bufferedBatches = 0;
      for (const s of states.values()) bufferedBatches += s.log.size;
      let queuedMessages = 0;
      for (const s of subscriptions) queuedMessages += s.queued;
      return {
        subscriptions: subscriptions.size,
        bufferedBatches,
        queuedMessages,
        limiterDegraded: limiter.degraded === true,
        pubsubDown,
        malformedMessages,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      closing.abort();
      feed?.unsubscribe();
      for (const sub of [...subscriptions]) sub.close();
      await publisher?.close();
      await unsubscribePubSub?.();
    },
  };
}

/**
 * When a received batch does not follow what this hub knows (a batch lost in
 * transit, or a new producer), the position it knows (for the event); else null.
 * Before its first batch a hub knows only its snapshots' position (the floor):
 * a predecessor after it was missed.
 */
function missedBefore(log: ChannelLog, batch: ChangeBatch & { previous?: string | null }): string | null {
  const { previous } = batch;
  if (previous === undefined) return null; // the in-process feed
  const head = log.head;
  if (head !== null) return previous !== head && compareCheckpoints(batch.cursor, head) > 0 ? head : null;
  const floor = log.floor;
  return previous !== null && floor !== null && compareCheckpoints(previous, floor) > 0 ? floor : null;
}

/**
 * The most selective hashable term: an `eq`/`in` condition or the tenant ids,
 * whichever has fewer values; null (every change) for an every-tenant
 * subscription without such a condition.
 */
function indexTerm(
  channel: ChannelDefinition,
  filter: ParsedFilter,
  tenantIds: readonly string[] | null,
): IndexTerm | null {
  let best: IndexTerm | null =
    tenantIds === null
      ? null
      : {
          column: channel.tenantColumn,
          values: tenantIds.map(
            (id) => canonicalValueAs(columnComparedAs(channel, channel.tenantColumn), id) ?? '',
          ),
        };
  for (const c of filter.conditions) {
    if ((c.op === 'eq' || c.op === 'in') && (best === null || c.values.length < best.values.length)) {
      best = { column: c.column, values: c.values };
    }
  }
  return best;
}

/**
 * The access-audit action of an admin's cross-tenant subscription (its
 * resource is the channel, its detail the filter).
 *
 * @example
 * ```ts
 * const entries = (await audit.list()).filter((e) => e.action === REALTIME_SUBSCRIBE_ACTION);
 * ```
 */
export const REALTIME_SUBSCRIBE_ACTION = 'realtime.subscribe';

/** Every row operation, for `events`. */
export const ALL_EVENTS: readonly RowOperation[] = ROW_OPERATIONS;
