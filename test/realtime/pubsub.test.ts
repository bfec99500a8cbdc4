import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import type { Envelope } from '../../src/core/envelope.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createPgPubSub, migrateRealtime } from '../../src/realtime/pg-pubsub.js';
import { type PubSub, createMemoryPubSub } from '../../src/realtime/pubsub.js';
import { createRedisPubSub } from '../../src/realtime/redis-pubsub.js';
import type { QueryOptions, SqlClient } from '../../src/core/sql-client.js';
import { redisUrl, sqlEngines } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

/** Messages arrive in order, including ones larger than a NOTIFY payload. */
async function deliversInOrder(a: PubSub, b: PubSub): Promise<void> {
  const got: string[] = [];
  const off = await b.subscribe('t1', (m) => got.push(m));
  const big = 'x'.repeat(20_000);
  await a.publish('t1', 'one');
  await a.publish('t1', big);
  await a.publish('t1', 'three');
  await until(() => got.length === 3);
  expect(got).toEqual(['one', big, 'three']);
  await off();
  await a.publish('t1', 'after');
  await new Promise((r) => setTimeout(r, 50));
  expect(got).toHaveLength(3);
}

/** Two hubs (two host processes): changes produced on one reach a subscriber of the other. */
async function fansOutAcrossHubs(pubsubA: PubSub, pubsubB: PubSub): Promise<void> {
  const channels: ChannelDefinition[] = [
    {
      name: 'order_metrics',
      keyColumns: ['creator_id'],
      tenantColumn: 'creator_id',
      filterableColumns: [],
      throttleMs: 0,
    },
  ];
  const model = new MemoryReadModel(channels);
  const common = { channels, snapshot: model.snapshot, windowMs: 10, heartbeatMs: 0, topic: 'rt_test' };
  const producer = createRealtimeHub({ ...common, changes: model.changes, pubsub: pubsubA });
  const server = createRealtimeHub({ ...common, pubsub: pubsubB });
  await Promise.all([producer.ready, server.ready]);
  const seen: Envelope[] = [];
  server
    .messages({ channel: 'order_metrics' }, { userId: 'u', tenantIds: ['c1'] })
    .subscribe((e) => seen.push(e));
  await until(() => seen.some((e) => e.type === 'ready'));
  model.upsert('order_metrics', { creator_id: 'c1', n: 1, blob: 'y'.repeat(9000) });
  model.upsert('order_metrics', { creator_id: 'c2', n: 1 });
  await until(() => seen.some((e) => e.type === 'data'));
  const data = seen.find((e) => e.type === 'data')!;
  expect(data.deltas).toEqual([
    ['INSERT', { creator_id: 'c1' }, { creator_id: 'c1', n: 1, blob: 'y'.repeat(9000) }],
  ]);
  await producer.close();
  await server.close();
}

describe('memory pub/sub', () => {
  it('delivers in order and fans out across hubs', async () => {
    const p = createMemoryPubSub();
    await deliversInOrder(p, p);
    await fansOutAcrossHubs(p, p);
  });
});

/** Booting PGlite (inside this test) takes a minute on a loaded 2-core machine. */
const BOOT_TIMEOUT_MS = 180_000;

describe.each(sqlEngines)('PostgreSQL LISTEN/NOTIFY pub/sub on $name', (engine) => {
  it.skipIf(!engine.available)(
    'delivers in order, large payloads through the pointer table, across hubs',
    async () => {
      const db = await engine.open();
      try {
        await migrateRealtime(db.sql, db.schema);
        const pubsub = createPgPubSub(db.sql, { schema: db.schema });
        await deliversInOrder(pubsub, pubsub);
        const { rows } = await db.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${db.schema}".realtime_messages`,
        );
        expect(rows[0]!.n).toBe(1);
        await fansOutAcrossHubs(pubsub, pubsub);
      } finally {
        await db.close();
      }
    },
    BOOT_TIMEOUT_MS,
  );
});

/** A SqlClient whose first read of a pointed-to payload fails, as when the pool has no connection in time. */
function failingFirstFetch(inner: SqlClient): { sql: SqlClient; failed: () => number } {
  let failed = 0;
  const sql: SqlClient = {
    ...inner,
    query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions) {
      if (failed === 0 && text.startsWith('SELECT payload FROM')) {
        failed++;
        return Promise.reject(new Error('timeout exceeded when trying to connect'));
      }
      return inner.query<Row>(text, params, options);
    },
  };
  return { sql, failed: () => failed };
}

describe.each(sqlEngines)('PostgreSQL LISTEN/NOTIFY pub/sub on $name, a failed pointer read', (engine) => {
  it.skipIf(!engine.available)(
    'is read again: the large message still arrives, in order (dropping it would reload its channels)',
    async () => {
      const db = await engine.open();
      try {
        await migrateRealtime(db.sql, db.schema);
        const failing = failingFirstFetch(db.sql);
        const pubsub = createPgPubSub(failing.sql, { schema: db.schema });
        const got: string[] = [];
        const off = await pubsub.subscribe('t1', (m) => got.push(m));
        const big = 'x'.repeat(20_000);
        await pubsub.publish('t1', big);
        await pubsub.publish('t1', 'after');
        await waitFor(() => got.length === 2, { timeoutMs: 20_000, what: 'both messages' });
        expect(failing.failed()).toBe(1);
        expect(got).toEqual([big, 'after']);
        await off();
      } finally {
        await db.close();
      }
    },
    BOOT_TIMEOUT_MS,
  );
});

describe.skipIf(!redisUrl())('Redis pub/sub', () => {
  it('delivers in order and fans out across hubs (separate connections per process)', async () => {
    const url = redisUrl()!;
    const conns = [new Redis(url), new Redis(url), new Redis(url), new Redis(url)] as const;
    const prefix = `cf_test_${Math.random().toString(36).slice(2)}:`;
    const a = createRedisPubSub({ publisher: conns[0], subscriber: conns[1], prefix });
    const b = createRedisPubSub({ publisher: conns[2], subscriber: conns[3], prefix });
    try {
      await deliversInOrder(a, b);
      await fansOutAcrossHubs(a, b);
    } finally {
      await a.close?.();
      await b.close?.();
      for (const c of conns) c.disconnect();
    }
  });
});
