/**
 * The schedule routes' roles, route by route: no identity is 401
 * `UNAUTHENTICATED`, a missing role 403 `FORBIDDEN` (problem+json, the
 * registered codes); reading needs the admin role, a manual run the admin or
 * the service role (a machine caller); a refused trigger runs nothing. The
 * roles can be changed per route kind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAccessAudit } from '../../src/access/index.js';
import { httpStatusOfCode } from '../../src/core/error-codes.js';
import { silentLogger } from '../../src/core/logger.js';
import { PROBLEM_CONTENT_TYPE } from '../../src/http/problem.js';
import { createRouter } from '../../src/http/router.js';
import type { HttpHandler } from '../../src/http/types.js';
import {
  createScheduler,
  scheduleRoutes,
  type ScheduleCaller,
  type Scheduler,
} from '../../src/scheduling/index.js';

const CALLERS: Record<string, ScheduleCaller> = {
  admin: { userId: 'ops', roles: ['admin'] },
  service: { userId: 'service:cron', roles: ['service'] },
  creator: { userId: 'c1', roles: ['creator'] },
  nobody: { userId: 'visitor' },
};

const ROUTES = [
  { method: 'GET', path: '/api/schedules', allowed: ['admin'] },
  { method: 'GET', path: '/api/schedules/sync/runs', allowed: ['admin'] },
  { method: 'GET', path: '/api/schedules/sync/runs/r-1', allowed: ['admin'] },
  { method: 'POST', path: '/api/schedules/sync/runs', allowed: ['admin', 'service'] },
] as const;

describe('schedule routes roles', () => {
  let scheduler: Scheduler;
  let runs = 0;
  const open = (roles?: Parameters<typeof scheduleRoutes>[0]['roles']): HttpHandler =>
    createRouter(
      scheduleRoutes({
        scheduler,
        authorize: (req) => CALLERS[String(req.headers.authorization)] ?? null,
        waitMs: 5_000,
        ...(roles ? { roles } : {}),
      }),
    );
  const call = async (http: HttpHandler, method: string, path: string, who?: string) => {
    const res = await http({
      method,
      path,
      headers: who === undefined ? {} : { authorization: who },
      rawBody: Buffer.from(''),
      params: {},
    });
    const text = typeof res.body === 'string' ? res.body : '';
    return {
      status: res.status,
      type: res.headers?.['content-type'],
      body: text ? (JSON.parse(text) as { code?: string }) : {},
    };
  };

  beforeEach(async () => {
    runs = 0;
    scheduler = createScheduler({
      schedules: [{ name: 'sync', every: 3_600_000, run: () => ++runs }],
      logger: silentLogger,
    });
    await scheduler.start();
  });
  afterEach(async () => scheduler.stop());

  for (const route of ROUTES) {
    it(`${route.method} ${route.path}: 401 without identity, 403 without ${route.allowed.join(' or ')}`, async () => {
      const http = open();
      const anonymous = await call(http, route.method, route.path);
      expect(anonymous).toEqual({
        status: 401,
        type: PROBLEM_CONTENT_TYPE,
        body: expect.objectContaining({ code: 'UNAUTHENTICATED', status: 401 }),
      });
      for (const who of Object.keys(CALLERS)) {
        const res = await call(http, route.method, route.path, who);
        if ((route.allowed as readonly string[]).includes(who)) {
          expect(res.status, who).not.toBe(403);
        } else {
          expect(res, who).toEqual({
            status: 403,
            type: PROBLEM_CONTENT_TYPE,
            body: expect.objectContaining({ code: 'FORBIDDEN', status: 403 }),
          });
        }
      }
    });
  }

  it('runs for a service caller, and a refused trigger runs nothing', async () => {
    const http = open();
    expect((await call(http, 'POST', '/api/schedules/sync/runs', 'creator')).status).toBe(403);
    expect(runs).toBe(0);
    const res = await call(http, 'POST', '/api/schedules/sync/runs', 'service');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ run: { status: 'succeeded', requestedBy: 'service:cron' } });
    expect(runs).toBe(1);
    expect(httpStatusOfCode('FORBIDDEN')).toBe(403);
  });

  it('takes other roles per route kind', async () => {
    const http = open({ read: ['admin', 'service'], trigger: ['admin'] });
    expect((await call(http, 'GET', '/api/schedules', 'service')).status).toBe(200);
    expect((await call(http, 'POST', '/api/schedules/sync/runs', 'service')).status).toBe(403);
  });

  it('hands the job who asked, and with an audit records each trigger before the run (an unknown schedule: 404, nothing recorded)', async () => {
    const audit = new MemoryAccessAudit();
    const asked: (string | null)[] = [];
    await scheduler.stop();
    scheduler = createScheduler({
      schedules: [{ name: 'sync', every: 3_600_000, run: ({ requestedBy }) => asked.push(requestedBy) }],
      logger: silentLogger,
    });
    await scheduler.start();
    const http = createRouter(
      scheduleRoutes({
        scheduler,
        authorize: (req) => CALLERS[String(req.headers.authorization)] ?? null,
        waitMs: 5_000,
        audit,
      }),
    );
    expect((await call(http, 'POST', '/api/schedules/nope/runs', 'admin')).status).toBe(404);
    expect((await call(http, 'POST', '/api/schedules/sync/runs', 'creator')).status).toBe(403);
    expect(await audit.list()).toEqual([]);
    expect((await call(http, 'POST', '/api/schedules/sync/runs', 'admin')).status).toBe(200);
    expect(asked).toEqual(['ops']);
    expect(await audit.list()).toEqual([
      expect.objectContaining({
        userId: 'ops',
        action: 'schedules.trigger',
        resource: 'sync',
        tenantIds: null,
      }),
    ]);
  });
});
