/**
 * The schedule-run storages against one contract — memory, PGlite and
 * PostgreSQL — and the scheduler over SQL: a due time is recorded once
 * whoever claims it, writes to a run are fenced on its owner, manual runs are
 * idempotent by key, and the history is pruned without losing open runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import {
  createScheduler,
  memoryScheduleStorage,
  sqlScheduleStorage,
  type ScheduleStorage,
} from '../../src/scheduling/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

interface Backend {
  name: string;
  available: boolean;
  open(): Promise<{ storage: ScheduleStorage; db?: TestDatabase; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'memory',
    available: true,
    open: async () => ({ storage: memoryScheduleStorage(), close: async () => undefined }),
  },
  ...sqlEngines.map((engine): Backend => ({
    name: engine.name,
    get available() {
      return engine.available;
    },
    async open() {
      const db = await engine.open();
      const storage = sqlScheduleStorage(db.sql, db.schema);
      await storage.migrate();
      return { storage, db, close: () => db.close() };
    },
  })),
];

describe.each(backends)('schedule storage on $name', (backend) => {
  let storage: ScheduleStorage;
  let opened: Awaited<ReturnType<Backend['open']>>;
  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    storage = opened.storage;
  });
  afterAll(async () => opened?.close());
  const run = backend.available ? it : it.skip;

  run('records a due time once, whoever claims it', async () => {
    const claims = await Promise.all(
      ['a', 'b', 'c'].map((owner) =>
        storage.claimDue({ schedule: 'once', dueAt: T0, owner, skipped: 2, status: 'running' }),
      ),
    );
    const won = claims.filter((c) => c !== null);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({
      schedule: 'once',
      trigger: 'schedule',
      status: 'running',
      attempts: 1,
      skipped: 2,
    });
    expect(won[0]!.dueAt.getTime()).toBe(T0);
    expect(await storage.lastDue('once')).toBe(T0);
    expect(await storage.lastDue('never')).toBeNull();
  });

  run('fences writes on the run owner; a takeover moves the run', async () => {
    const claimed = (await storage.claimDue({
      schedule: 'fence',
      dueAt: T0,
      owner: 'a',
      skipped: 0,
      status: 'running',
    }))!;
    expect(await storage.takeOver(claimed.id, 'someone-else', 'b')).toBeNull();
    expect((await storage.running(['fence'])).map((r) => r.id)).toEqual([claimed.id]);
    const taken = await storage.takeOver(claimed.id, 'a', 'b');
    expect(taken?.owner).toBe('b');
    expect(await storage.recordAttempt(claimed.id, 'a', 2, { message: 'late' })).toBe(false);
    expect(await storage.finish(claimed.id, 'a', { status: 'succeeded', attempts: 1 })).toBe(false);
    expect(await storage.recordAttempt(claimed.id, 'b', 2, { message: 'first failed' })).toBe(true);
    expect(
      await storage.finish(claimed.id, 'b', { status: 'succeeded', attempts: 2, result: { n: 1 } }),
    ).toBe(true);
    expect(await storage.get(claimed.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      owner: 'b',
      result: { n: 1 },
      error: null,
    });
    expect(await storage.running(['fence'])).toEqual([]);
  });

  run('keeps manual runs pending until claimed, idempotent by key', async () => {
    const a = await storage.request({ schedule: 'manual', at: T0, key: 'k1', requestedBy: 'admin' });
    const again = await storage.request({ schedule: 'manual', at: T0 + 1, key: 'k1' });
    const b = await storage.request({ schedule: 'manual', at: T0 + 2 });
    expect(again.id).toBe(a.id);
    expect(a).toMatchObject({ trigger: 'manual', status: 'pending', requestedBy: 'admin', key: 'k1' });
    expect(await storage.pendingSchedules(['manual', 'other'])).toEqual(['manual']);
    expect((await storage.claimPending('manual', 'h'))?.id).toBe(a.id);
    expect((await storage.claimPending('manual', 'h'))?.id).toBe(b.id);
    expect(await storage.claimPending('manual', 'h')).toBeNull();
    // A manual run is no due time: it does not move where the schedule resumes.
    expect(await storage.lastDue('manual')).toBeNull();
  });

  run('records skipped due times without running them', async () => {
    const row = await storage.claimDue({
      schedule: 'skips',
      dueAt: T0,
      owner: 'a',
      skipped: 12,
      status: 'skipped',
    });
    expect(row).toMatchObject({ status: 'skipped', skipped: 12, attempts: 0 });
    expect(row!.finishedAt).not.toBeNull();
  });

  run('prunes finished runs beyond the newest kept, never open ones', async () => {
    const open = (await storage.claimDue({
      schedule: 'prune',
      dueAt: T0,
      owner: 'a',
      skipped: 0,
      status: 'running',
    }))!;
    for (let i = 1; i <= 5; i++) {
      const r = (await storage.claimDue({
        schedule: 'prune',
        dueAt: T0 + i,
        owner: 'a',
        skipped: 0,
        status: 'running',
      }))!;
      await storage.finish(r.id, 'a', { status: 'succeeded', attempts: 1 });
    }
    await storage.prune('prune', 2);
    const left = await storage.history('prune', 100);
    expect(left.map((r) => r.dueAt.getTime())).toEqual([T0 + 5, T0 + 4, T0]);
    expect(left.at(-1)!.id).toBe(open.id);
  });
});

describe.each(sqlEngines)('the scheduler on $name', (engine) => {
  const run = engine.available ? it : it.skip;

  run('runs due times and manual triggers, with retries, recorded in schedule_runs', async () => {
    const db = await engine.open();
    let now = T0;
    let failures = 1;
    const seen: string[] = [];
    const scheduler = createScheduler({
      sql: db.sql,
      schema: db.schema,
      now: () => now,
      pollIntervalMs: 20,
      lease: { ttlMs: 1_000 },
      logger: silentLogger,
      schedules: [
        {
          name: 'sync',
          every: 60_000,
          retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 1 },
          run: ({ trigger, attempt }) => {
            seen.push(`${trigger}:${attempt}`);
            if (trigger === 'schedule' && failures-- > 0) throw new Error('first attempt fails');
            return { trigger };
          },
        },
      ],
    });
    try {
      await scheduler.start();
      expect(scheduler.leading).toBe(true);
      now = T0 + 60_000;
      await expectEventually(async () => (await scheduler.history('sync'))[0]?.status === 'succeeded');
      const manual = await scheduler.trigger('sync', { requestedBy: 'admin-1' });
      expect(await scheduler.waitForRun(manual.id)).toMatchObject({
        status: 'succeeded',
        result: { trigger: 'manual' },
      });
      const history = await scheduler.history('sync');
      expect(history.map((r) => [r.trigger, r.status, r.attempts])).toEqual([
        ['manual', 'succeeded', 1],
        ['schedule', 'succeeded', 2],
      ]);
      expect(seen).toEqual(['schedule:1', 'schedule:2', 'manual:1']);
    } finally {
      await scheduler.stop();
      await db.close();
    }
  });
});

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const { waitFor } = await import('../support/wait.js');
  await waitFor(check, { timeoutMs });
}
