/**
 * The scheduler on memory storage and leases, with an injected clock: due
 * times, the missed-run policies after downtime, retries, manual triggers,
 * one run per due time across two schedulers, takeover of an interrupted run,
 * and typed errors for bad input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import {
  createScheduler,
  InvalidScheduleError,
  memoryLeases,
  memoryScheduleStorage,
  ScheduleNotFoundError,
  type ScheduleDefinition,
  type Scheduler,
  type ScheduleRunContext,
  type ScheduleStorage,
} from '../../src/scheduling/index.js';
import { waitFor } from '../support/wait.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const FAST = { ttlMs: 300, renewIntervalMs: 100, acquireIntervalMs: 50 };
const NO_DELAY = { minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false };

const running: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function scheduler(
  schedules: ScheduleDefinition[],
  shared: { storage?: ScheduleStorage; leases?: ReturnType<typeof memoryLeases>; now?: () => number } = {},
): Scheduler {
  const s = createScheduler({
    schedules,
    storage: shared.storage ?? memoryScheduleStorage(),
    leases: shared.leases ?? memoryLeases(),
    now: shared.now ?? (() => T0),
    lease: FAST,
    pollIntervalMs: 20,
    logger: silentLogger,
  });
  running.push(s);
  return s;
}

/** Storage whose schedule last ran at `lastDue` (a host that was down since). */
async function historyAt(schedule: string, lastDue: number): Promise<ScheduleStorage> {
  const storage = memoryScheduleStorage();
  const run = await storage.claimDue({
    schedule,
    dueAt: lastDue,
    owner: 'old-host',
    skipped: 0,
    status: 'running',
  });
  await storage.finish(run!.id, 'old-host', { status: 'succeeded', attempts: 1 });
  return storage;
}

describe('missed due times after downtime', () => {
  const every5 = (missed: ScheduleDefinition['missed'], seen: number[]): ScheduleDefinition => ({
    name: 'sync',
    every: 5 * MIN,
    missed,
    run: ({ dueAt }) => void seen.push(dueAt.getTime()),
  });

  it("'latest' runs only the newest missed due time and records how many it passed over", async () => {
    const seen: number[] = [];
    const storage = await historyAt('sync', T0 - 60 * MIN);
    const s = scheduler([every5('latest', seen)], { storage });
    await s.start();
    await waitFor(async () => (await s.history('sync'))[0]?.status === 'succeeded', { what: 'the run' });
    expect(seen).toEqual([T0]);
    const [run] = await s.history('sync');
    expect(run).toMatchObject({ trigger: 'schedule', skipped: 11, attempts: 1 });
  });

  it("'catch_up' runs every missed due time in order, bounded by maxCatchUp", async () => {
    const seen: number[] = [];
    const storage = await historyAt('sync', T0 - 60 * MIN);
    const s = scheduler([{ ...every5('catch_up', seen), maxCatchUp: 4 }], { storage });
    await s.start();
    await waitFor(() => seen.length === 4, { what: 'four runs' });
    expect(seen).toEqual([T0 - 15 * MIN, T0 - 10 * MIN, T0 - 5 * MIN, T0]);
    const history = await s.history('sync');
    expect(history.find((r) => r.dueAt.getTime() === T0 - 15 * MIN)?.skipped).toBe(8);
  });

  it("'skip' runs none of them and records the skip", async () => {
    const seen: number[] = [];
    const storage = await historyAt('sync', T0 - 60 * MIN);
    const s = scheduler([every5('skip', seen)], { storage, now: () => T0 + 2 * MIN });
    const skipped: number[] = [];
    s.on('schedule:skipped', ({ count }) => skipped.push(count));
    await s.start();
    await waitFor(() => skipped.length === 1, { what: 'the skip' });
    const [row] = await s.history('sync');
    expect(row).toMatchObject({ status: 'skipped', skipped: 12, dueAt: new Date(T0) });
    expect(seen).toEqual([]);
  });

  it('a first deployment is not downtime: nothing runs until the next due time', async () => {
    let now = T0 + 1_000;
    const seen: number[] = [];
    const s = scheduler([every5('catch_up', seen)], { now: () => now });
    await s.start();
    await waitFor(() => s.leading);
    expect(s.status()[0]!.next).toEqual(new Date(T0 + 5 * MIN));
    now = T0 + 5 * MIN + 10;
    await waitFor(() => seen.length === 1, { what: 'the first due time' });
    expect(seen).toEqual([T0 + 5 * MIN]);
  });
});

