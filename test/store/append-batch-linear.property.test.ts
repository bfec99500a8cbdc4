/**
 * append_batch's linear decisions (migration 0010) answer exactly as 0009's
 * function did. 0009's definition is installed beside it under another name;
 * random sequences of batches (streams shared by several requests, every
 * expected-version kind, keys repeated in a batch and across batches and
 * streams, event ids already stored, p_check_ids, fenced attempts) run
 * through both, each batch first through the old function in a transaction
 * rolled back, then through the new one, committed. Their answers and the
 * rows they leave (streams, events in log order, event ids, keys) must be
 * equal, or both must fail with the same error code.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent, type SqlQueryable } from '../../src/core/sql-client.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { writerLockKeys } from '../../src/store/postgres/writer-lock.js';
import { migrations } from '../../src/store/sql/index.generated.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

interface RequestSpec {
  stream: string;
  expected: number;
  key: string | null;
  /** Per event: null for a fresh id, else an index into the run's few reused ids. */
  ids: (number | null)[];
}

interface BatchSpec {
  requests: RequestSpec[];
  checkIds: boolean;
  fenced: boolean;
}

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  stream: fc.constantFrom('a', 'b', 'c', 'd'),
  expected: fc.constantFrom(-1, -2, -3, 0, 1, 2, 3, 4),
  key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: null }),
  ids: fc.array(
    fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.nat({ max: 5 }), weight: 1 }),
    { minLength: 1, maxLength: 3 },
  ),
});

const batchSpec: fc.Arbitrary<BatchSpec> = fc.record({
  requests: fc.array(requestSpec, { minLength: 1, maxLength: 8 }),
  checkIds: fc.boolean(),
  fenced: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
});

/** 0009's append_batch, renamed, from the migration's own text. */
function oldFunctionSql(schema: string): string {
  const sql = migrations.find((m) => m.version === 9)!.sql;
  const start = sql.indexOf('CREATE FUNCTION :SCHEMA:.append_batch(');
  const end = sql.indexOf('$$;', start) + 3;
  return sql
    .slice(start, end)
    .replace('.append_batch(', '.append_batch_0009(')
    .replaceAll(':SCHEMA:', quoteIdent(schema));
}

class Rollback extends Error {}

/** One batch's inputs besides its spec, the same for both functions. */
interface CallInputs {
  prefix: string;
  /** Event ids, indexed by the spec's `ids`. */
  ids: string[];
  attempt: string;
  occurredMs: number;
}

/** What one call answered and left behind, comparable across the two functions. */
type Observed = { error: string } | { answer: unknown; rows: unknown };

describe.each(sqlEngines.filter((e) => e.available))('append_batch 0010 against 0009 on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;
  let s: string;

  beforeAll(async () => {
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    s = quoteIdent(db.schema);
    await db.sql.query(oldFunctionSql(db.schema));
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  async function call(
    sql: SqlQueryable,
    fn: string,
    batch: BatchSpec,
    { prefix, ids, attempt, occurredMs }: CallInputs,
  ) {
    const r = batch.requests;
    const events = r.flatMap((req, i) => req.ids.map((id, off) => ({ req: i + 1, off, id: ids[id!]! })));
    return sql.query<Record<string, unknown>>(
      `SELECT * FROM ${s}.${fn}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        ...writerLockKeys(db.schema),
        `${db.schema}_events`,
        batch.checkIds,
        r.map((x) => `${prefix}${x.stream}`),
        r.map((x) => `agg-${x.stream}`),
        r.map((x) => x.expected),
        r.map((x) => (x.key === null ? null : `${prefix}${x.key}`)),
        r.map((x) => x.ids.length),
        events.map((e) => e.req),
        events.map((e) => e.off),
        events.map((e) => e.id),
        events.map((e) => `t${e.off}`),
        JSON.stringify(events.map((e) => ({ req: e.req, off: e.off }))),
        JSON.stringify(events.map(() => ({}))),
        events.map((_, j) => occurredMs + j),
        attempt,
      ],
    );
  }

  async function rowsOf(sql: SqlQueryable, prefix: string): Promise<unknown> {
    const like = `${prefix}%`;
    const q = async (text: string) => (await sql.query(text, [like])).rows;
    return {
      streams: await q(`SELECT stream_id, aggregate_type, version::text FROM ${s}.streams
        WHERE stream_id LIKE $1 ORDER BY stream_id`),
      events: await q(`SELECT id::text, aggregate_id, aggregate_type, event_type, event_data::text,
        metadata::text, version::text, occurred_at::text FROM ${s}.events WHERE aggregate_id LIKE $1 ORDER BY global_position`),
      ids: await q(
        `SELECT id::text, stream_id, version::text FROM ${s}.event_ids WHERE stream_id LIKE $1 ORDER BY id`,
      ),
      keys: await q(
        `SELECT key, stream_id, result::text FROM ${s}.idempotency_keys WHERE key LIKE $1 ORDER BY key`,
      ),
    };
  }

  /** Run `fn` on `batch` in a transaction, committed only when `commit`. */
  async function observe(fn: string, batch: BatchSpec, inputs: CallInputs, commit: boolean) {
    let observed: Observed | undefined;
    try {
      await db.sql.transaction(async (tx) => {
        const { rows } = await call(tx, fn, batch, inputs);
        const row = rows[0]!;
        const list = (v: unknown) =>
          ((v as unknown[] | null) ?? []).map((x) => (x === null ? null : String(x)));
        observed = {
          answer: {
            statuses: list(row.statuses),
            from: list(row.from_versions),
            to: list(row.to_versions),
            dup: list(row.dup_streams),
            written: list(row.written_positions).length,
            txid: row.txid !== null,
          },
          rows: await rowsOf(tx, inputs.prefix),
        };
        if (!commit) throw new Rollback();
      });
    } catch (err) {
      if (!(err instanceof Rollback)) observed = { error: String((err as { code?: string }).code ?? err) };
    }
    return observed!;
  }

  it('answers and writes as 0009 did, for random batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchSpec, { minLength: 1, maxLength: 4 }), async (batches) => {
        const prefix = `${randomUUID().slice(0, 8)}-`;
        const ids = Array.from({ length: 6 }, () => randomUUID());
        for (const batch of batches) {
          // Fresh ids are drawn once, so both functions get the same batch.
          const all = [...ids];
          const fixed: BatchSpec = {
            ...batch,
            requests: batch.requests.map((r) => ({
              ...r,
              ids: r.ids.map((id) => id ?? all.push(randomUUID()) - 1),
            })),
          };
          const attempt = randomUUID();
          if (batch.fenced) await db.sql.query(`SELECT FROM ${s}.fence_attempts($1::uuid[])`, [[attempt]]);
          const inputs = { prefix, ids: all, attempt, occurredMs: Date.now() };
          const before = await observe('append_batch_0009', fixed, inputs, false);
          const after = await observe('append_batch', fixed, inputs, true);
          expect(after).toEqual(before);
        }
      }),
      { numRuns: engine.name === 'pglite' ? 60 : 40 },
    );
  });
});
