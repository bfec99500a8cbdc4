/**
 * The scheduler when a write to its runs fails in the middle: the claim of a
 * due time committed but its reply was lost (a dropped connection), or the
 * run's outcome could not be recorded. Neither may leave a run `running`
 * forever, never executed or never finished, while this host keeps the lease.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { sqlLeases } from '../../src/processing/lease.js';
import { createScheduler, sqlScheduleStorage, type Scheduler } from '../../src/scheduling/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';
import { waitFor } from '../support/wait.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const FAST = { ttlMs: 3_000, renewIntervalMs: 500, acquireIntervalMs: 100 };
const NO_DELAY = { minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false };

const CLAIM_DUE = /INSERT INTO .*schedule_runs[\s\S]*VALUES \(\$1, 'schedule'/;
const FINISH = /UPDATE .*schedule_runs SET status = \$3/;

describe.each(sqlEngines)('scheduler writes that fail midway on $name', (engine) => {
  let db: TestDatabase | undefined;
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    await db?.close();
    scheduler = undefined;
    db = undefined;
  });

  /** A scheduler whose statements matching `pattern` fail once, before or after reaching the database. */
  async function withFault(pattern: RegExp, when: 'before' | 'after', now: () => number, seen: number[]) {
    db = await engine.open();
    let failed = false;
    const sql = interceptSql(db.sql, async (text, _params, next) => {
      if (failed || !pattern.test(text)) return next();
      failed = true;
      if (when === 'after') await next(); // committed; the reply is lost
      throw new Error('Connection terminated unexpectedly');
    });
    scheduler = createScheduler({
      storage: sqlScheduleStorage(sql, db.schema),
      leases: sqlLeases(db.sql, db.schema),
      schedules: [
        {
          name: 'sync',
          every: 5 * MIN,
          retry: { attempts: 3, ...NO_DELAY },
          run: ({ dueAt }) => void seen.push(dueAt.getTime()),
        },
      ],
      now,
      lease: FAST,
      pollIntervalMs: 20,
      logger: silentLogger,
    });
    scheduler.on('error', () => undefined); // the injected failure, reported
    await scheduler.start();
    await waitFor(() => scheduler!.leading, { what: 'the lease' });
    return () => failed;
  }

  it.skipIf(!engine.available)(
    'a due time whose claim committed but whose reply was lost still runs',
    async () => {
      let now = T0 - 1_000;
      const seen: number[] = [];
      const failed = await withFault(CLAIM_DUE, 'after', () => now, seen);
      now = T0 + 1_000;
      await waitFor(failed, { what: 'the claim to fail' });
      await waitFor(async () => (await scheduler!.history('sync'))[0]?.status === 'succeeded', {
        what: 'the claimed run to run',
        timeoutMs: 15_000,
      });
      expect(seen).toEqual([T0]);
      expect(await scheduler!.history('sync')).toHaveLength(1);
    },
  );

  it.skipIf(!engine.available)(
    'a run whose outcome could not be recorded is run again, not recorded as failed',
    async () => {
      let now = T0 - 1_000;
      const seen: number[] = [];
      const failed = await withFault(FINISH, 'before', () => now, seen);
      now = T0 + 1_000;
      await waitFor(failed, { what: 'recording the outcome to fail' });
      await waitFor(async () => (await scheduler!.history('sync'))[0]?.status === 'succeeded', {
        what: 'the run to be finished',
        timeoutMs: 15_000,
      });
      const [run] = await scheduler!.history('sync');
      expect(run).toMatchObject({ dueAt: new Date(T0), attempts: 2 }); // run again: at least once
      expect(seen).toEqual([T0, T0]);
    },
  );
});