describe('cron schedules', () => {
  it('runs a cron expression in its time zone', async () => {
    let now = Date.parse('2026-01-31T23:00:00Z'); // midnight in Berlin is 23:00 UTC
    const seen: number[] = [];
    const s = scheduler(
      [
        {
          name: 'monthly',
          cron: '0 0 1 * *',
          timeZone: 'Europe/Berlin',
          run: ({ dueAt }) => void seen.push(+dueAt),
        },
      ],
      { now: () => now - 1 },
    );
    await s.start();
    await waitFor(() => s.leading);
    expect(s.status()[0]!.next).toEqual(new Date('2026-01-31T23:00:00Z'));
    now += 1;
    await waitFor(() => seen.length === 1, { what: 'the monthly run' });
    expect(seen).toEqual([Date.parse('2026-01-31T23:00:00Z')]);
  });
});

describe('one run per due time across hosts', () => {
  it('two schedulers on one storage run each due time once, on the lease holder', async () => {
    let now = T0;
    const storage = memoryScheduleStorage();
    const leases = memoryLeases();
    const runs: { owner: string; due: number }[] = [];
    const def = (owner: string): ScheduleDefinition => ({
      name: 'tick',
      every: 1_000,
      run: ({ dueAt }) => void runs.push({ owner, due: +dueAt }),
    });
    const a = scheduler([def('a')], { storage, leases, now: () => now });
    const b = scheduler([def('b')], { storage, leases, now: () => now });
    await Promise.all([a.start(), b.start()]);
    for (let i = 1; i <= 5; i++) {
      now = T0 + i * 1_000;
      await waitFor(() => runs.length === i, { what: `run ${i}` });
    }
    expect(runs.map((r) => r.due)).toEqual([1, 2, 3, 4, 5].map((i) => T0 + i * 1_000));
    expect(new Set(runs.map((r) => r.owner)).size).toBe(1);
    expect([a.leading, b.leading].filter(Boolean)).toHaveLength(1);
  });

  it('a claimed due time is never claimed again', async () => {
    const storage = memoryScheduleStorage();
    const first = await storage.claimDue({
      schedule: 's',
      dueAt: T0,
      owner: 'a',
      skipped: 0,
      status: 'running',
    });
    const second = await storage.claimDue({
      schedule: 's',
      dueAt: T0,
      owner: 'b',
      skipped: 0,
      status: 'running',
    });
    expect(first).not.toBeNull();
    expect(second).toBeNull();
  });

  it('the next holder takes over a run its host left unfinished, attempts counting on', async () => {
    const storage = memoryScheduleStorage();
    const leases = memoryLeases();
    const attempts: { owner: string; attempt: number }[] = [];
    const def = (owner: string): ScheduleDefinition => ({
      name: 'job',
      every: 60 * MIN,
      run: async ({ attempt, signal }: ScheduleRunContext) => {
        attempts.push({ owner, attempt });
        // Host a loses its lease mid-run: the job stops when its signal aborts.
        if (owner === 'a')
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        return { done: owner };
      },
    });
    const a = scheduler([def('a')], { storage, leases });
    await a.start();
    const manual = await a.trigger('job');
    await waitFor(() => attempts.length === 1, { what: 'a to start the run' });
    await a.stop({ release: false }); // the lease is left to expire, as a dead host's would
    const b = scheduler([def('b')], { storage, leases });
    await b.start();
    const done = await b.waitForRun(manual.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: { done: 'b' } });
    expect(attempts).toEqual([
      { owner: 'a', attempt: 1 },
      { owner: 'b', attempt: 2 },
    ]);
  });
});

