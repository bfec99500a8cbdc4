/**
 * A realtime connection limiter on Redis, so a user's limit holds across
 * every host process (`@creatorflow/sync/redis`).
 *
 * Each connection is a member of its user's sorted set, scored by the time it
 * expires. A host refreshes the expiry of its own connections on a heartbeat;
 * a host that dies (SIGKILL, network partition) stops refreshing, and its
 * entries are swept by the next acquire once they expire — its users get
 * their slots back within `ttlMs`. Time comes from the Redis server (`TIME`),
 * so host clocks that disagree cannot stretch or shrink a lease.
 *
 * Redis is not needed to serve a connection: when a command fails or takes
 * longer than `commandTimeoutMs`, the limiter degrades to a per-process limit
 * (same maximum), reports it (`degraded`, `'limiter:degraded'`) and keeps
 * probing on the heartbeat; once Redis answers it re-registers every
 * connection this process holds and reports `'limiter:recovered'`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import {
  ConnectionLimiter,
  type ConnectionLimiterPort,
  type ReleaseSlot,
} from '../realtime/connection-limiter.js';
import { TooManyConnectionsError } from '../realtime/errors.js';
import { Heartbeat } from '../runtime/heartbeat.js';

/** The subset of an ioredis client this limiter uses (declared, so nothing imports ioredis types). */
export interface RedisScriptClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  /**
   * ioredis emits `'error'` on connection failures (the limiter listens, so none
   * goes unhandled, and degrades at once) and `'ready'` once connected (it probes then).
   */
  on?(event: 'error' | 'ready', listener: (arg?: unknown) => void): unknown;
  off?(event: 'error' | 'ready', listener: (arg?: unknown) => void): unknown;
}

/** Lifecycle events of the Redis connection limiter. */
export interface RedisConnectionLimiterEventMap {
  /** Redis failed or timed out: the per-process limit applies until it answers again. */
  'limiter:degraded': [info: { error: unknown }];
  /** Redis answers again; this process's connections are registered there again. */
  'limiter:recovered': [];
  /** A Redis failure (also reported as `limiter:degraded` when it changes the mode). */
  error: [error: unknown];
}

/**
 * Options of {@link createRedisConnectionLimiter}.
 *
 * @example
 * ```ts
 * const limiter = createRedisConnectionLimiter({ redis, maxConnectionsPerUser: 10, ttlMs: 15_000 });
 * ```
 */
export interface RedisConnectionLimiterOptions {
  /** The ioredis client (the host's; never closed by the limiter). */
  redis: RedisScriptClient;
  /** Connections per user over all hosts. Default 10. */
  maxConnectionsPerUser?: number;
  /** `Retry-After` past the limit, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /** Key prefix (one sorted set per user). Default `'creatorflow:realtime:connections:'`. */
  prefix?: string;
  /** A connection entry expires this long after its last refresh: a dead host's slots come back within it. Default 15,000 ms. */
  ttlMs?: number;
  /** How often this process refreshes its entries and, when degraded, probes Redis. Default `ttlMs / 3`; 0 = only on `heartbeat()`. */
  heartbeatMs?: number;
  /** Longest wait for one Redis command before degrading. Default 1,000 ms. */
  commandTimeoutMs?: number;
  /** Clock in ms for the scripts instead of Redis `TIME` (tests). */
  now?: () => number;
}

/** The Redis connection limiter. */
export interface RedisConnectionLimiter extends ConnectionLimiterPort {
  acquire(userId: string): Promise<ReleaseSlot>;
  /** True while Redis is unreachable and the per-process limit applies. */
  readonly degraded: boolean;
  readonly events: EventEmitter<RedisConnectionLimiterEventMap>;
  /** Refresh this process's entries now (and probe Redis when degraded); the interval calls it. */
  heartbeat(): Promise<void>;
  /** Stop the heartbeat and stop listening to the client (entries of open connections then expire). */
  close(): Promise<void>;
}

/** Server time in ms, or the test clock passed as the last argument. */
const NOW = `
local now
if ARGV[#ARGV] ~= '' then now = tonumber(ARGV[#ARGV]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/** KEYS[1] user set; ARGV max, ttl, member, clock. Sweeps expired entries, then takes a slot: 1, or 0 when full. */
const ACQUIRE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1`;

/**
 * KEYS[1] user set; ARGV ttl, members…, clock. Pushes the members' expiry out; re-adds
 * missing ones (Redis restarted, or admitted while degraded), so the count is true again.
 */
