/**
 * Access-audit retention under the scheduler, on a fake clock: at its due
 * time the holder of the scheduler's lease deletes the entries older than
 * the maximum age (90 days by default) and keeps the rest; of two schedulers
 * sharing the runs and the lease, the due time is run once. Memory, PGlite
 * and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAccessAudit, type AccessAuditInput, type AccessAuditStore } from '../../src/access/index.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  ACCESS_AUDIT_RETENTION_SCHEDULE,
  accessAuditRetentionSchedule,
  createScheduler,
  memoryLeases,
  memoryScheduleStorage,
  type Scheduler,
} from '../../src/scheduling/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const DAY = 86_400_000;
// The day the test runs: due at 03:30 UTC.
const DUE = Date.parse('2026-06-10T03:30:00Z');
// Quick to take, never lost in the test: a 300 ms lease was lost by a host stalled on a
// loaded machine, and the next leader ran the job again (at-least-once across a handover).
const FAST = { ttlMs: 60_000, renewIntervalMs: 100, acquireIntervalMs: 50 };

const backends = [
  { name: 'memory', available: true, open: async (): Promise<TestDatabase | undefined> => undefined },
  ...sqlEngines.map((e) => ({ name: e.name, available: e.available, open: () => e.open() })),
];

const entry = (userId: string): AccessAuditInput => ({
  userId,
  roles: ['admin'],
  action: 'commerce.rows',
  resource: 'order_metrics',
  tenantIds: null,
  rowCount: 1,
});

describe.each(backends)('access-audit retention ($name)', (backend) => {
  const running: Scheduler[] = [];
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await db?.close();
    db = undefined;
  });

  it.skipIf(!backend.available)(
    'prunes entries older than 90 days at its due time, once across two hosts, keeping the rest',
    async () => {
      db = await backend.open();
      let now = DUE - 100 * DAY;
      const clock = () => now;
      const audit: AccessAuditStore = createAccessAudit({ sql: db?.sql, schema: db?.schema, now: clock });
      await audit.migrate();
      await audit.record(entry('100-days-old'));
      now = DUE - 90 * DAY - 1;
      await audit.record(entry('just-over-90-days'));
      now = DUE - 90 * DAY;
      await audit.record(entry('exactly-90-days'));
      now = DUE - DAY;
      await audit.record(entry('yesterday'));

      // Two hosts sharing the runs and the lease; the clock stands just before the due time.
      now = DUE - 1_000;
      const storage = memoryScheduleStorage();
      const leases = memoryLeases();
      const schedules = [accessAuditRetentionSchedule({ audit })];
      for (const owner of ['a', 'b']) {
        const s = createScheduler({
          schedules,
          storage,
          leases,
          owner,
          lease: FAST,
          now: clock,
          pollIntervalMs: 20,
          logger: silentLogger,
        });
        running.push(s);
        await s.start();
      }
      await waitFor(() => running.some((s) => s.leading && s.status()[0]?.next?.getTime() === DUE), {
        what: 'a leader waiting for the due time',
      });
      expect(await storage.history(ACCESS_AUDIT_RETENTION_SCHEDULE, 10)).toEqual([]);
      expect((await audit.list()).map((e) => e.userId)).toHaveLength(4);

      now = DUE + 1_000;
      await waitFor(
        async () => (await storage.history(ACCESS_AUDIT_RETENTION_SCHEDULE, 10))[0]?.status === 'succeeded',
        { timeoutMs: 30_000 },
      );
      const runs = await storage.history(ACCESS_AUDIT_RETENTION_SCHEDULE, 10);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        trigger: 'schedule',
        result: { pruned: 2, before: new Date(DUE - 90 * DAY).toISOString() },
      });
      expect((await audit.list()).map((e) => e.userId)).toEqual(['yesterday', 'exactly-90-days']);
    },
    60_000,
  );
});

describe('access-audit retention schedule', () => {
  it('refuses a maximum age that is not a positive number of days', () => {
    const audit = createAccessAudit();
    expect(() => accessAuditRetentionSchedule({ audit, maxAgeDays: 0 })).toThrow(/maxAgeDays/);
    expect(accessAuditRetentionSchedule({ audit, maxAgeDays: 7 }).name).toBe('prune-access-audit');
  });
});
