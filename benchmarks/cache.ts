/**
 * `npm run bench -- cache`: the tiered cache against bentocache on the same
 * PostgreSQL and Redis, two "hosts" (two cache instances with their own
 * pools and Redis connections) in one process.
 * - `cache.hit_l1`: a cached key from the in-process layer (`ns_per_get`, p50/p95/p99).
 * - `cache.hit_l2`: a key another host loaded, from Redis (p50/p95/p99, target p95 ≤ 2 ms).
 * - `cache.invalidate`: from the append's commit acknowledgment to the moment
 *   both hosts applied the invalidation (ours: each host read the event from
 *   the log; bentocache: `deleteByTag` after the commit, then the other host
 *   received the bus message). Target p99 ≤ 100 ms.
 * - `cache.dashboard_query`: a dashboard aggregate read from PostgreSQL vs from the cache (`speedup`, target ≥ 20).
 *
 * Each line is the median of BENCH_RUNS runs (default 3). Environment:
 * BENCH_PG_URL, BENCH_REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_GETS (default 100 000), BENCH_L2_GETS (default 2 000), BENCH_INVALIDATIONS (default 200).
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import { fromPg } from '../src/adapters/pg.js';
import { createTieredCache, type TieredCache } from '../src/cache/index.js';
import { commerceCacheRules } from '../src/commerce/cache-rules.js';
import { createEventStore } from '../src/store/create-event-store.js';
import type { EventStore } from '../src/store/types.js';
import { dropSchema, freshSchemaName, openPool } from './support/pg-bench.js';
import { emit, latencySummary, medianOf, nowMs, percentile, round } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GETS = Number(process.env.BENCH_GETS ?? 100_000);
const L2_GETS = Number(process.env.BENCH_L2_GETS ?? 2000);
const INVALIDATIONS = Number(process.env.BENCH_INVALIDATIONS ?? 200);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DASHBOARD_ROWS = 50_000;

interface Host {
  store: EventStore;
  cache: TieredCache;
  redis: Redis;
  close(): Promise<void>;
}

async function ourHost(schema: string, prefix: string): Promise<Host> {
  const pool = openPool({ max: 4 });
  const store = createEventStore({ sql: fromPg(pool), schema });
  await store.migrate();
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: false });
  await new Promise((resolve) => redis.once('ready', resolve));
  const cache = createTieredCache({ store, rules: commerceCacheRules, redis, prefix });
  await cache.start();
  return {
    store,
    cache,
    redis,
    async close() {
      await cache.close();
      await store.close();
      redis.disconnect();
      await pool.end();
    },
  };
}

function bento(prefix: string): BentoCache<{ cache: ReturnType<typeof bentostore> }> {
  const url = new URL(REDIS_URL);
  const connection = { host: url.hostname, port: Number(url.port || 6379) };
  return new BentoCache({
    default: 'cache',
    prefix,
    stores: {
      cache: bentostore()
        .useL1Layer(memoryDriver({ maxSize: '64mb' }))
        .useL2Layer(redisDriver({ connection }))
        .useBus(redisBusDriver({ connection })),
    },
  });
}

async function hitL1(a: Host, b: BentoCache<never>): Promise<void> {
  const loader = () => ({ active_orders: 4, revenue: 1234.5 });
  const ours = await medianOf(RUNS, 'ns_per_get', async () => {
    await a.cache.get('l1', loader, { tags: ['order_metrics:c1'] });
    const started = nowMs();
    for (let i = 0; i < GETS; i++) await a.cache.get('l1', loader, { tags: ['order_metrics:c1'] });
    return { ns_per_get: round(((nowMs() - started) * 1e6) / GETS, 0) };
  });
  emit({ name: 'cache.hit_l1', impl: 'creatorflow', gets: GETS, ...ours });
  const theirs = await medianOf(RUNS, 'ns_per_get', async () => {
    await b.getOrSet({ key: 'l1', factory: loader, tags: ['order_metrics:c1'] });
    const started = nowMs();
    for (let i = 0; i < GETS; i++)
      await b.getOrSet({ key: 'l1', factory: loader, tags: ['order_metrics:c1'] });
    return { ns_per_get: round(((nowMs() - started) * 1e6) / GETS, 0) };
  });
  emit({ name: 'cache.hit_l1', impl: 'bentocache', gets: GETS, ...theirs });
}

async function hitL2(a: Host, b: Host, ba: BentoCache<never>, bb: BentoCache<never>): Promise<void> {
  const value = { rows: Array.from({ length: 20 }, (_, i) => ({ sku: `p${i}`, stock: i })) };
  const measure = async (load: (key: string) => Promise<unknown>, read: (key: string) => Promise<unknown>) =>
    medianOf(RUNS, 'p95_ms', async (run) => {
      const keys = Array.from({ length: L2_GETS }, (_, i) => `l2:${run}:${i}`);
      for (const key of keys) await load(key);
      const latencies: number[] = [];
      for (const key of keys) {
        const started = nowMs();
        await read(key);
        latencies.push(nowMs() - started);
      }
      return latencySummary(latencies);
    });
  const ours = await measure(
    (k) => a.cache.get(k, () => value, { tags: ['inventory:c1'] }),
    (k) => b.cache.get(k, () => value, { tags: ['inventory:c1'] }),
  );
  emit({
    name: 'cache.hit_l2',
    impl: 'creatorflow',
    gets: L2_GETS,
    ...ours,
    redis_hits: b.cache.metrics().tiers.warm.redisHits,
  });
  const theirs = await measure(
    (k) => ba.getOrSet({ key: k, factory: () => value, tags: ['inventory:c1'] }),
    (k) => bb.getOrSet({ key: k, factory: () => value, tags: ['inventory:c1'] }),
  );
  emit({ name: 'cache.hit_l2', impl: 'bentocache', gets: L2_GETS, ...theirs });
}

async function invalidate(a: Host, b: Host, ba: BentoCache<never>, bb: BentoCache<never>): Promise<void> {
  const appendOrder = (creatorId: string) =>
    a.store.append(`order-bench-${creatorId}`, [
      { type: 'order.validated', data: { creatorId, orderId: 'o1' } },
    ]);
  const ours = await medianOf(RUNS, 'p99_ms', async (run) => {
    const lags: number[] = [];
    for (let i = 0; i < INVALIDATIONS; i++) {
      const creatorId = `ours-${run}-${i}`;
      const tag = `order_metrics:${creatorId}`; // orders:<creator> cascades to it
      const seen = new Set<TieredCache>();
      let done!: () => void;
      const both = new Promise<void>((resolve) => (done = resolve));
      const listeners = [a.cache, b.cache].map((cache) => {
        const on = (info: { tags: string[] }) => {
          if (!info.tags.includes(tag)) return;
          seen.add(cache);
          if (seen.size === 2) done();
        };
        cache.on('cache:invalidated', on);
        return () => cache.off('cache:invalidated', on);
      });
      await appendOrder(creatorId);
      const committed = nowMs();
      await Promise.race([both, new Promise((r) => setTimeout(r, 5000))]);
      lags.push(nowMs() - committed);
      for (const off of listeners) off();
    }
    return latencySummary(lags);
  });
  emit({ name: 'cache.invalidate', impl: 'creatorflow', hosts: 2, invalidations: INVALIDATIONS, ...ours });
  let onBus: () => void = () => undefined;
  bb.on('bus:message:received', () => onBus());
  const theirs = await medianOf(RUNS, 'p99_ms', async (run) => {
    const lags: number[] = [];
    for (let i = 0; i < INVALIDATIONS; i++) {
      const creatorId = `bento-${run}-${i}`;
      const tag = `order_metrics:${creatorId}`;
      await ba.getOrSet({ key: `inv:${tag}`, factory: () => 1, tags: [tag] });
      await bb.getOrSet({ key: `inv:${tag}`, factory: () => 1, tags: [tag] });
      const received = new Promise<void>((resolve) => (onBus = resolve));
      await appendOrder(creatorId);
      const committed = nowMs();
      await ba.deleteByTag({ tags: [tag] });
      await Promise.race([received, new Promise((r) => setTimeout(r, 5000))]);
      lags.push(nowMs() - committed);
    }
    return latencySummary(lags);
  });
  emit({ name: 'cache.invalidate', impl: 'bentocache', hosts: 2, invalidations: INVALIDATIONS, ...theirs });
}

async function dashboardQuery(a: Host, schema: string): Promise<void> {
  const sql = a.store.sql!;
  const table = `"${schema}".bench_orders`;
  await sql.query(`CREATE TABLE ${table} (creator_id text, status text, amount numeric)`);
  await sql.query(
    `INSERT INTO ${table} SELECT 'c' || (g % 20), (ARRAY['paid','shipped','delivered'])[1 + g % 3], g % 500
     FROM generate_series(1, ${DASHBOARD_ROWS}) g`,
  );
  const query = () =>
    sql.query(
      `SELECT status, count(*) AS n, sum(amount) AS revenue FROM ${table} WHERE creator_id = $1 GROUP BY status`,
      ['c7'],
    );
  const result = await medianOf(RUNS, 'speedup', async () => {
    const db: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = nowMs();
      await query();
      db.push(nowMs() - started);
    }
    const cached: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const started = nowMs();
      await a.cache.get('dashboard:c7', async () => (await query()).rows, { tags: ['dashboard_stats:c7'] });
      cached.push(nowMs() - started);
    }
    const dbP50 = percentile(db, 50);
    const cacheP50 = percentile(cached, 50);
    return { db_p50_ms: round(dbP50), cache_p50_ms: round(cacheP50, 4), speedup: round(dbP50 / cacheP50, 0) };
  });
  emit({ name: 'cache.dashboard_query', rows: DASHBOARD_ROWS, ...result });
}

export default async function cacheBenchmark(): Promise<void> {
  const schema = freshSchemaName('bench_cache');
  const prefix = `bench:cache:${schema}:`;
  const [a, b] = [await ourHost(schema, prefix), await ourHost(schema, prefix)];
  const [ba, bb] = [bento(`${prefix}bento`), bento(`${prefix}bento`)];
  try {
    await hitL1(a, ba as BentoCache<never>);
    await hitL2(a, b, ba as BentoCache<never>, bb as BentoCache<never>);
    await invalidate(a, b, ba as BentoCache<never>, bb as BentoCache<never>);
    await dashboardQuery(a, schema);
  } finally {
    await ba.disconnectAll();
    await bb.disconnectAll();
    await a.close();
    await b.close();
    await dropSchema(schema);
  }
}