describe('retries, manual triggers, history', () => {
  it('retries a failing run by its policy and records the attempts', async () => {
    let calls = 0;
    const s = scheduler([
      {
        name: 'flaky',
        every: 60 * MIN,
        retry: { attempts: 3, ...NO_DELAY },
        run: () => {
          if (++calls < 3) throw new Error(`failure ${calls}`);
          return 'ok';
        },
      },
    ]);
    await s.start();
    const run = await s.waitForRun((await s.trigger('flaky')).id);
    expect(run).toMatchObject({ status: 'succeeded', attempts: 3, result: 'ok' });
  });

  it('records a run that failed every attempt, with the error and its code', async () => {
    const failed: number[] = [];
    const s = scheduler([
      {
        name: 'broken',
        every: 60 * MIN,
        retry: { attempts: 2, ...NO_DELAY },
        run: () => {
          throw Object.assign(new Error('provider down'), { code: 'PROVIDER_UNAVAILABLE' });
        },
      },
    ]);
    s.on('schedule:run_failed', ({ attempts }) => failed.push(attempts));
    await s.start();
    const run = await s.waitForRun((await s.trigger('broken', { requestedBy: 'admin-1' })).id);
    expect(run).toMatchObject({
      status: 'failed',
      attempts: 2,
      trigger: 'manual',
      requestedBy: 'admin-1',
      error: { message: 'provider down', code: 'PROVIDER_UNAVAILABLE' },
    });
    expect(failed).toEqual([2]);
  });

  it('a trigger key makes a repeated trigger return the first run', async () => {
    const s = scheduler([{ name: 'once', every: 60 * MIN, run: () => 1 }]);
    const a = await s.trigger('once', { key: 'req-1' });
    const b = await s.trigger('once', { key: 'req-1' });
    expect(b.id).toBe(a.id);
  });

  it('runs of one schedule never overlap', async () => {
    let active = 0;
    let most = 0;
    const s = scheduler([
      {
        name: 'slow',
        every: 60 * MIN,
        run: async () => {
          most = Math.max(most, ++active);
          await new Promise((r) => setTimeout(r, 20));
          active--;
        },
      },
    ]);
    await s.start();
    const ids = await Promise.all([1, 2, 3].map(() => s.trigger('slow').then((r) => r.id)));
    for (const id of ids) expect((await s.waitForRun(id)).status).toBe('succeeded');
    expect(most).toBe(1);
  });
});

describe('bad input', () => {
  const run = () => undefined;
  it.each([
    [{ name: 'x', cron: 'not a cron', run }, /cron expression/],
    [{ name: 'x', cron: '* * * * *', timeZone: 'Mars/Olympus', run }, /time zone/],
    [{ name: 'x', every: 0, run }, /every/],
    [{ name: 'x', run }, /exactly one of every and cron/],
    [{ name: 'x', every: 1000, cron: '* * * * *', run }, /exactly one/],
    [{ name: 'Bad Name', every: 1000, run }, /must match/],
    [{ name: 'x', every: 1000, missed: 'sometimes' as never, run }, /missed/],
    [{ name: 'x', every: 1000, retry: { attempts: 0 }, run }, /retry/],
  ])('refuses %j', (definition, message) => {
    expect(() => createScheduler({ schedules: [definition as ScheduleDefinition] })).toThrow(message);
    expect(() => createScheduler({ schedules: [definition as ScheduleDefinition] })).toThrow(
      InvalidScheduleError,
    );
  });

  it('names an unknown schedule with a typed error', async () => {
    const s = scheduler([{ name: 'known', every: 1000, run }]);
    await expect(s.trigger('unknown')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(s.history('unknown')).rejects.toMatchObject({ code: 'SCHEDULE_NOT_FOUND', status: 404 });
  });
});
