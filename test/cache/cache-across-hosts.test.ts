/**
 * Two caches as two hosts on one PostgreSQL store and one (private) Redis:
 * the shared layer, single flight across hosts, and invalidation from the
 * log when the bus drops messages, Redis restarts, or a host sleeps.
 */
import { Redis } from 'ioredis';
import { NEVER } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTieredCache, type TieredCache, type TieredCacheOptions } from '../../src/cache/index.js';
import { commerceCacheRules } from '../../src/commerce/cache-rules.js';
import type { PubSub } from '../../src/realtime/pubsub.js';
import { createRedisPubSub } from '../../src/realtime/redis-pubsub.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { visible } from '../processing/support.js';
import { postgresEngine, type TestDatabase } from '../support/databases.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';

describe.skipIf(!postgresEngine.available && !process.env.REQUIRE_SERVICES)('cache across two hosts', () => {
  let server: PrivateRedis;
  let db: TestDatabase;
  let store: EventStore;
  const clients: Redis[] = [];
  const caches: TieredCache[] = [];
  let prefix: string;

  beforeAll(async () => {
    server = await startPrivateRedis();
    db = await postgresEngine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
    await server?.close();
  });
  beforeEach(() => {
    prefix = `test:cache:${Math.random().toString(36).slice(2)}:`;
  });
  afterEach(async () => {
    for (const c of caches.splice(0)) await c.close();
    for (const r of clients.splice(0)) r.disconnect();
  });

  function client(): Redis {
    const r = new Redis(server.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    r.on('error', () => undefined); // expected while the server is stopped
    clients.push(r);
    return r;
  }

  async function host(options: Partial<TieredCacheOptions> = {}): Promise<TieredCache> {
    const cache = createTieredCache({
      store,
      rules: commerceCacheRules,
      redis: client(),
      prefix,
      pollIntervalMs: 50,
      ...options,
    });
    cache.on('error', () => undefined);
    caches.push(cache);
    await cache.start();
    return cache;
  }

  async function orderEvent(creatorId: string): Promise<void> {
    const { checkpoint } = await store.append(`order-${Math.random()}`, [
      { type: 'order.validated', data: { creatorId, orderId: 'o1' } },
    ]);
    await visible(store, checkpoint);
  }

  it('a copy one host loaded is served to the other from Redis', async () => {
    const [a, b] = [await host(), await host()];
    expect(await a.get('shared', () => 'from-a', { tags: ['orders:c1'] })).toBe('from-a');
    const onB = await b.lookup('shared', () => 'from-b', { tags: ['orders:c1'] });
    expect(onB).toEqual({ value: 'from-a', source: 'redis', stale: false });
    expect(b.metrics().tiers.warm.redisHits).toBe(1);
    expect((await b.lookup('shared', () => 'from-b')).source).toBe('memory');
  });

  it('a host started later judges older copies by reading the log since they were loaded', async () => {
    const a = await host();
    let version = 1;
    await a.get('older-ok', () => version, { tags: ['orders:c7'] });
    await a.get('older-stale', () => version, { tags: ['orders:c8'] });
    version = 2;
    await orderEvent('c8'); // invalidates older-stale, not older-ok
    await orderEvent('c9');
    const b = await host();
    expect(await b.lookup('older-ok', () => version, { tags: ['orders:c7'] })).toMatchObject({
      value: 1,
      source: 'redis',
    });
    expect(await b.lookup('older-stale', () => version, { tags: ['orders:c8'] })).toMatchObject({
      value: 2,
      source: 'loader',
    });
    const c = await host({ backfillMaxEvents: 0 }); // may not read back: reloads rather than guess
    expect((await c.lookup('older-ok', () => version, { tags: ['orders:c7'] })).source).not.toBe('memory');
  });

  it('each tier may have a Redis of its own (its size bounded by that server)', async () => {
    const coldServer = await startPrivateRedis();
    try {
      const cold = new Redis(coldServer.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
      cold.on('error', () => undefined);
      clients.push(cold);
      const warm = client();
      const a = await host({ redis: { warm, cold } });
      await a.get('w', () => 'warm value', { tier: 'warm' });
      await a.get('c', () => 'cold value', { tier: 'cold' });
      expect(await warm.exists(`${prefix}w`, `${prefix}c`)).toBe(1);
      expect(await cold.exists(`${prefix}c`)).toBe(1);
      await coldServer.stop();
      await waitFor(() => a.health().redis === 'down', { what: 'the cold Redis reported down' });
      expect(await a.get('c2', () => 'still answers', { tier: 'cold' })).toBe('still answers');
    } finally {
      await coldServer.close();
    }
  });

  it('an expensive key is loaded once across hosts (lock: true)', async () => {
    const [a, b] = [await host(), await host()];
    let calls = 0;
    const loader = async () => {
      calls++;
      const waits = () => a.metrics().tiers.warm.lockWaits + b.metrics().tiers.warm.lockWaits;
      await waitFor(() => waits() > 0 || calls > 1, { what: 'the other host to wait' });
      return 'expensive';
    };
    const reads = [a, b, a, b].map((c) => c.get('exp', loader, { lock: true, tags: ['orders:c1'] }));
    expect(await Promise.all(reads)).toEqual(['expensive', 'expensive', 'expensive', 'expensive']);
    expect(calls).toBe(1);
  });

  it('the log invalidates every host although the bus drops every message', async () => {
    const dropping: PubSub = {
      publish: async () => undefined,
      subscribe: async () => async () => undefined,
    };
    const [a, b] = [await host({ pubsub: dropping }), await host({ pubsub: dropping })];
    let version = 1;
    const read = (c: TieredCache) => c.get('metrics-c1', () => version, { tags: ['order_metrics:c1'] });
    expect([await read(a), await read(b)]).toEqual([1, 1]);
    version = 2;
    await orderEvent('c1');
    await waitFor(async () => (await read(a)) === 2 && (await read(b)) === 2, {
      what: 'both hosts to drop the copy',
    });
  });

  it('the Redis bus carries explicit invalidations; a lost one is not needed for log-driven ones', async () => {
    const pubsub = createRedisPubSub({ publisher: client(), subscriber: client(), prefix });
    const [a, b] = [await host({ pubsub }), await host({ pubsub })];
    let version = 1;
    await a.get('manual', () => version, { tier: 'hot', tags: ['reports:x'] });
    await b.get('manual', () => version, { tier: 'hot', tags: ['reports:x'] });
    version = 2;
    await a.invalidateTags(['reports:x']);
    await waitFor(
      async () => (await b.get('manual', () => version, { tier: 'hot', tags: ['reports:x'] })) === 2,
      {
        what: 'the bus to reach host b',
      },
    );
  });

  it('a delete on one host is not undone by a load the other host began before it', async () => {
    const pubsub = createRedisPubSub({ publisher: client(), subscriber: client(), prefix });
    const [a, b] = [await host({ pubsub }), await host({ pubsub })];
    let version = 1;
    await b.get('probe', () => 'old', { tier: 'hot' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const slow = b.get('row', async () => {
      started = true;
      const v = version; // b reads the row before a changes it
      await gate;
      return v;
    });
    await waitFor(() => started, { what: "b's load to start" });
    version = 2;
    await a.delete('row'); // a changed the row and drops every copy
    await a.delete('probe'); // the bus delivers in order: once b drops 'probe', it has heard of 'row'
    await waitFor(async () => (await b.get('probe', () => 'new', { tier: 'hot' })) === 'new', {
      what: 'the deletes to reach host b',
    });
    release();
    expect(await slow).toBe(1); // began before the delete
    expect(await a.lookup('row', () => version)).toMatchObject({ value: 2, source: 'loader' });
    expect(await b.get('row', () => version)).toBe(2);
  });

  it('Redis down: reads go on, health is degraded; entries invalidated meanwhile are never served after', async () => {
    const [a, b] = [await host(), await host()];
    const degraded: string[] = [];
    b.on('cache:degraded', (reason) => degraded.push(reason));
    let version = 1;
    const read = (c: TieredCache) => c.lookup('k', () => version, { tags: ['orders:c2'] });
    await read(a);
    expect((await read(b)).source).toBe('redis');
    const oldCopy = await clients[0]!.get(`${prefix}k`);
    expect(oldCopy).not.toBeNull();

    await server.stop();
    expect((await read(b)).value).toBe(1); // from memory, nothing fails
    expect((await b.lookup('fresh-key', () => 'loaded')).value).toBe('loaded'); // straight from the loader
    await waitFor(() => b.health().status === 'degraded', { what: 'degraded health' });
    expect(b.health().redis).toBe('down');
    expect(degraded.length).toBeGreaterThan(0);

    version = 2;
    await orderEvent('c2');
    await waitFor(async () => (await read(a)).value === 2 && (await read(b)).value === 2, {
      what: 'the outage-time change on both hosts',
    });

    await server.start();
    // As if the restarted Redis came back with an old snapshot: the copy from before the change.
    const admin = client();
    await waitFor(() => admin.status === 'ready', { what: 'Redis back' });
    await admin.set(`${prefix}k`, oldCopy!, 'PX', 60_000);
    const fresh = await host();
    await waitFor(() => caches.every((c) => c.health().redis === 'up' || c === a), {
      what: 'clients to reconnect',
    });
    for (const c of [b, fresh]) expect((await read(c)).value).toBe(2);
    await waitFor(async () => (await read(b)).source !== 'loader' && b.health().status === 'ok', {
      what: 'b healthy again',
    });
  });

  it('a host that slept reads the log before serving its copy', async () => {
    // No wake-ups and no poll: only a read can make this host look at the log.
    const asleep = {
      ...store,
      readAll: store.readAll.bind(store),
      headCheckpoint: store.headCheckpoint.bind(store),
      wakeups: NEVER,
    } as unknown as EventStore;
    const sleeper = await host({ store: asleep, pollIntervalMs: 3_600_000, maxStalenessMs: 200 });
    let version = 1;
    const read = () => sleeper.get('slept', () => version, { tier: 'hot', tags: ['orders:c3'] });
    expect(await read()).toBe(1);
    version = 2;
    await orderEvent('c3');
    await waitFor(async () => (await read()) === 2, { what: 'the read to catch up from the checkpoint' });
    expect(sleeper.metrics().invalidation.eventsRead).toBeGreaterThan(0);
  });
});
