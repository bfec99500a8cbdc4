/**
 * Self-fencing of the LeaseKeeper: a holder whose renewals do not get through
 * stops on its own at ttl − heartbeat after its last successful renewal,
 * measured on the monotonic clock, before the database lets anyone else take
 * the lease.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SqlQueryable, SqlResult } from '../../src/core/sql-client.js';
import {
  acquireLease,
  isLeaseLostError,
  LeaseKeeper,
  LeaseLostError,
  leaseHolder,
  migrateProcessing,
  sqlLeases,
} from '../../src/processing/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

type RenewAnswer = 'renewed' | 'gone' | 'fail' | 'hang';

/** A lease table behind the SQL port that answers renewals as told; acquisitions always succeed. */
function scriptedLeaseSql() {
  const answers: RenewAnswer[] = [];
  const hung: ((result: SqlResult<never>) => void)[] = [];
  let renewals = 0;
  const sql: SqlQueryable = {
    async query<Row>(text: string): Promise<SqlResult<Row>> {
      if (/^\s*INSERT/.test(text)) return { rows: [{ owner: 'a' } as Row] };
      if (!/^\s*UPDATE/.test(text)) return { rows: [] };
      renewals++;
      const answer = answers.shift() ?? 'renewed';
      if (answer === 'fail') throw new Error('connection reset');
      if (answer === 'hang') return new Promise((resolve) => hung.push(resolve as never));
      return { rows: answer === 'renewed' ? [{ name: 'k' } as Row] : [] };
    },
    exec: async () => undefined,
  };
  return {
    sql,
    answers,
    /** Let the hung renewals answer "renewed" now. */
    answerHung: () => hung.splice(0).forEach((resolve) => resolve({ rows: [{ name: 'k' }] as never })),
    renewals: () => renewals,
  };
}

