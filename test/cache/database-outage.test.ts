/**
 * The database down under a cache: the log cannot be read, so no cached copy
 * is vouched for; loaders run, a caller that allows it gets a stale copy
 * marked stale, health is degraded — and all of it recovers with the server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createTieredCache, type TieredCache } from '../../src/cache/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { waitFor } from '../support/wait.js';

describe.skipIf(postgresBinDir() === null && !process.env.REQUIRE_SERVICES)(
  'cache while the database is down',
  () => {
    let server: PrivatePostgres;
    let pool: pg.Pool;
    let store: EventStore;
    let cache: TieredCache;
    const events: string[] = [];

    beforeAll(async () => {
      server = await startPrivatePostgres();
      pool = new pg.Pool({ connectionString: server.url, max: 4, connectionTimeoutMillis: 1000 });
      pool.on('error', () => undefined);
      store = createEventStore({ sql: fromPg(pool), schema: 'cache_outage' });
      await store.migrate();
      cache = createTieredCache({
        store,
        rules: { events: [{ eventTypes: ['kv.set'], tags: ['kv:{key}'] }] },
        maxStalenessMs: 300,
        tiers: { hot: { ttlMs: 60_000 } },
      });
      cache.on('error', () => events.push('error'));
      cache.on('cache:degraded', () => events.push('degraded'));
      cache.on('cache:recovered', () => events.push('recovered'));
      await cache.start();
    });
    afterAll(async () => {
      await cache?.close();
      await store?.close().catch(() => undefined);
      await pool?.end().catch(() => undefined);
      await server?.close();
    });

    it('serves loaders and stale copies only when allowed, reports degraded, and recovers', async () => {
      const fromDb = async () => (await store.readStream('kv-a', { fromVersion: 1_000_000 })).version;
      const read = (grace?: boolean) =>
        cache.lookup('kv:a', fromDb, { tier: 'hot', tags: ['kv:a'], ...(grace ? { grace } : {}) });
      await store.append('kv-a', [{ type: 'kv.set', data: { key: 'a' } }]);
      await cache.whenCaughtUp();
      expect(await read()).toMatchObject({ value: 1, source: 'loader' });
      expect(await read()).toMatchObject({ value: 1, source: 'memory' });

      await server.stop('fast');
      await waitFor(() => cache.health().status === 'degraded', { what: 'degraded health' });
      expect(cache.health().log.failing).toBe(true);
      // Within the bound, the last complete read of the log still vouches for copies; past it, nothing does.
      await waitFor(() => cache.health().log.confirmedAgoMs > 300, { what: 'the bound to pass' });
      // The copy cannot be vouched for: the loader runs, and fails with the database.
      await expect(read()).rejects.toThrow();
      // Allowed to, the caller gets the copy, marked stale.
      expect(await read(true)).toEqual({ value: 1, source: 'memory', stale: true });
      expect(cache.metrics().tiers.hot.staleServed).toBe(1);
      // A loader that does not need the database still answers.
      expect(await cache.get('own', () => 'host value', { tier: 'hot' })).toBe('host value');

      await server.start();
      await waitFor(async () => (await read().catch(() => null))?.stale === false, {
        what: 'reads through the database again',
      });
      await waitFor(() => cache.health().status === 'ok', { what: 'healthy again' });
      expect(events).toContain('degraded');
      expect(events).toContain('recovered');
    });
  },
);