const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV - 1 do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`;

/** KEYS[1] user set; ARGV member. */
const RELEASE = `return redis.call('ZREM', KEYS[1], ARGV[1])`;

/** A Lua script run by hash, loaded on first use (NOSCRIPT). */
class Script {
  readonly #text: string;
  readonly #sha: string;
  constructor(text: string) {
    this.#text = text;
    this.#sha = createHash('sha1').update(text).digest('hex');
  }
  async run(redis: RedisScriptClient, key: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, 1, key, ...args);
    } catch (err) {
      if (!String((err as Error | undefined)?.message).includes('NOSCRIPT')) throw err;
      return redis.eval(this.#text, 1, key, ...args);
    }
  }
}

const SCRIPTS = { acquire: new Script(ACQUIRE), refresh: new Script(REFRESH), release: new Script(RELEASE) };

/** Rejects when `promise` has not settled within `ms` (the command may still run; its entry then expires). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Create a connection limiter on Redis.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRedisConnectionLimiter } from '@creatorflow/sync/redis';
 * const connectionLimiter = createRedisConnectionLimiter({ redis: new Redis(url), maxConnectionsPerUser: 10 });
 * connectionLimiter.events.on('limiter:degraded', ({ error }) => log.warn('realtime limit per process', error));
 * const engine = createSyncEngine({ sql, realtime: { connectionLimiter } });
 * ```
 */
export function createRedisConnectionLimiter(options: RedisConnectionLimiterOptions): RedisConnectionLimiter {
  const { redis } = options;
  const max = options.maxConnectionsPerUser ?? 10;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  const prefix = options.prefix ?? 'creatorflow:realtime:connections:';
  const ttlMs = options.ttlMs ?? 15_000;
  const heartbeatMs = options.heartbeatMs ?? Math.floor(ttlMs / 3);
  const timeoutMs = options.commandTimeoutMs ?? 1000;
  const clock = (): string => (options.now ? String(options.now()) : '');
  // Every connection of this process, admitted through Redis or not: the per-process limit
  // while degraded, and what the heartbeat keeps registered.
  const local = new ConnectionLimiter(max, retryAfterSeconds);
  const held = new Map<string, Set<string>>();
  const hostId = randomUUID();
  const events = new EventEmitter<RedisConnectionLimiterEventMap>();
  let nextMember = 1;
  let degraded = false;
  let beating: Promise<void> | null = null;

  const run = (script: Script, userId: string, args: (string | number)[]) =>
    within(script.run(redis, prefix + userId, args), timeoutMs);

  function fail(error: unknown): void {
    events.emit('error', error);
    if (degraded) return;
    degraded = true;
    events.emit('limiter:degraded', { error });
  }

  function hold(userId: string, member: string): void {
    let set = held.get(userId);
    if (!set) held.set(userId, (set = new Set()));
    set.add(member);
  }

  function unhold(userId: string, member: string): void {
    const set = held.get(userId);
    set?.delete(member);
    if (set?.size === 0) held.delete(userId);
  }

  async function acquire(userId: string): Promise<ReleaseSlot> {
    const releaseLocal = local.acquire(userId); // the per-process bound holds in every mode
    const member = `${hostId}:${nextMember++}`;
    if (!degraded) {
      let reply: unknown;
      try {
        reply = await run(SCRIPTS.acquire, userId, [max, ttlMs, member, clock()]);
      } catch (err) {
        fail(err); // admitted on the per-process limit; the heartbeat registers it once Redis is back
      }
      if (reply === 0) {
        releaseLocal();
        throw new TooManyConnectionsError(userId, max, retryAfterSeconds);
      }
    }
    hold(userId, member);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseLocal();
      unhold(userId, member);
      // Unrefreshed, the entry expires within ttlMs anyway: no commands pile up on a Redis that is down.
      if (degraded) return;
      // After a heartbeat in flight, which could otherwise re-add the entry just removed.
      void (beating ?? Promise.resolve())
        .then(() => run(SCRIPTS.release, userId, [member]))
        .catch((err: unknown) => events.emit('error', err)); // the entry expires on its own
    };
  }

  async function refreshAll(): Promise<void> {
    const users = [...held].map(([userId, members]) => [userId, [...members]] as const);
    // With nothing held, a refresh of an empty key is the probe.
    const work = users.length > 0 ? users : ([[`${hostId}:probe`, []]] as const);
    try {
      await Promise.all(
        work.map(([userId, members]) => run(SCRIPTS.refresh, userId, [ttlMs, ...members, clock()])),
      );
    } catch (err) {
      fail(err);
      return;
    }
    if (degraded) {
      degraded = false;
      events.emit('limiter:recovered');
    }
  }

  function heartbeat(): Promise<void> {
    beating ??= refreshAll().finally(() => {
      beating = null;
    });
    return beating;
  }

  const onClientError = (error: unknown) => fail(error);
  const onClientReady = () => void (degraded ? heartbeat() : undefined);
  redis.on?.('error', onClientError);
  redis.on?.('ready', onClientReady);

  // The runtime's one heartbeat: a refresh that overruns delays the next instead of overlapping it.
  const beats = heartbeatMs > 0 ? new Heartbeat({ intervalMs: heartbeatMs, beat: () => heartbeat() }) : null;
  beats?.start();

  return {
    acquire,
    get degraded() {
      return degraded;
    },
    events,
    heartbeat,
    async close() {
      beats?.stop();
      redis.off?.('error', onClientError);
      redis.off?.('ready', onClientReady);
      await beating;
    },
  };
}
