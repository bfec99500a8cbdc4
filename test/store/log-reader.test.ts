/**
 * The log reader's page: the values it decodes (one JSON text per row), the
 * statements readers of one process share (one round trip per read: the
 * horizon and the pages in one call of `read_log`), and its horizon (own
 * writes always visible, unrelated transactions never wait).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, type SqlClient, type StoredEvent } from '../../src/index.js';
import { LogReader } from '../../src/store/postgres/log-reader.js';
import { postgresEngine, postgresUrl, sqlEngines, type TestDatabase } from '../support/databases.js';

/** Text no JSON encoder may pass through unescaped. */
const AWKWARD = 'q"uote \\ back\nline\ttab \u0001 é 🚀 \u2028';

/** The events as an independent query decodes them, column by column. */
async function storedRows(db: TestDatabase): Promise<StoredEvent[]> {
  const { rows } = await db.sql.query<Record<string, string>>(
    `SELECT global_position::text AS gp, transaction_id::text AS txid, id::text AS id, aggregate_id,
            aggregate_type, event_type, event_data::text AS data, metadata::text AS metadata, version::text AS version,
            floor(extract(epoch FROM occurred_at) * 1000)::text AS occurred,
            floor(extract(epoch FROM processed_at) * 1000)::text AS processed
       FROM "${db.schema}".events ORDER BY transaction_id, global_position`,
  );
  return rows.map((r) => ({
    id: r.id!,
    aggregateId: r.aggregate_id!,
    aggregateType: r.aggregate_type!,
    type: r.event_type!,
    data: JSON.parse(r.data!) as unknown,
    metadata: JSON.parse(r.metadata!) as StoredEvent['metadata'],
    version: Number(r.version),
    globalPosition: Number(r.gp),
    occurredAt: new Date(Number(r.occurred)),
    processedAt: new Date(Number(r.processed)),
    checkpoint: `${r.txid}:${r.gp}`,
  }));
}

