/**
 * A manual trigger's key the run's row cannot keep as sent: a NUL character
 * (PostgreSQL refuses it: the route answered a raw database error, a 500,
 * after the access audit had recorded the trigger) or a lone UTF-16 surrogate
 * (stored as U+FFFD: two different keys named one run, and the second trigger
 * got the first one's run). Refused before anything is written, on every storage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAccessAudit } from '../../src/access/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { createRouter } from '../../src/http/router.js';
import type { HttpHandler } from '../../src/http/types.js';
import { createScheduler, scheduleRoutes, type Scheduler } from '../../src/scheduling/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

const engines = [{ name: 'memory', available: true, open: async () => undefined }, ...sqlEngines] as const;

describe.each(engines)('manual trigger keys on $name', (engine) => {
  let db: TestDatabase | undefined;
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    await db?.close();
    scheduler = undefined;
    db = undefined;
  });

  async function start(): Promise<{ http: HttpHandler; audit: MemoryAccessAudit; s: Scheduler }> {
    db = (await engine.open()) ?? undefined;
    const s = createScheduler({
      ...(db ? { sql: db.sql, schema: db.schema } : {}),
      schedules: [{ name: 'job', every: 3_600_000, run: () => 'done' }],
      lease: { ttlMs: 3_000, renewIntervalMs: 500, acquireIntervalMs: 100 },
      pollIntervalMs: 20,
      logger: silentLogger,
    });
    scheduler = s;
    s.on('error', () => undefined);
    await s.start();
    const audit = new MemoryAccessAudit();
    const http = createRouter(
      scheduleRoutes({
        scheduler: s,
        authorize: () => ({ userId: 'ops', roles: ['admin'] }),
        audit,
        waitMs: 10_000,
      }),
    );
    return { http, audit, s };
  }

  const trigger = async (http: HttpHandler, key: string) => {
    const res = await http({
      method: 'POST',
      path: '/api/schedules/job/runs',
      headers: {},
      rawBody: Buffer.from(JSON.stringify({ key })),
      params: {},
    });
    return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
  };

  it.skipIf(!engine.available)(
    'a key with a NUL or a lone surrogate is 422 VALIDATION_FAILED; nothing is audited or run',
    async () => {
      const { http, audit, s } = await start();
      for (const key of ['a\u0000b', 'half \ud83d', 'other half \udc00']) {
        const res = await trigger(http, key);
        expect(res, JSON.stringify(key)).toMatchObject({
          status: 422,
          body: { code: 'VALIDATION_FAILED', issues: [{ path: 'key' }] },
        });
      }
      expect(await audit.list({})).toEqual([]);
      expect(await s.history('job')).toEqual([]);
      // A storable key still runs, once per key.
      expect(await trigger(http, 'ok-1')).toMatchObject({ status: 200, body: { run: { key: 'ok-1' } } });
      expect(await s.history('job')).toHaveLength(1);
    },
  );

  it.skipIf(!engine.available)(
    'Scheduler.trigger refuses such a key or requestedBy with INVALID_ARGUMENT and asks for no run',
    async () => {
      const { s } = await start();
      for (const options of [
        { key: 'a\u0000b' },
        { key: '\ud83d' },
        { key: '' },
        { requestedBy: 'admin\u0000' },
        { requestedBy: '\udfff' },
      ]) {
        await expect(s.trigger('job', options), JSON.stringify(options)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
      }
      expect(await s.history('job')).toEqual([]);
    },
  );
});
