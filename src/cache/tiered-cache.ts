/**
 * The read-through tiered cache. Reads go in-process layer → Redis layer →
 * loader, one load per key per host at a time (and per cluster with
 * `lock: true`). Whether a cached copy may be served is decided by the log:
 * each host reads the gapless log, records for every tag the position of the
 * last event that invalidated it, and serves an entry only when none of its
 * tags moved since the position it was loaded at.
 */
import { EventEmitter } from 'eventemitter3';
import type { Observable, Subscription } from 'rxjs';
import { InvalidArgumentError } from '../core/errors.js';
import type { RowChange } from '../core/row-change.js';
import type { PubSubUnsubscribe } from '../realtime/pubsub.js';
import { buildEntry, entryValue, type CacheEntry } from './cache-entry.js';
import { hitRatio, zeroCounters, type CacheMetrics, type TierCounters } from './cache-metrics.js';
import {
  CACHE_TIERS,
  redisClientFor,
  resolveCacheOptions,
  type CacheTier,
  type ResolvedCacheOptions,
  type TieredCacheOptions,
} from './cache-options.js';
import { cacheHealth } from './cache-health.js';
import type {
  CacheGetOptions,
  CacheHealth,
  CacheResult,
  CacheSource,
  TieredCacheEvents,
} from './cache-types.js';
import { CacheNotStartedError } from './errors.js';
import { publishBus, subscribeBus, type BusMessage } from './invalidation-bus.js';
import { expandCascades, tagsForRowChange, type InvalidationRules } from './invalidation-rules.js';
import { LogFollower } from './log-follower.js';
import { KeyDeletions } from './key-deletions.js';
import { checkpointOf, logPosition, type LogPosition } from './log-position.js';
import { MemoryLayer } from './memory-layer.js';
import { RedisLayer, type CacheRedisLike } from './redis-layer.js';
import { TagPositions } from './tag-positions.js';

const MAX_KEY_LENGTH = 1024;

/** A copy that may not be served fresh but may be served stale (`grace`). */
interface Kept {
  entry: CacheEntry;
  source: CacheSource;
}

/** A read under way for a key, and what this host had read of the log when it began. */
interface Flight {
  read: Promise<CacheResult<unknown>>;
  tags: readonly string[];
  position: LogPosition;
  startedAtMs: number;
}

/**
 * Create a tiered cache on an event store's log.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createTieredCache } from '@creatorflow/sync/cache';
 * import { commerceCacheRules } from '@creatorflow/sync/commerce';
 *
 * const cache = createTieredCache({ store, rules: commerceCacheRules, redis: new Redis(url) });
 * await cache.start();
 * const stats = await cache.get(`dashboard:${creatorId}`, () => loadDashboard(creatorId), {
 *   tier: 'warm', tags: [`dashboard_stats:${creatorId}`],
 * });
 * ```
 */
export function createTieredCache(options: TieredCacheOptions): TieredCache {
  return new TieredCache(options);
}

/**
 * See {@link createTieredCache}.
 *
 * @example
 * ```ts
 * const cache: TieredCache = createTieredCache({ store });
 * await cache.start();
 * ```
 */
export class TieredCache extends EventEmitter<TieredCacheEvents> {
  readonly #input: TieredCacheOptions;
  readonly #options: ResolvedCacheOptions;
  readonly #rules: InvalidationRules;
  readonly #now: () => number;
  readonly #memory: Record<CacheTier, MemoryLayer>;
  readonly #counters: Record<CacheTier, TierCounters>;
  /** Each tier's Redis layer (one per client: tiers sharing a client share it). */
  readonly #redisOf: Record<CacheTier, RedisLayer | undefined>;
  readonly #redisLayers: RedisLayer[];
  readonly #inflight = new Map<string, Flight>();
  #positions: TagPositions | undefined;
  #deletions: KeyDeletions | undefined;
  #follower: LogFollower | undefined;
  #bus: PubSubUnsubscribe | undefined;
  #degraded = false;
  #backfilling: Promise<boolean> | undefined;
  /** The lowest position a backfill gave up at (not tried again below it). */
  #backfillFailedAt: string | undefined;

