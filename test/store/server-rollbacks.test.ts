/**
 * A flush the server aborts for reasons outside it — a lock timeout, a
 * statement timeout — wrote nothing, and is run again whole with backoff
 * until the condition passes (within `outcomeRecoveryMs`); past that, every
 * caller gets the retryable `StoreUnavailableError`. Before, such an error
 * counted as the batch's own: the flush was split in halves and the request
 * behind the held lock failed with the raw driver error.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createEventStore, StoreUnavailableError, type EventStore, type NewEvent } from '../../src/index.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { lockStreamRow } from './support/lock-stream-row.js';
import { recordAttempts } from './support/record-attempts.js';

const url = postgresUrl();
const event = (id: string, n: number): NewEvent => ({ id, type: 'order.updated', data: { n } });
const ID = {
  seed1: '1f3e5c0a-0000-4000-8000-000000000001',
  seed2: '1f3e5c0a-0000-4000-8000-000000000002',
  held: '1f3e5c0a-0000-4000-8000-000000000003',
  free: '1f3e5c0a-0000-4000-8000-000000000004',
};

describe.skipIf(!url)('a flush rolled back by the server, on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  let pool: pg.Pool;
  let store: EventStore;
  let attempts: string[];

  /** A store whose connections give up on a lock after 50 ms, as a host with lock_timeout set would. */
  async function openStore(outcomeRecoveryMs: number): Promise<void> {
    pool = new pg.Pool({ connectionString: url!, max: 4, options: '-c lock_timeout=50' });
    attempts = [];
    store = createEventStore({
      sql: recordAttempts(fromPg(pool), attempts),
      schema,
      maxConcurrentFlushes: 1,
      outcomeRecoveryMs,
    });
    await store.migrate();
    await store.append('order-1', [event(ID.seed1, 0)]);
    await store.append('order-2', [event(ID.seed2, 0)]);
  }

  async function storedIds(): Promise<string[]> {
    const { rows } = await admin.query<{ id: string }>(
      `SELECT id FROM "${schema}".events ORDER BY aggregate_id, version`,
    );
    return rows.map((r) => r.id);
  }

  beforeEach(() => {
    schema = uniqueSchema();
    admin = new pg.Pool({ connectionString: url!, max: 2 });
  });

  afterEach(async () => {
    await store.close();
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('runs a flush that hit lock timeouts again, whole, and commits it once the lock is freed', async () => {
    await openStore(60_000);
    const release = await lockStreamRow(admin, schema, 'order-1');
    const sentBefore = attempts.length;
    const held = store.append('order-1', [event(ID.held, 1)]);
    const free = store.append('order-2', [event(ID.free, 1)]);
    // Several attempts timed out on the lock: the old store gave up after the first.
    await waitFor(() => attempts.length - sentBefore >= 3, { what: 'three attempts on the held lock' });
    await release();
    await expect(held).resolves.toMatchObject({ nextVersion: 2 });
    await expect(free).resolves.toMatchObject({ nextVersion: 2 });
    expect(await storedIds()).toEqual([ID.seed1, ID.held, ID.seed2, ID.free]);
  });

  it('answers StoreUnavailableError when the lock outlasts outcomeRecoveryMs, and wrote nothing', async () => {
    await openStore(300);
    const release = await lockStreamRow(admin, schema, 'order-1');
    try {
      const held = store.append('order-1', [event(ID.held, 1)]);
      await expect(held).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(held).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    } finally {
      await release();
    }
    expect(await storedIds()).toEqual([ID.seed1, ID.seed2]);
    // The caller's retry with the same event ids is safe.
    await expect(store.append('order-1', [event(ID.held, 1)])).resolves.toMatchObject({ nextVersion: 2 });
    expect(await storedIds()).toEqual([ID.seed1, ID.held, ID.seed2]);
  });
});
