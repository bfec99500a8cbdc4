/**
 * The writer lock's keys and the reader horizon the server computes from its
 * holders (`log_horizon`, store migration 0004).
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore } from '../../src/index.js';
import { writerLockKeys } from '../../src/store/postgres/writer-lock.js';
import { postgresEngine, postgresUrl, sqlEngines, type TestDatabase } from '../support/databases.js';

const EPOCH = 1n << 32n;

describe('writer lock keys', () => {
  it('gives each schema its own positive lock keys', () => {
    const [cls, a] = writerLockKeys('creatorflow');
    const [, b] = writerLockKeys('other');
    expect(cls).toBeGreaterThan(0);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).not.toBe(b);
  });
});

describe.each(sqlEngines.filter((e) => e.available))('widen_xid on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  it('widens a 32-bit writer id relative to xmin across epoch boundaries (law: the id it was, for any epoch)', async () => {
    const samples = fc.sample(
      fc.record({
        epoch: fc.bigInt({ min: 0n, max: 5n }),
        low: fc.bigInt({ min: 0n, max: EPOCH - 1n }),
        offset: fc.bigInt({ min: 0n, max: EPOCH - 1n }),
      }),
      { numRuns: 300, seed: 10 },
    );
    // Edges: a writer at xmin, one 2^32 - 1 past it, and xmin at an epoch's last id.
    samples.push(
      { epoch: 1n, low: EPOCH - 1n, offset: 0n },
      { epoch: 2n, low: EPOCH - 1n, offset: EPOCH - 1n },
    );
    const bases = samples.map((s) => s.epoch * EPOCH + s.low);
    const writers = samples.map((s, i) => bases[i]! + s.offset);
    const { rows } = await db.sql.query<{ widened: string }>(
      `SELECT "${db.schema}".widen_xid(b, x)::text AS widened
         FROM unnest($1::int8[], $2::int8[]) WITH ORDINALITY AS u(b, x, n) ORDER BY n`,
      [bases.map(String), writers.map((w) => String(w & (EPOCH - 1n)))],
    );
    expect(rows.map((r) => BigInt(r.widened))).toEqual(writers);
  });
});

describe.each(sqlEngines.filter((e) => e.available))('log_horizon on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;
  /** A second connection (PostgreSQL only: PGlite has one). */
  let pgPool: pg.Pool | undefined;

  beforeAll(async () => {
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    if (engine.name === 'postgres') pgPool = new pg.Pool({ connectionString: postgresUrl()!, max: 1 });
  });
  afterAll(async () => {
    await store.close();
    await pgPool?.end();
    await db.close();
  });

  it("never passes the caller's own open writer transaction, which its snapshot does not list", async () => {
    // On PGlite no other transaction ever runs, so the snapshot lists none here.
    await db.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock_shared($1, $2)', writerLockKeys(db.schema));
      const { rows: own } = await tx.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
      // On PostgreSQL, a newer transaction finishes first: xmax passes the open writer.
      if (engine.name === 'postgres') await pgPool!.query('SELECT pg_current_xact_id()');
      const { rows } = await tx.query<{ h: string }>(
        `SELECT "${db.schema}".log_horizon($1, $2)::text AS h`,
        writerLockKeys(db.schema),
      );
      expect(BigInt(rows[0]!.h)).toBeLessThanOrEqual(BigInt(own[0]!.x));
    });
  });

  it('is the next transaction id when nothing is running (a writer that starts next is at or above it)', async () => {
    await store.append('before', [{ type: 'e', data: {} }]);
    const { rows } = await db.sql.query<{ h: string }>(
      `SELECT "${db.schema}".log_horizon($1, $2)::text AS h`,
      writerLockKeys(db.schema),
    );
    const horizon = BigInt(rows[0]!.h);
    const { checkpoint } = await store.append('after', [{ type: 'e', data: {} }]);
    const all = await store.readAll({ limit: 10 });
    const before = all.events.find((e) => e.aggregateId === 'before')!;
    expect(BigInt(before.checkpoint.split(':')[0]!)).toBeLessThan(horizon);
    expect(BigInt(checkpoint.split(':')[0]!)).toBeGreaterThanOrEqual(horizon);
  });
});

