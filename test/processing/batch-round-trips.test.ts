/**
 * What one event costs an exactly-once processor on PostgreSQL, in round
 * trips: the read its wake-up sends (the horizon and the page in one call of
 * `read_log`) and its batch transaction: four statements (BEGIN, the fenced
 * checkpoint update, the handler's statement, COMMIT) in two round trips, the
 * first three pipelined. Without pipelining four; with the reader's separate
 * horizon and the transaction's separate BEGIN it was six.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createProcessor } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { countingPgPool } from '../support/counting-pg-pool.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

describe.skipIf(!postgresEngine.available)('an exactly-once batch on PostgreSQL', () => {
  const schema = uniqueSchema('rt');
  let writerPool: pg.Pool;
  let readerPool: pg.Pool;
  let writer: EventStore;
  let reader: EventStore;
  let sent: string[];
  let roundTrips: { count: number };

  beforeAll(async () => {
    writerPool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    readerPool = new pg.Pool({ connectionString: postgresUrl()!, max: 4 });
    // Appends come from another store (another host, in effect): the processor's
    // store is woken by their NOTIFY only, once per commit.
    writer = createEventStore({ sql: fromPg(writerPool), schema });
    await writer.migrate();
    const counting = countingPgPool(readerPool);
    sent = counting.sent;
    roundTrips = counting.roundTrips;
    reader = createEventStore({ sql: fromPg(counting.pool), schema });
    await readerPool.query(`CREATE TABLE "${schema}".seen (id uuid PRIMARY KEY)`);
  });
  afterAll(async () => {
    await reader.close();
    await writer.close();
    await readerPool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await Promise.all([writerPool.end(), readerPool.end()]);
  });

  it('costs one statement per read and four per batch (BEGIN, the fence, the handler, COMMIT) in two round trips', async () => {
    const processor = createProcessor({
      store: reader,
      name: 'seen',
      // Nothing else on the connection while counting: no lease, no lag reports, no backstop poll.
      lease: false,
      lagIntervalMs: 0,
      pollIntervalMs: 600_000,
      handle: async (event, ctx) => {
        await ctx.tx!.query(`INSERT INTO "${schema}".seen (id) VALUES ($1)`, [event.id]);
      },
    });
    await processor.start();
    const warm = await writer.append('s', [{ type: 't', data: {} }]);
    await processor.whenCaughtUp({ to: warm.checkpoint, timeoutMs: 30_000 });

    sent.length = 0;
    roundTrips.count = 0;
    const appended = await writer.append('s', [{ type: 't', data: {} }]);
    await processor.whenCaughtUp({ to: appended.checkpoint, timeoutMs: 30_000 });
    const statements = sent.map((text) => text.replace(/\s+/g, ' ').slice(0, 60));
    // A read is one statement (a wake-up left over from the warm-up may add an empty one)…
    const reads = statements.filter((text) => text.includes('read_log('));
    expect(reads.length).toBeGreaterThanOrEqual(1);
    // …and the batch is four: nothing else was sent (no horizon of its own).
    expect(statements.filter((text) => !text.includes('read_log('))).toEqual([
      expect.stringMatching(/^BEGIN/),
      expect.stringContaining('UPDATE'),
      expect.stringContaining('INSERT INTO'),
      'COMMIT',
    ]);
    // One round trip a read; BEGIN, the fence and the handler's INSERT go out together, then COMMIT.
    expect(roundTrips.count).toBe(reads.length + 2);
    const { rows } = await readerPool.query(`SELECT count(*)::int AS n FROM "${schema}".seen`);
    expect(rows[0].n).toBe(2);
    await processor.stop();
  });
});
