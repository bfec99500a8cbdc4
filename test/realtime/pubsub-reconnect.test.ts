/**
 * The real brokers' connections break (Redis restarted, the LISTEN backend
 * terminated): each adapter says when its subscription is active again, and a
 * projection taken over by another host makes every hub reload its channels.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { LiveTable } from '../../src/client/live-table.js';
import type { SyncEngine } from '../../src/engine.js';
import { createPgPubSub, migrateRealtime } from '../../src/realtime/pg-pubsub.js';
import type { PubSub } from '../../src/realtime/pubsub.js';
import { createRedisPubSub } from '../../src/realtime/redis-pubsub.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { CHANNELS, TestClient, harness } from './support.js';
import { postgresEngine, postgresUrl, redisUrl } from '../support/databases.js';
import { redisServerBinary, startPrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';
import { setStock, stockEngine } from './engine-fixture.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Subscribe and record messages and resumes. */
async function listenTo(pubsub: PubSub, topic: string) {
  const seen = { messages: [] as string[], resumes: 0 };
  const off = await pubsub.subscribe(
    topic,
    (m) => seen.messages.push(m),
    () => seen.resumes++,
  );
  cleanup.push(off);
  return seen;
}

describe('pub/sub adapters tell when a broken subscription is active again', () => {
  it.skipIf(redisServerBinary() === null)('Redis: after a restart of the server', async () => {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.close());
    const options = { maxRetriesPerRequest: 1, retryStrategy: () => 50 };
    const publisher = new Redis(redis.url, options);
    const subscriber = new Redis(redis.url, options);
    for (const c of [publisher, subscriber]) c.on('error', () => undefined);
    cleanup.push(() => {
      publisher.disconnect();
      subscriber.disconnect();
    });
    const pubsub = createRedisPubSub({ publisher, subscriber, prefix: 'resume:' });
    const seen = await listenTo(pubsub, 't');
    await pubsub.publish('t', 'before');
    await waitFor(() => seen.messages.includes('before'), { timeoutMs: 10_000 });
    expect(seen.resumes).toBe(0);

    await redis.stop();
    await redis.start();
    await waitFor(() => seen.resumes === 1, { timeoutMs: 20_000 });
    // Told only once the subscription is active: a message published now arrives.
    await pubsub.publish('t', 'after');
    await waitFor(() => seen.messages.includes('after'), { timeoutMs: 10_000 });
    await pubsub.close?.();
  });

  it.skipIf(redisServerBinary() === null)(
    'Redis: a hub started while the server was down subscribes once it is up, and its rows arrive',
    async () => {
      const redis = await startPrivateRedis();
      cleanup.push(() => redis.close());
      const options = { maxRetriesPerRequest: 1, retryStrategy: () => 50 };
      const clients = [0, 1, 2].map(() => new Redis(redis.url, options));
      for (const c of clients) c.on('error', () => undefined);
      cleanup.push(() => clients.forEach((c) => c.disconnect()));
      const [publisher, subscriber, otherHost] = clients as [Redis, Redis, Redis];
      const { model, takeBatch } = harness(); // the rows, and the batches another host publishes
      await redis.stop();
      const hub = createRealtimeHub({
        channels: CHANNELS,
        heartbeatMs: 0,
        snapshot: model.snapshot,
        pubsub: createRedisPubSub({ publisher, subscriber }),
      });
      hub.events.on('error', () => undefined);
      cleanup.push(() => hub.close());
      await hub.ready; // resolves, does not reject, although Redis is down
      expect(hub.stats().pubsubDown).toBe(true);
      await redis.start();
      await waitFor(() => !hub.stats().pubsubDown, { timeoutMs: 20_000 });
      const client = new TestClient(
        hub,
        { userId: 'u1', tenantIds: ['c1'] },
        { channel: 'inventory_alerts' },
      );
      client.connect();
      await waitFor(() => client.received.some((e) => e.type === 'ready'), { timeoutMs: 10_000 });
      // Another host publishes a batch: it arrives, so the subscription really holds.
      await waitFor(async () => (await otherHost.ping().catch(() => '')) === 'PONG', { timeoutMs: 20_000 });
      model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
      await otherHost.publish(
        'creatorflow:creatorflow_realtime',
        JSON.stringify({ ...takeBatch()!, previous: null }),
      );
      await waitFor(() => client.table.get({ creator_id: 'c1', sku: 'A' })?.stock === 5, {
        timeoutMs: 10_000,
      });
    },
  );

  it.skipIf(postgresUrl() === null)('PostgreSQL: after the LISTEN backend was terminated', async () => {
    const db = await postgresEngine.open();
    cleanup.push(() => db.close());
    const pool = new pg.Pool({ connectionString: postgresUrl()!, max: 3, application_name: 'listen-resume' });
    const sql = fromPg(pool, { listenReconnectMs: 50 });
    cleanup.push(async () => {
      await sql.close?.();
      await pool.end();
    });
    await migrateRealtime(sql, db.schema);
    const pubsub = createPgPubSub(sql, { schema: db.schema });
    const seen = await listenTo(pubsub, 't');

    const admin = new pg.Client({ connectionString: postgresUrl()! });
    await admin.connect();
    cleanup.push(() => admin.end());
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE application_name = 'listen-resume' AND query LIKE 'LISTEN%'`,
    );
    expect(rows[0]!.n).toBe(1);
    await waitFor(() => seen.resumes === 1, { timeoutMs: 20_000 });
    await pubsub.publish('t', 'after');
    await waitFor(() => seen.messages.includes('after'), { timeoutMs: 10_000 });
  });
});

describe('a projection taken over by another host', () => {
  it.skipIf(postgresUrl() === null || redisUrl() === null)(
    'makes every hub reload the rows its previous owner committed but never published',
    async () => {
      const db = await postgresEngine.open();
      cleanup.push(() => db.close());
      const poolB = new pg.Pool({ connectionString: postgresUrl()!, max: 5 });
      const sqlB = fromPg(poolB);
      cleanup.push(async () => {
        await sqlB.close?.();
        await poolB.end();
      });
      const prefix = `cf_test_takeover_${Math.random().toString(36).slice(2)}:`;
      const redisPubSub = () => {
        const publisher = new Redis(redisUrl()!);
        const subscriber = new Redis(redisUrl()!);
        cleanup.push(() => {
          publisher.disconnect();
          subscriber.disconnect();
        });
        return createRedisPubSub({ publisher, subscriber, prefix });
      };
      // Host A's publishes can be silenced: it commits rows, then dies before they go out.
      const inner = redisPubSub();
      let silenced = false;
      const pubsubA: PubSub = {
        publish: (topic, message) => (silenced ? Promise.resolve() : inner.publish(topic, message)),
        subscribe: (topic, onMessage, onResume) => inner.subscribe(topic, onMessage, onResume),
      };
      const hostA: SyncEngine = stockEngine(db.sql, db.schema, pubsubA);
      await hostA.start();
      let aClosed = false;
      cleanup.push(() => (aClosed ? undefined : hostA.close()));
      await setStock(hostA, 'c1', 'first', 1);
      await hostA.whenCaughtUp({ timeoutMs: 20_000 }); // host A holds the projection
      const hostB = stockEngine(sqlB, db.schema, redisPubSub());
      await hostB.start();
      cleanup.push(() => hostB.close());

      const table = new LiveTable();
      const sub = hostB.hub
        .messages({ channel: 'rt_stock' }, { userId: 'u1', tenantIds: ['c1'] })
        .subscribe((envelope) => table.apply(envelope));
      cleanup.push(() => sub.unsubscribe());
      await waitFor(() => table.get({ creator_id: 'c1', sku: 'first' })?.quantity === 1, {
        timeoutMs: 20_000,
      });

      silenced = true;
      await setStock(hostA, 'c1', 'lost', 5);
      await hostA.whenCaughtUp({ timeoutMs: 20_000 });
      await hostA.close();
      aClosed = true;
      expect(table.get({ creator_id: 'c1', sku: 'lost' })).toBeUndefined();

      // Host B takes the projection over and reloads: nothing else would ever send the row.
      await waitFor(() => table.get({ creator_id: 'c1', sku: 'lost' })?.quantity === 5, {
        timeoutMs: 40_000,
      });
    },
    60_000,
  );
});