  constructor(options: TieredCacheOptions) {
    super();
    this.#options = resolveCacheOptions(options);
    this.#input = options;
    this.#rules = options.rules ?? {};
    this.#now = options.now ?? Date.now;
    const memory = {} as Record<CacheTier, MemoryLayer>;
    const counters = {} as Record<CacheTier, TierCounters>;
    for (const tier of CACHE_TIERS) {
      const t = this.#options.tiers[tier];
      memory[tier] = new MemoryLayer({
        maxBytes: t.maxMemoryBytes,
        maxBytesPerUser: t.maxMemoryBytesPerUser ?? undefined,
        maxUsers: this.#options.maxUsers,
      });
      counters[tier] = zeroCounters();
    }
    this.#memory = memory;
    this.#counters = counters;
    const layers = new Map<CacheRedisLike, RedisLayer>();
    const redisOf = {} as Record<CacheTier, RedisLayer | undefined>;
    for (const tier of CACHE_TIERS) {
      const client = this.#options.tiers[tier].redis ? redisClientFor(options.redis, tier) : undefined;
      if (client && !layers.has(client)) {
        const layer = new RedisLayer({
          redis: client,
          prefix: this.#options.prefix,
          commandTimeoutMs: this.#options.commandTimeoutMs,
        });
        layer.on('down', () => this.#checkHealth());
        layer.on('up', () => this.#checkHealth());
        layers.set(client, layer);
      }
      redisOf[tier] = client && layers.get(client);
    }
    this.#redisOf = redisOf;
    this.#redisLayers = [...layers.values()];
  }

  /** Start following the log from its head, subscribe to the bus, then load the declared warm keys. */
  async start(): Promise<void> {
    if (this.#follower) return;
    const store = this.#input.store;
    const checkpoint = await store.headCheckpoint();
    const positions = new TagPositions({ maxTags: this.#options.maxTags, start: logPosition(checkpoint) });
    const follower = new LogFollower({
      store,
      rules: this.#rules,
      positions,
      checkpoint,
      pollIntervalMs: this.#options.pollIntervalMs,
      batchSize: this.#options.batchSize,
      now: this.#now,
    });
    follower.on('invalidated', (info) => this.emit('cache:invalidated', info));
    follower.on('recovered', () => this.#checkHealth());
    follower.on('error', (err) => {
      this.emit('error', err);
      this.#checkHealth();
    });
    this.#positions = positions;
    this.#deletions = new KeyDeletions(this.#options.maxTags);
    this.#follower = follower;
    follower.start();
    await Promise.all(this.#redisLayers.map((l) => l.ready(this.#options.redisConnectTimeoutMs)));
    if (this.#input.pubsub)
      this.#bus = await subscribeBus(this.#input.pubsub, this.#options.prefix, (m) => this.#onBus(m));
    await this.#warm();
  }

  /** Stop following the log and the bus; the cache can be started again (it then starts from the head). */
  async stop(): Promise<void> {
    const follower = this.#follower;
    this.#follower = undefined;
    this.#positions = undefined;
    this.#deletions = undefined;
    await follower?.stop();
    await this.#bus?.();
    this.#bus = undefined;
    for (const tier of CACHE_TIERS) this.#memory[tier].clear();
  }

  /** Stop, and detach from the Redis client (which stays open: it is the host's). */
  async close(): Promise<void> {
    await this.stop();
    for (const layer of this.#redisLayers) layer.close();
  }

  /**
   * Read `key` through the cache: a current cached copy, else `loader()`
   * (called once per key per host however many reads wait). `null` and
   * `undefined` results are cached for the tier's `negativeTtlMs`. A loader's
   * error reaches the caller unless `grace` allows a stale copy.
   *
   * @example
   * ```ts
   * const order = await cache.get(`order:${id}`, () => db.findOrder(id), { tier: 'hot', tags: [`orders:${creatorId}`], user: creatorId });
   * ```
   */
  async get<T>(key: string, loader: () => T | Promise<T>, options: CacheGetOptions = {}): Promise<T> {
    return (await this.lookup(key, loader, options)).value;
  }

  /**
   * Like {@link get}, telling where the value came from and whether it is stale.
   *
   * @example
   * ```ts
   * const { value, stale } = await cache.lookup('stats:c1', loadStats, { grace: 60_000, tags: ['dashboard_stats:c1'] });
   * if (stale) res.setHeader('Warning', '110 - "Response is Stale"');
   * ```
   */
  lookup<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: CacheGetOptions = {},
  ): Promise<CacheResult<T>> {
    this.#check(key, options);
    if (!this.#follower) return Promise.reject(new CacheNotStartedError());
    const tier = options.tier ?? 'warm';
    // Fast path: a current in-process copy and a log read within the bound.
    if (this.#follower.confirmedAgoMs <= this.#options.maxStalenessMs) {
      const local = this.#memory[tier].get(key);
      if (local && this.#current(key, local))
        return Promise.resolve(this.#hit<T>(local, 'memory', this.#counters[tier]));
    }
    const flightKey = `${tier}\u0000${key}`;
    const running = this.#inflight.get(flightKey);
    // Join a read under way only if nothing it answers for changed since it began:
    // a read begun after this host learnt of a change must not get a value loaded before it.
    if (running && this.#unchangedSince(key, running, options.tags))
      return running.read as Promise<CacheResult<T>>;
    const flight: Flight = {
      read: this.#read(key, loader, options, tier).finally(() => {
        if (this.#inflight.get(flightKey) === flight) this.#inflight.delete(flightKey);
      }),
      tags: options.tags ?? [],
      position: this.#follower.position,
      startedAtMs: this.#now(),
    };
    this.#inflight.set(flightKey, flight);
    return flight.read as Promise<CacheResult<T>>;
  }

  /**
   * Drop `key` from every tier here and in Redis, and tell the other hosts.
   *
   * @example
   * ```ts
   * await cache.delete(`order:${id}`);
   * ```
   */
  async delete(key: string): Promise<void> {
    this.#check(key, {});
    this.#deletionsOrThrow().record(key, this.#now());
    this.#dropLocal(key);
    await Promise.all(this.#redisLayers.map((l) => l.delete(key)));
    if (this.#input.pubsub)
      this.#reportBus(await publishBus(this.#input.pubsub, this.#options.prefix, { kind: 'delete', key }));
  }

  /**
   * Invalidate tags (cascades applied) here and, over the bus, on other hosts.
   * For an invalidation no host may miss, append an event the rules map to these tags instead.
   *
   * @example
   * ```ts
   * await cache.invalidateTags(['orders:c1']); // also order_metrics:c1 and dashboard_stats:c1 with the commerce rules
   * ```
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    const all = [...expandCascades(this.#rules.cascades ?? [], tags)];
    this.#positionsOrThrow().invalidateAt(all, this.#now());
    if (this.#input.pubsub)
      this.#reportBus(
        await publishBus(this.#input.pubsub, this.#options.prefix, { kind: 'tags', tags: all }),
      );
  }

  /**
   * Invalidate what a read-model row change maps to (the `rows` rules) — for
   * read models projected asynchronously, whose rows change after their event
   * is in the log. Other hosts hear of it over the bus.
   *
   * @example
   * ```ts
   * commerce.changes.subscribe((change) => void cache.applyRowChange(change));
   * ```
   */
  async applyRowChange(change: RowChange): Promise<void> {
    const tags = tagsForRowChange(this.#rules, change);
    if (tags.size > 0) await this.invalidateTags([...tags]);
  }

  /**
   * Invalidate everything the `rows` rules map `tables`' rows to (each rule's
   * broad tag, and its cascades): for changes a read model says it never
   * published (`changesLost`: a transaction whose answer was lost committed).
   * Other hosts hear of it over the bus.
   *
   * @example
   * ```ts
   * commerce.changesLost.subscribe((tables) => void cache.applyChangesLost(tables));
   * ```
   */
  async applyChangesLost(tables: readonly string[]): Promise<void> {
    const tags = new Set<string>();
    for (const table of tables) {
      const none = { table, key: {}, newRow: null, oldRow: null };
      for (const tag of tagsForRowChange(this.#rules, none)) tags.add(tag);
    }
    if (tags.size > 0) await this.invalidateTags([...tags]);
  }

  /**
   * Apply every row change of a feed (see {@link applyRowChange}), and with
   * `changesLost` the tables whose changes it missed (see
   * {@link applyChangesLost}); unsubscribe to stop.
   *
   * @example
   * ```ts
   * const sub = cache.followRowChanges(commerce.changes, commerce.changesLost);
   * ```
   */
  followRowChanges(
    changes: Observable<RowChange>,
    changesLost?: Observable<readonly string[]>,
  ): Subscription {
    const report = (err: unknown) => this.emit('error', err);
    const subscription = changes.subscribe((change) => {
      this.applyRowChange(change).catch(report);
    });
    if (changesLost)
      subscription.add(changesLost.subscribe((tables) => void this.applyChangesLost(tables).catch(report)));
    return subscription;
  }

  /**
   * Resolve once this host has read the log as it stands now (e.g. in tests, or before serving).
   *
   * @example
   * ```ts
   * await store.append(...); await cache.whenCaughtUp();
   * ```
   */
  async whenCaughtUp(): Promise<void> {
    const follower = this.#follower;
    if (!follower) throw new CacheNotStartedError();
    await follower.catchUp();
  }

  /**
   * Hits, misses, stale values served, evictions and hit ratio per tier, and the invalidation lag.
   *
   * @example
   * ```ts
   * const { tiers, invalidation } = cache.metrics();
   * console.log(tiers.warm.hitRatio, invalidation.lagMs.p99);
   * ```
   */
  metrics(): CacheMetrics {
    const tiers = {} as CacheMetrics['tiers'];
    for (const tier of CACHE_TIERS) {
      const c = this.#counters[tier];
      const m = this.#memory[tier];
      tiers[tier] = { ...c, evictions: m.evictions, hitRatio: hitRatio(c), entries: m.size, bytes: m.bytes };
    }
    const lag = this.#follower?.lag.summary() ?? { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    return { tiers, invalidation: { eventsRead: this.#follower?.eventsRead ?? 0, lagMs: lag } };
  }

  /**
   * Health: degraded while Redis is down, or the log cannot be read (reads still answer).
   *
   * @example
   * ```ts
   * if (cache.health().status === 'degraded') log.warn(cache.health().reasons);
   * ```
   */
  health(): CacheHealth {
    return cacheHealth({
      redis:
        this.#redisLayers.length === 0
          ? undefined
          : {
              up: this.#redisLayers.every((l) => l.up),
              lastError: this.#redisLayers.find((l) => !l.up)?.lastError,
            },
      follower: this.#follower,
      maxStalenessMs: this.#options.maxStalenessMs,
    });
  }

  async #read<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: CacheGetOptions,
    tier: CacheTier,
  ): Promise<CacheResult<T>> {
    const counters = this.#counters[tier];
    const fresh =
      this.#follower!.confirmedAgoMs <= this.#options.maxStalenessMs || (await this.#ensureFresh());
    const local = this.#memory[tier].get(key);
    if (local && fresh && this.#current(key, local)) return this.#hit(local, 'memory', counters);
    let kept: Kept | undefined = local && { entry: local, source: 'memory' };
    const redis = this.#redisOf[tier];
    if (redis) {
      const shared = await redis.get(key);
      if (shared && fresh && (this.#current(key, shared) || (await this.#backfilled(key, shared))))
        return this.#adopt(key, tier, shared, options);
      if (shared && (!kept || shared.loadedAtMs > kept.entry.loadedAtMs))
        kept = { entry: shared, source: 'redis' };
      if (options.lock && fresh && redis.up) {
        const release = await redis.lock(key, this.#options.lockTtlMs);
        if (!release) {
          counters.lockWaits++;
          const copy = await redis.waitForCopy(
            key,
            async (e) => this.#current(key, e) || (await this.#backfilled(key, e)),
            this.#options.lockTtlMs,
          );
          if (copy) return this.#adopt(key, tier, copy, options);
        } else {
          try {
            return await this.#load(key, loader, options, tier, kept);
          } finally {
            await release();
          }
        }
      }
    }
    return this.#load(key, loader, options, tier, kept);
  }

  async #load<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: CacheGetOptions,
    tier: CacheTier,
    kept: Kept | undefined,
  ): Promise<CacheResult<T>> {
    const counters = this.#counters[tier];
    const settings = this.#options.tiers[tier];
    counters.misses++;
    // Stamped before the loader runs: an invalidation read meanwhile outdates this copy.
    const loadedAt = this.#follower!.position;
    const loadedAtMs = this.#now();
    let value: T;
    try {
      value = await loader();
    } catch (err) {
      counters.loadErrors++;
      if (kept && this.#graceAllows(kept.entry, options.grace)) {
        counters.staleServed++;
        return { value: entryValue(kept.entry) as T, source: kept.source, stale: true };
      }
      throw err;
    }
    const negative = value === null || value === undefined;
    const ttlMs = negative ? settings.negativeTtlMs : (options.ttlMs ?? settings.ttlMs);
    if (ttlMs <= 0) return { value, source: 'loader', stale: false };
    const now = this.#now();
    const built = buildEntry(value, {
      tags: options.tags ?? [],
      loadedAt,
      loadedAtMs,
      now,
      ttlMs,
      graceMs: settings.graceMs,
      user: options.user,
    });
    if (!built) {
      counters.uncacheable++;
      return { value, source: 'loader', stale: false };
    }
    const { entry, serialized } = built;
    // Outdated while loading (an invalidation or a delete was read meanwhile): answer
    // this caller, whose read began before the change, but keep no copy.
    if (!this.#current(key, entry)) return { value, source: 'loader', stale: false };
    const retainMs = entry.staleUntil - now;
    if (!this.#memory[tier].set(key, entry, retainMs)) counters.uncacheable++;
    await this.#redisOf[tier]?.set(key, serialized, retainMs);
    return { value, source: 'loader', stale: false };
  }

  /**
   * A copy loaded before this host began following the log (another host
   * loaded it, or this one before a restart): read the log from the copy's
   * position up to the floor once, then judge it. Bounded by `backfillMaxEvents`.
   */
  async #backfilled(key: string, entry: CacheEntry): Promise<boolean> {
    const positions = this.#positionsOrThrow();
    const floor = positions.floor;
    if (entry.loadedAt >= floor || entry.tags.length === 0) return false;
    if (this.#backfillFailedAt !== undefined && entry.loadedAt <= this.#backfillFailedAt) return false;
    this.#backfilling ??= this.#follower!.backfill(
      checkpointOf(entry.loadedAt),
      floor,
      this.#options.backfillMaxEvents,
    ).finally(() => (this.#backfilling = undefined));
    const done = await this.#backfilling;
    if (!done && positions.floor === floor) this.#backfillFailedAt = entry.loadedAt;
    return this.#current(key, entry);
  }

  #adopt<T>(key: string, tier: CacheTier, shared: CacheEntry, options: CacheGetOptions): CacheResult<T> {
    const entry = options.user === undefined ? shared : { ...shared, user: options.user };
    this.#memory[tier].set(key, entry, entry.staleUntil - this.#now());
    return this.#hit(entry, 'redis', this.#counters[tier]);
  }

  #hit<T>(entry: CacheEntry, source: CacheSource, counters: TierCounters): CacheResult<T> {
    if (source === 'memory') counters.memoryHits++;
    else counters.redisHits++;
    if (entry.negative) counters.negativeHits++;
    return { value: entryValue(entry) as T, source, stale: false };
  }

  /** Fresh, not deleted, and no tag of it invalidated since it was loaded. */
  #current(key: string, entry: CacheEntry): boolean {
    return (
      this.#now() < entry.expiresAt &&
      !this.#deletionsOrThrow().deletedSince(key, entry.loadedAtMs) &&
      this.#positionsOrThrow().isCurrent(entry.tags, entry.loadedAt, entry.loadedAtMs)
    );
  }

  /** Whether a read under way still answers for `key` (and `tags`): nothing deleted or invalidated since it began. */
  #unchangedSince(key: string, flight: Flight, tags: readonly string[] | undefined): boolean {
    const all = tags === undefined ? flight.tags : [...flight.tags, ...tags];
    return (
      !this.#deletionsOrThrow().deletedSince(key, flight.startedAtMs) &&
      this.#positionsOrThrow().isCurrent(all, flight.position, flight.startedAtMs)
    );
  }

  #graceAllows(entry: CacheEntry, grace: boolean | number | undefined): boolean {
    if (grace === undefined || grace === false) return false;
    const now = this.#now();
    if (now >= entry.staleUntil) return false;
    return grace === true || now - entry.loadedAtMs <= grace;
  }

  /**
   * True when the log has been read within the staleness bound — reading it
   * now if not (a host that slept, or lost the database). False when it
   * cannot be read: nothing cached is served then, only loaders and grace.
   */
  async #ensureFresh(): Promise<boolean> {
    const follower = this.#follower!;
    if (follower.confirmedAgoMs <= this.#options.maxStalenessMs) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.maxStalenessMs);
    });
    try {
      await Promise.race([follower.catchUp(), timeout]);
    } catch {
      // Reported by the follower's 'error' event.
    } finally {
      clearTimeout(timer);
    }
    this.#checkHealth();
    return follower.confirmedAgoMs <= this.#options.maxStalenessMs;
  }

  #onBus(message: BusMessage): void {
    if (message.kind === 'delete') {
      this.#deletions?.record(message.key, this.#now());
      this.#dropLocal(message.key);
    } else this.#positions?.invalidateAt(message.tags, this.#now());
  }

  #reportBus(error: unknown): void {
    if (error !== undefined) this.emit('error', error);
  }

  #dropLocal(key: string): void {
    for (const tier of CACHE_TIERS) this.#memory[tier].delete(key);
  }

  async #warm(): Promise<void> {
    for (const { key, loader, options } of this.#input.warm ?? []) {
      try {
        await this.lookup(key, loader, options ? toGetOptions(options) : {});
      } catch (err) {
        this.emit('error', err);
      }
    }
  }

  #checkHealth(): void {
    const health = this.health();
    const degraded = health.status === 'degraded' && this.#follower !== undefined;
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    if (degraded) this.emit('cache:degraded', health.reasons.join('; '));
    else this.emit('cache:recovered');
  }

  #deletionsOrThrow(): KeyDeletions {
    if (!this.#deletions) throw new CacheNotStartedError();
    return this.#deletions;
  }

  #positionsOrThrow(): TagPositions {
    if (!this.#positions) throw new CacheNotStartedError();
    return this.#positions;
  }

  #check(key: string, options: CacheGetOptions): void {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH)
      throw new InvalidArgumentError(`A cache key must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
    if (options.tier !== undefined && !(CACHE_TIERS as readonly string[]).includes(options.tier))
      throw new InvalidArgumentError(
        `Unknown cache tier "${String(options.tier)}" (expected ${CACHE_TIERS.join(', ')})`,
      );
    if (options.ttlMs !== undefined && !(Number.isInteger(options.ttlMs) && options.ttlMs > 0))
      throw new InvalidArgumentError('ttlMs must be a positive integer');
    if (options.tags !== undefined && !options.tags.every((t) => typeof t === 'string' && t.length > 0))
      throw new InvalidArgumentError('tags must be non-empty strings');
  }
}

function toGetOptions(o: NonNullable<TieredCacheOptions['warm']>[number]['options']): CacheGetOptions {
  return { ...o };
}
