import { Redis } from 'ioredis';
import pg from 'pg';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { LiveTable } from '../../src/client/live-table.js';
import { connectRealtime, type RealtimeClient } from '../../src/client/realtime-client.js';
import type { SyncEngine } from '../../src/engine.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { PubSub } from '../../src/realtime/pubsub.js';
import { createRedisPubSub } from '../../src/realtime/redis-pubsub.js';
import { postgresEngine, postgresUrl, redisUrl } from '../support/databases.js';
import { serveRealtime, setStock, stockEngine, stockRows, until } from './engine-fixture.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const sortBySku = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => String(a.sku).localeCompare(String(b.sku)));

/** Per host: a pub/sub of its own connections (undefined: the engine's LISTEN/NOTIFY default). */
const PUBSUBS: Record<
  'pg' | 'redis',
  { available: () => boolean; make: (prefix: string) => PubSub | undefined }
> = {
  pg: { available: () => postgresUrl() !== null, make: () => undefined },
  redis: {
    available: () => postgresUrl() !== null && redisUrl() !== null,
    make: (prefix) => {
      const publisher = new Redis(redisUrl()!);
      const subscriber = new Redis(redisUrl()!);
      cleanup.push(() => {
        publisher.disconnect();
        subscriber.disconnect();
      });
      return createRedisPubSub({ publisher, subscriber, prefix });
    },
  },
};

describe.each(['pg', 'redis'] as const)('two hosts on one PostgreSQL schema with the %s pub/sub', (kind) => {
  it.skipIf(!PUBSUBS[kind].available())(
    'every change reaches subscribers on both hosts, and a cursor from host A resumes on host B',
    async () => {
      const db = await postgresEngine.open();
      cleanup.push(() => db.close());
      const poolB = new pg.Pool({ connectionString: postgresUrl()!, max: 5 });
      const sqlB = fromPg(poolB);
      cleanup.push(async () => {
        await sqlB.close?.();
        await poolB.end();
      });
      const prefix = `cf_test_mh_${Math.random().toString(36).slice(2)}:`;
      const hosts: SyncEngine[] = [];
      for (const sql of [db.sql, sqlB]) {
        const engine = stockEngine(sql, db.schema, PUBSUBS[kind].make(prefix));
        await engine.start();
        cleanup.push(() => engine.close());
        hosts.push(engine);
      }
      const [a, b] = hosts as [SyncEngine, SyncEngine];
      const servers = await Promise.all(hosts.map((h) => serveRealtime(h)));
      for (const s of servers) cleanup.push(() => s.close());
      const rows = () => stockRows(db.sql, db.schema, 'c1');
      const converged = async (table: LiveTable) =>
        JSON.stringify(sortBySku(table.rows())) === JSON.stringify(await rows());

      const clients: RealtimeClient[] = servers.map((s) =>
        connectRealtime({ url: s.url('sse'), channel: 'rt_stock' }),
      );
      for (const c of clients) cleanup.push(() => c.close());
      await Promise.all(
        clients.map((c) => firstValueFrom(c.messages$.pipe(filter((e) => e.type === 'ready')))),
      );

      // Writes through both hosts' stores; only the projection's lease holder produces row changes.
      for (let i = 0; i < 20; i++) await setStock(i % 2 === 0 ? a : b, 'c1', `S${i % 7}`, i);
      await Promise.all(hosts.map((h) => h.whenCaughtUp({ timeoutMs: 30_000 })));
      await until(async () => (await converged(clients[0]!.table)) && (await converged(clients[1]!.table)));
      expect(clients[0]!.table.rows()).toHaveLength(7);

      // Client A leaves host A with its cursor and rows; more happens; it comes back on host B.
      const [clientA] = clients as [RealtimeClient];
      const cursor = clientA.cursor!;
      const table = new LiveTable();
      table.apply({
        type: 'reset',
        channel: 'rt_stock',
        cursor,
        serverTime: 0,
        rows: clientA.table.rows(),
        keyColumns: ['creator_id', 'sku'],
      });
      clientA.close();
      for (let i = 0; i < 10; i++) await setStock(i % 2 === 0 ? a : b, 'c1', `S${(i * 3) % 9}`, 100 + i);
      await Promise.all(hosts.map((h) => h.whenCaughtUp({ timeoutMs: 30_000 })));
      await until(() => converged(clients[1]!.table)); // host B has fanned the new batches out

      const onB = connectRealtime({ url: servers[1]!.url('sse'), channel: 'rt_stock', cursor });
      cleanup.push(() => onB.close());
      const seen: Envelope[] = [];
      onB.messages$.subscribe((e) => {
        seen.push(e);
        table.apply(e);
      });
      await until(() => seen.some((e) => e.type === 'ready'));
      // Same cursor space on both hosts: resumed from B's replay buffer, no snapshot.
      expect(seen.map((e) => e.type)).not.toContain('reset');
      expect(sortBySku(table.rows())).toEqual(await rows());
      expect(table.duplicates).toBe(0);

      // Rows repaired behind the stream's back on host A (like a rebuild): host B's subscribers reload too.
      await db.sql.query(`UPDATE "${db.schema}".rt_stock SET quantity = quantity + 1000`);
      a.hub.invalidate('rt_stock');
      await until(async () => (await converged(table)) && (await converged(clients[1]!.table)));
      expect(seen.filter((e) => e.type === 'reset')).toHaveLength(1);
    },
  );
});
