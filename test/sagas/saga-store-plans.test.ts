/**
 * The saga store's hot statements reach the saga rows by key, however many
 * finished sagas the table holds, so a step does not cost more the longer the
 * system runs. The statements are captured as the store sends them and
 * explained with the same parameters, as they are planned for those values.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/core/sql-client.js';
import { createSqlSagaStore, type SagaStore, type SagaWrite } from '../../src/sagas/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';

/** Finished sagas already in the table: enough that a scan costs more than a few key lookups. */
const FINISHED = 2_000;
const OWNER = 'host-a:1:plans';

interface Sent {
  text: string;
  params: readonly unknown[] | undefined;
  prepared: boolean;
}

/** Relations a plan (EXPLAIN FORMAT JSON) reads with a sequential scan. */
function seqScans(node: Record<string, unknown>): string[] {
  const own = node['Node Type'] === 'Seq Scan' ? [String(node['Relation Name'])] : [];
  const children = (node['Plans'] as Record<string, unknown>[] | undefined) ?? [];
  return [...own, ...children.flatMap(seqScans)];
}

describe.each(sqlEngines)('saga store plans on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: TestDatabase;
    let store: SagaStore;
    let sent: Sent[];

    beforeEach(async () => {
      db = await engine.open();
      sent = [];
      const inner = db.sql;
      const sql: SqlClient = {
        ...interceptSql(inner, (_text, _params, next) => next()),
        query: (text, params, options) => {
          sent.push({ text, params, prepared: options?.prepare === true });
          return inner.query(text, params, options);
        },
      };
      store = createSqlSagaStore({ sql, schema: db.schema });
      await store.migrate();
      await db.sql.exec(`
        INSERT INTO "${db.schema}".sagas (saga_id, definition, input, status, step_cursor, lease_token, finished_at)
        SELECT 'done-' || g, 'order', '{"orderId": "o"}', 'completed', 5, 1, now()
          FROM generate_series(1, ${FINISHED}) AS g;
        ANALYZE "${db.schema}".sagas;`);
    });

    afterEach(async () => {
      await db.close();
    });

    /** Relations scanned whole by the plan of `statement` for its values. */
    const explain = (statement: Sent): Promise<string[]> =>
      db.sql.transaction(async (tx) => {
        await tx.query('SET LOCAL plan_cache_mode = force_custom_plan');
        const { rows } = await tx.query<{ 'QUERY PLAN': unknown }>(
          `EXPLAIN (FORMAT JSON) ${statement.text}`,
          statement.params,
        );
        const json = rows[0]!['QUERY PLAN'];
        const [root] = (typeof json === 'string' ? JSON.parse(json) : json) as [
          { Plan: Record<string, unknown> },
        ];
        return seqScans(root.Plan);
      });

    it("locks a step's saga rows by key, not by scanning every saga ever run", async () => {
      const ids = ['live-1', 'live-2', 'live-3', 'live-4'];
      await store.insert(
        ids.map((sagaId) => ({ sagaId, definition: 'order', input: {}, owner: OWNER, leaseMs: 60_000 })),
      );
      const writes: SagaWrite[] = ids.map((sagaId, i) => ({
        sagaId,
        token: 1,
        transition: i === 3,
        status: i === 3 ? 'completed' : 'running',
        cursor: 1,
        compensationFailed: false,
        finish: i === 3,
        log: {
          name: 'charge',
          stepIndex: 0,
          phase: 'action',
          outcome: 'completed',
          attempts: 1,
          output: { paymentId: `pay-${i}`, amount: 59.9 },
          error: null,
          startedAt: new Date(),
        },
      }));
      sent = [];
      expect(await store.record(OWNER, writes)).toEqual([true, true, true, true]);
      const [record] = sent;
      expect(record?.text).toContain('jsonb_to_recordset');
      // Planned per call (a cached generic plan would go stale as the table grows).
      expect(record?.prepared).toBe(false);
      expect(await explain(record!)).not.toContain('sagas');
    });

    it('claims through the claimable index, expired leases first, not by scanning every saga', async () => {
      await store.insert([{ sagaId: 'orphan', definition: 'order', input: {}, owner: 'dead', leaseMs: 1 }]);
      await store.insert([{ sagaId: 'new-1', definition: 'order', input: {} }]);
      sent = [];
      await store.claim({ owner: OWNER, leaseMs: 60_000, limit: 16, definitions: ['order'] });
      const claim = sent.find((q) => q.text.includes('SKIP LOCKED'))!;
      expect(claim.text).toContain('NULLS LAST');
      expect(await explain(claim)).not.toContain('sagas');
    });

    it('renews leases by key as well', async () => {
      const ids = ['live-1', 'live-2'];
      await store.insert(
        ids.map((sagaId) => ({ sagaId, definition: 'order', input: {}, owner: OWNER, leaseMs: 60_000 })),
      );
      sent = [];
      expect((await store.heartbeat(OWNER, ids, 60_000)).renewed).toEqual(expect.arrayContaining(ids));
      expect(await explain(sent[0]!)).not.toContain('sagas');
    });
  });
});