describe.each(sqlEngines.filter((e) => e.available))('log reader values on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    db = await engine.open();
    // Edge-of-range times on purpose: any occurredAt is taken.
    store = createEventStore({ sql: db.sql, schema: db.schema, occurredAtWindow: null });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  it('decodes exactly what the columns hold: escapes, unicode, big and precise numbers, key order, ms floors', async () => {
    await store.append(
      `stream ${AWKWARD}`,
      [
        {
          type: `type ${AWKWARD}`,
          data: {
            z: 1,
            a: [1.5, -0, 1e21, 0.1 + 0.2, null, true],
            text: AWKWARD,
            nested: { 'key "q"': { deep: [AWKWARD] } },
          },
          metadata: { source: AWKWARD, correlationId: 'c-1' },
          occurredAt: new Date('1969-12-31T23:59:59.999Z'),
        },
        { type: 'plain', data: 'a bare string', occurredAt: new Date('2026-11-26T03:23:18.123Z') },
        { type: 'null data', data: null },
      ],
      { aggregateType: AWKWARD, metadata: { userId: 'u-1' } },
    );
    // Numbers no JavaScript literal could write: jsonb keeps them exact, both decoders round them alike.
    await db.sql.query(
      `UPDATE "${db.schema}".events SET event_data = '{"big": 123456789012345678901234567890, "pi": 3.14159265358979323846264338327950288, "tiny": 1e-7}'
        WHERE event_type = 'plain'`,
    );
    // processed_at has microseconds: the reader floors it to the millisecond, as the oracle does.
    const expected = await storedRows(db);
    expect(expected).toHaveLength(3);
    const page = await store.readAll();
    expect(page.events).toStrictEqual(expected);
    expect(page.checkpoint).toBe(expected.at(-1)!.checkpoint);
    const stream = await store.readStream(`stream ${AWKWARD}`);
    expect(stream.events).toStrictEqual(expected);
    expect(page.events[0]!.occurredAt.getTime()).toBe(-1);
  });

  it('pages through the log without gaps or repeats', async () => {
    for (let i = 0; i < 5; i++) await store.append(`page-${i}`, [{ type: 't', data: { i } }]);
    const all = await storedRows(db);
    const seen: StoredEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.readAll({ ...(after ? { after } : {}), limit: 2 });
      seen.push(...page.events);
      if (page.events.length === 0) break;
      after = page.checkpoint;
    }
    expect(seen).toStrictEqual(all);
  });

  it('reads the horizon and every page asked for in the same turn in one round trip', async () => {
    const texts: string[] = [];
    const counting: SqlClient = {
      ...db.sql,
      query: (text, params, options) => {
        texts.push(text);
        return db.sql.query(text, params, options);
      },
    };
    const readers = createEventStore({ sql: counting, schema: db.schema });
    const before = await readers.headCheckpoint();
    for (let i = 0; i < 3; i++) await store.append(`shared-${i}`, [{ type: 't', data: { i } }]);
    texts.length = 0;
    // Three readers woken at once (a processor, a handler, a trigger) and one elsewhere in the log.
    const [big, small, same, start] = await Promise.all([
      readers.readAll({ after: before, limit: 10 }),
      readers.readAll({ after: before, limit: 2 }),
      readers.readAll({ after: before, limit: 10 }),
      readers.readAll({ limit: 1 }),
    ]);
    // One statement: the horizon, a page after `before`, a page from the start.
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('read_log(');
    const all = await storedRows(db);
    const fresh = all.filter((e) => e.aggregateId.startsWith('shared-'));
    expect(big.events).toStrictEqual(fresh);
    expect(same.events).toStrictEqual(fresh);
    expect(small.events).toStrictEqual(fresh.slice(0, 2));
    expect(small.checkpoint).toBe(fresh[1]!.checkpoint);
    expect(start.events).toStrictEqual(all.slice(0, 1));
    // Apart (one after the other): each read sends its own horizon, sent after it was asked for.
    texts.length = 0;
    await readers.readAll({ after: before, limit: 10 });
    await readers.readAll({ after: before, limit: 10 });
    expect(texts.filter((t) => t.includes('read_log('))).toHaveLength(2);
    expect(texts).toHaveLength(2);
    // The head: its horizon and its row in one round trip too.
    texts.length = 0;
    await readers.headCheckpoint();
    expect(texts).toHaveLength(1);
    await readers.close();
  });

  it('shares a followed page across turns until the next wake-up, then reads afresh', async () => {
    const texts: string[] = [];
    const counting: SqlClient = {
      ...db.sql,
      query: (text, params, options) => {
        texts.push(text);
        return db.sql.query(text, params, options);
      },
    };
    // The wake-up generation under the test's control; no expiry in the way.
    let generation = 0;
    const reader = new LogReader(counting, db.schema, {
      generation: () => generation,
      followedTtlMs: 600_000,
    });
    const before = await reader.head();
    await store.append('follow-0', [{ type: 't', data: {} }]);
    generation++; // the append's wake-up
    texts.length = 0;
    // Followers asking one after the other (one was still committing its last batch): one read.
    const first = await reader.readFollowing(before, 10);
    const second = await reader.readFollowing(before, 10);
    const larger = await reader.readFollowing(before, 500); // the page was short: whole for any limit
    expect(texts).toHaveLength(1); // one read: its horizon and its page
    expect(first.events.map((e) => e.aggregateId)).toStrictEqual(['follow-0']);
    expect(second).toStrictEqual(first);
    expect(larger).toStrictEqual(first);
    // A reader that does not follow wake-ups reads afresh.
    await reader.readAll(before, 10);
    expect(texts).toHaveLength(2);

    // A commit, then its wake-up: the next follower reads afresh and sees it.
    await store.append('follow-1', [{ type: 't', data: {} }]);
    const stale = await reader.readFollowing(before, 10);
    expect(stale.events.map((e) => e.aggregateId)).toStrictEqual(['follow-0']); // no wake-up yet: still shared
    generation++;
    const woken = await reader.readFollowing(before, 10);
    expect(woken.events.map((e) => e.aggregateId)).toStrictEqual(['follow-0', 'follow-1']);
    expect(texts).toHaveLength(3);

    // After a wake-up the kept pages still serve what they hold (whole for
    // good), and the follower reads on after their end: one read.
    generation++;
    const full = await reader.readFollowing(before, 1);
    const more = await reader.readFollowing(before, 10);
    expect(full.events.map((e) => e.aggregateId)).toStrictEqual(['follow-0']);
    expect(more.events.map((e) => e.aggregateId)).toStrictEqual(['follow-0', 'follow-1']);
    expect(texts).toHaveLength(4);
  });

  it('serves followers a few events apart with one page read, not one each', async () => {
    const texts: string[] = [];
    const counting: SqlClient = {
      ...db.sql,
      query: (text, params, options) => {
        texts.push(text);
        return db.sql.query(text, params, options);
      },
    };
    let generation = 0;
    const reader = new LogReader(counting, db.schema, {
      generation: () => generation,
      followedTtlMs: 600_000,
    });
    const before = await reader.head();
    const appended = [];
    for (let i = 0; i < 5; i++) appended.push(await store.append(`apart-${i}`, [{ type: 't', data: {} }]));
    generation++;
    texts.length = 0;
    // The read-model processor reads first; the handler, three events further, a moment later.
    const leader = await reader.readFollowing(before, 10);
    const handler = await reader.readFollowing(appended[2]!.checkpoint, 10);
    expect(leader.events.map((e) => e.aggregateId)).toStrictEqual([
      'apart-0',
      'apart-1',
      'apart-2',
      'apart-3',
      'apart-4',
    ]);
    expect(handler.events.map((e) => e.aggregateId)).toStrictEqual(['apart-3', 'apart-4']);
    expect(handler.checkpoint).toBe(appended[4]!.checkpoint);
    expect(texts.filter((t) => t.includes('read_log('))).toHaveLength(1);

    // The next commit wakes both: the one behind takes what the window holds
    // and reads on from the same checkpoint as the one ahead, in the same read.
    const next = await store.append('apart-5', [{ type: 't', data: {} }]);
    generation++;
    texts.length = 0;
    const [ahead, behind] = await Promise.all([
      reader.readFollowing(leader.checkpoint, 10),
      reader.readFollowing(appended[1]!.checkpoint, 10),
    ]);
    expect(ahead.events.map((e) => e.aggregateId)).toStrictEqual(['apart-5']);
    expect(behind.events.map((e) => e.aggregateId)).toStrictEqual([
      'apart-2',
      'apart-3',
      'apart-4',
      'apart-5',
    ]);
    expect(behind.checkpoint).toBe(next.checkpoint);
    expect(texts).toHaveLength(1);
  });

  it('serves a followed page until its time is up, without a wake-up (the backstop poll)', async () => {
    const texts: string[] = [];
    const counting: SqlClient = {
      ...db.sql,
      query: (text, params, options) => {
        texts.push(text);
        return db.sql.query(text, params, options);
      },
    };
    // No wake-up ever (a lost notification): the page expires once its time-to-live (0 ms) has passed.
    const reader = new LogReader(counting, db.schema, { generation: () => 1, followedTtlMs: 0 });
    const before = await reader.head();
    await store.append('poll-0', [{ type: 't', data: {} }]);
    texts.length = 0;
    await reader.readFollowing(before, 10);
    await store.append('poll-1', [{ type: 't', data: {} }]);
    const polled = await reader.readFollowing(before, 10);
    expect(polled.events.map((e) => e.aggregateId)).toStrictEqual(['poll-0', 'poll-1']);
    expect(texts).toHaveLength(2);
  });

  it('shares readerLag() like the head: one read a turn, and a recent one for reports until a wake-up', async () => {
    const texts: string[] = [];
    const counting: SqlClient = {
      ...db.sql,
      query: (text, params, options) => {
        texts.push(text);
        return db.sql.query(text, params, options);
      },
    };
    const readers = createEventStore({ sql: counting, schema: db.schema });
    // The engine's health and the metrics sampler ask together.
    const [a, b] = await Promise.all([readers.readerLag(), readers.readerLag()]);
    expect(a).toStrictEqual({ heldBackEvents: 0, oldestOpenTransactionMs: null });
    expect(b).toStrictEqual(a);
    const oneRead = texts.length;
    expect(texts.filter((t) => t.includes('log_horizon('))).toHaveLength(1);
    expect(await readers.readerLag({ maxAgeMs: 60_000 })).toStrictEqual(a); // a report: the last read serves
    expect(texts).toHaveLength(oneRead);
    await readers.readerLag(); // an exact caller reads afresh
    expect(texts).toHaveLength(2 * oneRead);
    await readers.append('lag-0', [{ type: 't', data: {} }]); // a wake-up retires the last read
    texts.length = 0;
    await readers.readerLag({ maxAgeMs: 60_000 });
    expect(texts.filter((t) => t.includes('log_horizon('))).toHaveLength(1);
    await readers.close();
  });

  it('sends the shared read once the microtasks of its turn have run, before the next callback of the event loop', async () => {
    const texts: string[] = [];
    const counting: SqlClient = {
      ...db.sql,
      query: (text, params, options) => {
        texts.push(text);
        return db.sql.query(text, params, options);
      },
    };
    const readers = createEventStore({ sql: counting, schema: db.schema });
    const before = await readers.headCheckpoint();
    await store.append('turn-0', [{ type: 't', data: {} }]);
    texts.length = 0;
    // A callback already waiting in the event loop (another connection's rows, a
    // timer, the handler's next step) must not hold the read back: the database
    // would idle meanwhile.
    const sentByNextCallback = new Promise<number>((resolve) => setImmediate(() => resolve(texts.length)));
    // Readers woken by one notification reach the reader through chains of microtasks of any length.
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const reader = async (hops: number) => {
      await woken;
      for (let i = 0; i < hops; i++) await Promise.resolve();
      return readers.readAll({ after: before, limit: 10 });
    };
    const reads = Promise.all([reader(0), reader(3), reader(12)]);
    wake();
    expect(await sentByNextCallback).toBe(1); // the read (PGlite, in this thread, may have answered it)
    const pages = await reads;
    expect(texts).toHaveLength(1); // one read: the horizon and the page
    for (const page of pages) expect(page.events.map((e) => e.aggregateId)).toStrictEqual(['turn-0']);
    await readers.close();
  });
});

