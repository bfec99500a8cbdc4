/**
 * The saga store's hot statements reach the saga rows by key, however many
 * finished sagas the table holds: a step's write (`record`) and the lease
 * renewal are planned with their parameters bound, so a plan that scans the
 * whole table would make every step cost more the longer the system runs.
 * The statements are captured as the store sends them and explained with the
 * same parameters.
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
      const sql: SqlClient = interceptSql(db.sql, (text, params, next) => {
        sent.push({ text, params });
        return next();
      });
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

    const explain = async (statement: Sent): Promise<string[]> => {
      const { rows } = await db.sql.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) ${statement.text}`,
        statement.params,
      );
      const plan = rows[0]!['QUERY PLAN'];
      const [root] = (typeof plan === 'string' ? JSON.parse(plan) : plan) as [
        { Plan: Record<string, unknown> },
      ];
      return seqScans(root.Plan);
    };

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
      expect(await explain(record!)).not.toContain('sagas');
    });

    it('renews leases by key as well', async () => {
      const ids = ['live-1', 'live-2'];
      await store.insert(
        ids.map((sagaId) => ({ sagaId, definition: 'order', input: {}, owner: OWNER, leaseMs: 60_000 })),
      );
      sent = [];
      expect(await store.heartbeat(OWNER, ids, 60_000)).toEqual(expect.arrayContaining(ids));
      expect(await explain(sent[0]!)).not.toContain('sagas');
    });
  });
});