describe('LeaseKeeper self-fencing (scripted SQL, fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function keeper(sql: SqlQueryable) {
    const lost: LeaseLostError[] = [];
    const errors: unknown[] = [];
    const k = new LeaseKeeper({
      leases: sqlLeases(sql, 's'),
      name: 'k',
      owner: 'a',
      ttlMs: 3000,
      renewIntervalMs: 1000,
      onLost: (err) => lost.push(err),
      onError: (err) => errors.push(err),
    });
    return { k, lost, errors };
  }

  it('stops the holder exactly ttl − heartbeat after the last renewal that got through', async () => {
    const db = scriptedLeaseSql();
    const { k, lost } = keeper(db.sql);
    expect(k.selfFenceAfterMs).toBe(2000);
    expect(await k.tryAcquire()).toBe(true);
    const signal = k.signal;
    await vi.advanceTimersByTimeAsync(1000); // renewal sent at t=1000 succeeds: fenced at 3000
    db.answers.push('hang', 'hang');
    await vi.advanceTimersByTimeAsync(1999);
    expect(db.renewals()).toBe(2); // the one at 2000 hangs; no second one is piled on it
    expect(k.held).toBe(true);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(k.held).toBe(false);
    expect(lost.map((e) => [e.code, e.reason])).toEqual([['LEASE_LOST', 'not_renewed']]);
    expect(signal.reason).toBe(lost[0]);
    expect(() => k.assertTenure(signal)).toThrow(LeaseLostError);
  });

  it('measures on the monotonic clock: a wall-clock jump neither fences nor extends', async () => {
    const db = scriptedLeaseSql();
    const { k, lost } = keeper(db.sql);
    await k.tryAcquire();
    db.answers.push('hang');
    vi.setSystemTime(Date.now() + 3_600_000); // an hour forward
    await vi.advanceTimersByTimeAsync(1999);
    expect(k.held).toBe(true);
    vi.setSystemTime(Date.now() - 7_200_000); // two hours back
    await vi.advanceTimersByTimeAsync(1);
    expect(k.held).toBe(false);
    expect(lost.map((e) => e.reason)).toEqual(['not_renewed']);
  });

  it('retries a failed renewal sooner than a heartbeat, so one lost round trip keeps the lease', async () => {
    const db = scriptedLeaseSql();
    const { k, lost, errors } = keeper(db.sql);
    await k.tryAcquire();
    db.answers.push('fail'); // the renewal at t=1000 fails; the retry at 1250 succeeds
    await vi.advanceTimersByTimeAsync(1250);
    expect(errors).toHaveLength(1);
    expect(db.renewals()).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(k.held).toBe(true);
    expect(lost).toEqual([]);
  });

  it('a renewal that succeeds after the deadline does not revive the tenure', async () => {
    const db = scriptedLeaseSql();
    const { k, lost } = keeper(db.sql);
    await k.tryAcquire();
    const signal = k.signal;
    db.answers.push('hang');
    await vi.advanceTimersByTimeAsync(2000);
    expect(k.held).toBe(false);
    db.answerHung();
    await vi.advanceTimersByTimeAsync(5000);
    expect(k.held).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(lost).toHaveLength(1);
    // Taking it again starts a new tenure with a live signal.
    expect(await k.tryAcquire()).toBe(true);
    expect(k.signal).not.toBe(signal);
    expect(k.signal.aborted).toBe(false);
    await k.release();
  });

  it('a renewal that finds the lease gone ends the tenure as taken', async () => {
    const db = scriptedLeaseSql();
    const { k, lost } = keeper(db.sql);
    await k.tryAcquire();
    db.answers.push('gone');
    await vi.advanceTimersByTimeAsync(1000);
    expect(k.held).toBe(false);
    expect(lost.map((e) => e.reason)).toEqual(['taken']);
    expect(isLeaseLostError(k.signal.reason)).toBe(true);
  });

  it('refuses a heartbeat that is not shorter than the ttl', () => {
    const db = scriptedLeaseSql();
    expect(
      () =>
        new LeaseKeeper({ leases: sqlLeases(db.sql, 's'), name: 'k', ttlMs: 1000, renewIntervalMs: 1000 }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe.each(sqlEngines)('LeaseKeeper self-fencing on $name', (engine) => {
  let db: TestDatabase;
  beforeEach(async () => {
    if (!engine.available) return;
    db = await engine.open();
    await migrateProcessing(db.sql, db.schema);
  });
  afterEach(async () => {
    if (engine.available) await db.close();
  });

  it.skipIf(!engine.available)(
    'a holder whose renewals are blocked in the database stops while the lease is still its own',
    async () => {
      const lost: LeaseLostError[] = [];
      let fenced!: () => void;
      const fencedNow = new Promise<void>((resolve) => (fenced = resolve));
      const keeper = new LeaseKeeper({
        leases: sqlLeases(db.sql, db.schema),
        name: 'blocked',
        owner: 'a',
        ttlMs: 3000,
        renewIntervalMs: 1000,
        onLost: (err) => {
          lost.push(err);
          fenced();
        },
      });
      expect(await keeper.tryAcquire()).toBe(true);
      // Hold the lease row locked (PostgreSQL), or the only connection (PGlite): renewals wait.
      await db.sql.transaction(async (tx) => {
        await tx.query(`SELECT 1 FROM "${db.schema}".leases WHERE name = 'blocked' FOR UPDATE`);
        await fencedNow;
        expect(keeper.held).toBe(false);
        expect(lost.map((e) => e.reason)).toEqual(['not_renewed']);
        // Stopped before anyone else may take the lease: it is still a's and unexpired.
        expect((await leaseHolder(tx, db.schema, 'blocked'))?.owner).toBe('a');
        expect(await acquireLease({ sql: tx, schema: db.schema, name: 'blocked', owner: 'b' }, 3000)).toBe(
          false,
        );
      });
      await keeper.release();
    },
  );
});
