/**
 * During a rolling upgrade hosts of two versions append through two overloads
 * of `append_batch` (store migration 0009 keeps 0008's 16-argument one for
 * the previous version's clients). Both must take the shared writer lock
 * before their transaction has an id: a flush that took its id (at its first
 * stream lock) and then waits for another stream's row must hold every
 * follower's horizon below it, or a follower passes it, and its events, once
 * committed, sort behind the follower's checkpoint and are never read. The
 * question came from a chaos run with mixed versions (two followers missed
 * one event); the last case shows that this harness sees such a skip when a
 * transaction does take its id before the lock.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { START_CHECKPOINT, type LogCheckpoint } from '../../src/core/checkpoint.js';
import { createEventStore, type EventStore, type NewEvent } from '../../src/index.js';
import { writerLockKeys } from '../../src/store/postgres/writer-lock.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { appendsWaitingOnLock, lockStreamRow } from './support/lock-stream-row.js';

const url = postgresUrl();
const event = (n: number): NewEvent => ({ type: 'order.updated', data: { n } });
const PAGE = 100;

/** The two overloads, with explicit casts so each call resolves to its own. */
const PREVIOUS_ARGS = `$1::int4, $2::int4, $3::text, $4::boolean, $5::text[], $6::text[], $7::int8[],
  $8::text[], $9::int4[], $10::int4[], $11::int4[], $12::uuid[], $13::text[], $14::text, $15::text, $16::float8[]`;
const OVERLOADS = {
  'the previous version (0008, 16 arguments)': (s: string) =>
    `SELECT txid FROM "${s}".append_batch(${PREVIOUS_ARGS})`,
  'the current version (0009, with the attempt id)': (s: string) =>
    `SELECT txid FROM "${s}".append_batch(${PREVIOUS_ARGS}, $17::uuid)`,
} as const;

describe.skipIf(!url)('the writer lock of both append_batch overloads on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  let store: EventStore;
  const pools: pg.Pool[] = [];

  beforeEach(async () => {
    schema = uniqueSchema();
    admin = new pg.Pool({ connectionString: url!, max: 4 });
    const pool = new pg.Pool({ connectionString: url!, max: 4 });
    pools.push(pool);
    store = createEventStore({ sql: fromPg(pool), schema });
    await store.migrate();
    await store.append('order-a', [event(0)]);
    await store.append('order-b', [event(0)]);
  });

  afterEach(async () => {
    await store.close();
    for (const pool of pools.splice(0)) await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  /** One event on order-a and one on order-b, as a flush of that overload sends them. */
  function flushParams(ids: readonly string[]): unknown[] {
    const now = Date.now();
    return [
      ...writerLockKeys(schema),
      `creatorflow_events_${schema}`,
      false,
      ['order-a', 'order-b'],
      ['order', 'order'],
      [-1, -1],
      [null, null],
      [1, 1],
      [1, 2],
      [0, 0],
      ids,
      ['order.updated', 'order.updated'],
      '[{"n":1},{"n":1}]',
      '[{},{}]',
      [now, now],
      randomUUID(),
    ];
  }

  const appendsWaiting = () => appendsWaitingOnLock(admin, schema);

  /** Read on to the end of the log as a processor does (`follow`), noting each event's id. */
  async function readOn(after: LogCheckpoint, seen: string[], follow: boolean): Promise<LogCheckpoint> {
    for (;;) {
      const page = await store.readAll({ after, limit: PAGE, follow });
      for (const e of page.events) seen.push(e.id);
      after = page.checkpoint;
      if (page.events.length < PAGE) return after;
    }
  }

  async function logIds(): Promise<string[]> {
    const ids: string[] = [];
    await readOn(START_CHECKPOINT, ids, false);
    return ids;
  }

  for (const [name, text] of Object.entries(OVERLOADS)) {
    it(`a flush through ${name} that took its id and waits holds followers below it`, async () => {
      const seen: string[] = [];
      let checkpoint = await readOn(START_CHECKPOINT, seen, true);
      const release = await lockStreamRow(admin, schema, 'order-b');
      const ids = [randomUUID(), randomUUID()];
      const params = flushParams(ids);
      // Streams are locked in id order: order-a's row gives the flush its id, then it waits for order-b.
      const flush = admin.query(text(schema), name.includes('0009') ? params : params.slice(0, 16));
      await waitFor(async () => (await appendsWaiting()) === 1, { what: 'the flush to wait for order-b' });
      // A later append (a newer id) commits meanwhile: a follower must not pass the waiting flush to reach it.
      const laterId = randomUUID();
      await store.append('order-c', [{ ...event(1), id: laterId }]);
      checkpoint = await readOn(checkpoint, seen, true);
      expect(seen).toHaveLength(2);
      await release();
      await flush;
      // Not `follow`: the raw flush committed without a wake-up of this store.
      await readOn(checkpoint, seen, false);
      expect(seen).toEqual(await logIds());
      // The flush's events sort before the later append's (an older id), and none was skipped.
      expect(seen.slice(2)).toEqual([...ids, laterId]);
    });
  }

  it('a transaction that takes its id before the writer lock is passed by a follower (why the lock comes first)', async () => {
    const seen: string[] = [];
    let checkpoint = await readOn(START_CHECKPOINT, seen, true);
    const client = await admin.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_current_xact_id()'); // an id, and no writer lock yet
      await store.append('order-c', [event(1)]);
      checkpoint = await readOn(checkpoint, seen, true);
      expect(seen).toHaveLength(3); // passed the open transaction's id
      const ids = [randomUUID(), randomUUID()];
      await client.query(
        OVERLOADS['the current version (0009, with the attempt id)'](schema),
        flushParams(ids),
      );
      await client.query('COMMIT');
      await readOn(checkpoint, seen, false);
      const log = await logIds();
      expect(log).toEqual(expect.arrayContaining(ids));
      expect(seen).not.toContain(ids[0]); // in the log, behind the follower's checkpoint: skipped
    } finally {
      client.release();
    }
  });
});