describe.skipIf(!postgresEngine.available)('log reader horizon on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await postgresEngine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema, maxConcurrentFlushes: 4 });
    await store.migrate();
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await db.close();
  });

  it('reads its own writes while unrelated transactions start and end all the time', async () => {
    // Unrelated short transactions with ids, ending at every instant: none of
    // them may hide an append that has returned from the next readAll.
    let churning = true;
    const churn = Array.from({ length: 2 }, async () => {
      while (churning) await pool.query('SELECT pg_current_xact_id()');
    });
    try {
      for (let i = 0; i < 150; i++) {
        const before = await store.headCheckpoint();
        const appended = await store.append(`own-${i}`, [{ type: 't', data: { i } }]);
        const page = await store.readAll({ after: before });
        expect(page.events.map((e) => e.aggregateId)).toEqual([`own-${i}`]);
        expect(page.checkpoint).toBe(appended.checkpoint);
      }
    } finally {
      churning = false;
      await Promise.all(churn);
    }
  });

  it('is not held back by a transaction that is not a writer of this store', async () => {
    const before = await store.headCheckpoint();
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()'); // an open transaction with an id, older than the append
      const appended = await store.append('after-other', [{ type: 't', data: {} }]);
      const page = await store.readAll({ after: before });
      expect(page.events.map((e) => e.aggregateId)).toEqual(['after-other']);
      expect(page.checkpoint).toBe(appended.checkpoint);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });
});
