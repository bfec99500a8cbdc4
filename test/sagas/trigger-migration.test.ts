/**
 * Upgrading a database whose saga triggers kept their checkpoints in
 * `saga_triggers` (sagas migration 1): migration 2 moves them into
 * processing's checkpoints, and the trigger, now a processor, resumes exactly
 * where the old one stopped — no event handled twice, none skipped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMigrations } from '../../src/core/migrator.js';
import { parseCheckpoint, type LogCheckpoint } from '../../src/core/checkpoint.js';
import { quoteIdent, type SqlClient } from '../../src/core/sql-client.js';
import { migrateProcessing, readCheckpoint, saveCheckpoint } from '../../src/processing/index.js';
import {
  createSagaRunner,
  createSagaTrigger,
  sagaTriggerProcessorName,
  type SagaRunner,
} from '../../src/sagas/index.js';
import { migrations as sagaMigrations } from '../../src/sagas/sql/index.generated.js';
import { createEventStore } from '../../src/store/index.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { ThirdParties, orderFulfillment } from './fixtures/order-fulfillment.js';

describe.each(sqlEngines)('saga trigger checkpoints migrate to processing on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: TestDatabase;
    let sql: SqlClient;
    let events: EventStore;
    let runner: SagaRunner;

    beforeEach(async () => {
      db = await engine.open();
      sql = db.sql;
      events = createEventStore({ sql, schema: db.schema, pollIntervalMs: 50 });
      await events.migrate();
      // The schema as the previous release left it: sagas at version 1, with saga_triggers.
      await migrateProcessing(sql, db.schema);
      await runMigrations(sql, {
        schema: db.schema,
        component: 'sagas',
        migrations: sagaMigrations.slice(0, 1),
      });
      runner = createSagaRunner({ sql, schema: db.schema, pollIntervalMs: 50 });
    });

    afterEach(async () => {
      await runner.stop({ drainMs: 0 });
      await events.close();
      await db.close();
    });

    const s = () => quoteIdent(db.schema);
    const placeOrder = (orderId: string) =>
      events.append(orderId, [{ type: 'order.placed', data: { orderId, amount: 10 } }], {
        aggregateType: 'order',
      });
    /** What the old trigger wrote after handling everything up to `checkpoint`. */
    const oldTriggerRow = async (name: string, checkpoint: LogCheckpoint) => {
      const { transactionId, globalPosition } = parseCheckpoint(checkpoint);
      await sql.query(
        `INSERT INTO ${s()}.saga_triggers (name, transaction_id, global_position) VALUES ($1, $2::numeric, $3)`,
        [name, transactionId.toString(), globalPosition],
      );
    };
    const triggersTable = async () =>
      (await sql.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`${s()}.saga_triggers`]))
        .rows[0]?.t ?? null;

    it('moves every trigger checkpoint, drops saga_triggers, and the trigger resumes after it', async () => {
      await placeOrder('o-1');
      const handled = await placeOrder('o-2');
      await oldTriggerRow('fulfil-orders', handled.checkpoint);
      await oldTriggerRow('other', '1:1');
      await placeOrder('o-3'); // appended while the old trigger was down: must not be skipped

      await runner.migrate();
      expect(await triggersTable()).toBeNull();
      expect(await readCheckpoint(sql, db.schema, sagaTriggerProcessorName('fulfil-orders'))).toBe(
        handled.checkpoint,
      );
      expect(await readCheckpoint(sql, db.schema, sagaTriggerProcessorName('other'))).toBe('1:1');

      const mapped: string[] = [];
      const trigger = createSagaTrigger({
        name: 'fulfil-orders',
        runner,
        events,
        definition: orderFulfillment(new ThirdParties()),
        pollIntervalMs: 50,
        map: (event) => {
          const { orderId } = event.data as { orderId: string };
          mapped.push(orderId);
          return { input: event.data, sagaId: `order-${orderId}` };
        },
      });
      const started: string[] = [];
      runner.on('saga:started', ({ sagaId }) => started.push(sagaId));
      await trigger.start();
      await placeOrder('o-4');
      await trigger.whenCaughtUp({ timeoutMs: 30_000 });
      await trigger.stop();
      expect(mapped).toEqual(['o-3', 'o-4']);
      expect(started.sort()).toEqual(['order-o-3', 'order-o-4']);
      expect((await runner.list()).map((x) => x.sagaId).sort()).toEqual(['order-o-3', 'order-o-4']);
    });

    it('keeps the earlier checkpoint when a new trigger stored one before the migration ran', async () => {
      const early = await placeOrder('o-1');
      const late = await placeOrder('o-2');
      await oldTriggerRow('fulfil-orders', early.checkpoint);
      await saveCheckpoint(sql, db.schema, sagaTriggerProcessorName('fulfil-orders'), late.checkpoint);
      await runner.migrate();
      expect(await readCheckpoint(sql, db.schema, sagaTriggerProcessorName('fulfil-orders'))).toBe(
        early.checkpoint,
      );
    });

    it('migrates once: a second migrate() finds nothing left to do', async () => {
      await runner.migrate(); // version 1 (from beforeEach), then 2
      await runner.migrate(); // nothing left to do
      expect(await triggersTable()).toBeNull();
      const { rows } = await sql.query<{ v: number }>(
        `SELECT max(version) AS v FROM ${s()}.schema_migrations WHERE component = 'sagas'`,
      );
      expect(rows[0]?.v).toBe(sagaMigrations.length);
    });
  });
});