describe.skipIf(!postgresEngine.available)('log_horizon with other transactions on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await postgresEngine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 5 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await db.close();
  });

  const horizon = async () => {
    const { rows } = await pool.query<{ h: string }>(
      `SELECT "${db.schema}".log_horizon($1, $2)::text AS h`,
      writerLockKeys(db.schema),
    );
    return BigInt(rows[0]!.h);
  };

  it('stops at the oldest transaction holding the writer lock, and only at a holder', async () => {
    const writer = await pool.connect();
    const other = await pool.connect();
    try {
      // An unrelated transaction with an id, older than the writer: it holds nobody back.
      await other.query('BEGIN');
      const { rows: o } = await other.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
      await writer.query('BEGIN');
      await writer.query('SELECT pg_advisory_xact_lock_shared($1, $2)', writerLockKeys(db.schema));
      const { rows: w } = await writer.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
      const writerId = BigInt(w[0]!.x);
      expect(BigInt(o[0]!.x)).toBeLessThan(writerId);
      // A snapshot's xmax is one past the newest finished transaction: finish one
      // that started after the writer, so only the writer can stop the horizon.
      await pool.query('SELECT pg_current_xact_id()');
      expect(await horizon()).toBe(writerId);
      await writer.query('COMMIT');
      expect(await horizon()).toBeGreaterThan(writerId);
    } finally {
      await other.query('ROLLBACK');
      other.release();
      writer.release();
    }
  });

  it('holds no lock after it returns, even inside an open transaction (its probe of the writer lock is rolled back)', async () => {
    const reader = await pool.connect();
    const other = await pool.connect();
    try {
      // An unrelated open transaction with an id, and no writer: the probe of the lock answers.
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      await reader.query('BEGIN');
      const { rows } = await reader.query<{ h: string; pid: number }>(
        `SELECT "${db.schema}".log_horizon($1, $2)::text AS h, pg_backend_pid() AS pid`,
        writerLockKeys(db.schema),
      );
      const [lockClass, lockKey] = writerLockKeys(db.schema);
      const { rows: held } = await pool.query(
        `SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND classid = $2 AND objid = $3`,
        [rows[0]!.pid, lockClass, lockKey],
      );
      expect(held).toEqual([]);
      // A writer takes the lock at once while the reader's transaction is still open.
      await pool.query('SELECT pg_advisory_xact_lock_shared($1, $2)', writerLockKeys(db.schema));
    } finally {
      await reader.query('ROLLBACK');
      await other.query('ROLLBACK');
      reader.release();
      other.release();
    }
  });

  it('stops at the older of two open writers, at its own id even when it wrote in a subtransaction, until it commits', async () => {
    // A slow writer takes the lower id; a faster one takes a higher id and
    // commits first. Until the slow one ends, nothing at or past its id is behind the horizon.
    const slow = await pool.connect();
    const fast = await pool.connect();
    try {
      await slow.query('BEGIN');
      await slow.query('SELECT pg_advisory_xact_lock_shared($1, $2)', writerLockKeys(db.schema));
      const { rows: s } = await slow.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
      const slowId = BigInt(s[0]!.x);
      // A subtransaction that writes holds an id of its own (newer than its parent's).
      await slow.query('SAVEPOINT sub');
      await slow.query('CREATE TEMP TABLE horizon_sub_write (x int)');
      await fast.query('BEGIN');
      await fast.query('SELECT pg_advisory_xact_lock_shared($1, $2)', writerLockKeys(db.schema));
      const { rows: f } = await fast.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
      const fastId = BigInt(f[0]!.x);
      expect(fastId).toBeGreaterThan(slowId);
      expect(await horizon()).toBe(slowId);
      await fast.query('COMMIT');
      expect(await horizon()).toBe(slowId);
      await slow.query('RELEASE SAVEPOINT sub');
      await slow.query('COMMIT');
      expect(await horizon()).toBeGreaterThan(fastId);
    } finally {
      await slow.query('ROLLBACK').catch(() => undefined);
      await fast.query('ROLLBACK').catch(() => undefined);
      slow.release();
      fast.release();
    }
  });

  it('stops at the oldest open writer, and only at writers, while writers and other transactions come and go', async () => {
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    /** The id of each client's open transaction and whether it holds the writer lock. */
    const open: ({ id: bigint; writer: boolean } | undefined)[] = [undefined, undefined, undefined];
    let newest = 0n;
    try {
      // Each step opens (as a writer or not) or commits one client's transaction.
      const steps = fc.sample(fc.tuple(fc.nat({ max: 2 }), fc.boolean()), { numRuns: 40, seed: 7 });
      for (const [i, writer] of steps) {
        const c = clients[i]!;
        if (open[i]) {
          await c.query('COMMIT');
          open[i] = undefined;
        } else {
          await c.query('BEGIN');
          if (writer) await c.query('SELECT pg_advisory_xact_lock_shared($1, $2)', writerLockKeys(db.schema));
          const { rows } = await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x');
          open[i] = { id: BigInt(rows[0]!.x), writer };
          if (open[i]!.id > newest) newest = open[i]!.id;
        }
        // A snapshot's xmax is one past the newest finished transaction: finish one past them all.
        await pool.query('SELECT pg_current_xact_id()');
        const writers = open.filter((o) => o?.writer).map((o) => o!.id);
        const got = await horizon();
        if (writers.length > 0) expect(got).toBe(writers.reduce((a, b) => (a < b ? a : b)));
        else expect(got).toBeGreaterThan(newest);
      }
    } finally {
      for (const c of clients) {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      }
    }
  });
});
