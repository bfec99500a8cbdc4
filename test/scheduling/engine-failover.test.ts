/**
 * Two engines on one PostgreSQL schema, as two hosts: the engine runs the
 * singleton workers and the schedules on one of them by lease; when that host
 * dies (stopped without releasing its leases, so they must expire), both move
 * to the other within 10 s, and no due time runs twice.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { silentLogger } from '../../src/core/logger.js';
import { createSyncEngine, type EngineWorker, type SyncEngine } from '../../src/engine.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const run = postgresEngine.available ? it : it.skip;

describe('leased singletons and schedules across two engines (PostgreSQL)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  run(
    'move to the other host within 10 s of the holder dying, each due time once',
    async () => {
      const db: TestDatabase = await postgresEngine.open();
      closers.push(() => db.close());
      const ticks: { host: string; due: number }[] = [];
      const jobs: string[] = [];

      function host(name: string, sql = db.sql): SyncEngine {
        const poller: EngineWorker = {
          name: 'poller',
          start: () => void jobs.push(`${name}:start`),
          stop: () => void jobs.push(`${name}:stop`),
        };
        const engine = createSyncEngine({
          sql,
          schema: db.schema,
          hostId: `host-${name}`,
          logger: silentLogger,
          singletons: [poller],
          schedules: [
            { name: 'tick', every: 500, run: ({ dueAt }) => void ticks.push({ host: name, due: +dueAt }) },
          ],
        });
        closers.push(() => engine.close());
        return engine;
      }

      const a = host('a');
      await a.start();
      // The second host has a pool of its own, as another process would.
      const pool = new pg.Pool({ connectionString: postgresUrl()!, max: 4 });
      closers.push(() => pool.end());
      const b = host('b', fromPg(pool));
      await b.start();
      expect([a.singletons.leading, a.scheduler.leading]).toEqual([true, true]);
      expect([b.singletons.leading, b.scheduler.leading]).toEqual([false, false]);
      await waitFor(() => ticks.filter((t) => t.host === 'a').length >= 2, {
        what: 'host a to run the schedule',
      });

      // Host a dies: its jobs stop, its leases are left to expire.
      const diedAt = performance.now();
      await Promise.all([a.singletons.stop({ release: false }), a.scheduler.stop({ release: false })]);
      await waitFor(() => b.singletons.leading && b.scheduler.leading, {
        timeoutMs: 20_000,
        what: 'host b to take the leases',
      });
      const takeoverMs = performance.now() - diedAt;
      await waitFor(() => ticks.some((t) => t.host === 'b'), { what: 'host b to run the schedule' });

      expect(takeoverMs).toBeLessThan(10_000);
      expect(jobs).toEqual(['a:start', 'a:stop', 'b:start']);
      const dues = ticks.map((t) => t.due);
      expect(new Set(dues).size).toBe(dues.length);
      const firstOfB = ticks.findIndex((t) => t.host === 'b');
      expect(ticks.slice(firstOfB).every((t) => t.host === 'b')).toBe(true);
    },
    60_000,
  );
});
