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

describe.skipIf(!postgresEngine.available)('log_horizon on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await postgresEngine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 3 });
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
});
