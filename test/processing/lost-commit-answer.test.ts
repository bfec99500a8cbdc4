/**
 * An async projection's batch whose COMMIT answer is lost (PostgreSQL): the
 * batch's row write, sent with COMMIT, waits on its row — held by the test —
 * past the client's timeout; the server commits it once the row is free. The
 * processor reloads its checkpoint, finds the batch stored, does not fold it
 * again, and says on `changesLost` that its row changes were never published
 * (the engine reloads the channels the table feeds). A batch whose lost
 * attempt rolled back is folded again and says nothing.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import { createProjection } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { postgresEngine, postgresUrl } from '../support/databases.js';
import { timeoutPool } from '../support/timeout-pool.js';
import { waitFor } from '../support/wait.js';
import { saleOfS1, tallyProjection, watchPublished } from './fixtures/tally.js';

const TABLE = 'lca_tally';
const tally = tallyProjection(TABLE, 'async', 'apply');
const sale = (amount: number) => saleOfS1(amount);

describe.skipIf(!postgresEngine.available)('an async projection batch whose commit answer is lost', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  for (const outcome of ['committed', 'rolled back'] as const) {
    it(`${outcome}: folded exactly once, and lost changes are said lost`, async () => {
      const app = `lca_${outcome.replace(' ', '_')}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const db = await postgresEngine.open();
      closers.push(() => db.close());
      const { pool, giveUpAfter } = timeoutPool(app);
      closers.push(() => pool.end());
      const admin = new pg.Client({ connectionString: postgresUrl()! });
      await admin.connect();
      closers.push(() => admin.end());
      const store = createEventStore({ sql: fromPg(pool), schema: db.schema, pollIntervalMs: 100 });
      closers.push(() => store.close());
      await store.migrate();
      const projection = createProjection({
        store,
        definition: tally,
        processor: { pollIntervalMs: 100, errorBackoffMs: 50 },
      });
      const errors: unknown[] = [];
      projection.on('error', (e) => errors.push(e));
      const seen = watchPublished(projection);
      closers.push(async () => seen.unsubscribe());
      await projection.start();
      closers.push(() => projection.stop());

      await store.append('sale-1', [sale(5)]);
      await projection.whenCaughtUp({ timeoutMs: 30_000 });
      // Hold the row: the next batch's write of it, sent with COMMIT, waits for it.
      const holder = new pg.Client({ connectionString: postgresUrl()! });
      await holder.connect();
      closers.push(() => holder.end());
      await holder.query('BEGIN');
      await holder.query(
        `SELECT * FROM ${quoteIdent(db.schema)}.${quoteIdent(TABLE)} WHERE shop = 's1' FOR UPDATE`,
      );
      giveUpAfter(1_000);
      await store.append('sale-2', [sale(7)]);
      const writeWaiting = async () =>
        (
          await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'
              AND query LIKE $2`,
            [app, `%"${TABLE}" AS t%`],
          )
        ).rows.map((r) => r.pid);
      await waitFor(async () => (await writeWaiting()).length === 1, {
        what: 'the batch’s write waiting on the row',
      });
      const [first] = await writeWaiting();
      await waitFor(() => errors.length > 0, { what: 'the client giving up on the batch' });
      giveUpAfter(0);
      if (outcome === 'rolled back') {
        await admin.query('SELECT pg_cancel_backend($1)', [first]);
      }
      await holder.query('COMMIT');
      await store.append('sale-3', [sale(3)]);
      await projection.whenCaughtUp({ timeoutMs: 30_000 });

      const row = await projection.find({ shop: 's1' });
      expect({ sales: Number(row?.sales), top: Number(row?.top) }).toEqual({ sales: 3, top: 7 });
      const published = seen.salesPublished();
      if (outcome === 'committed') {
        await waitFor(() => seen.lost.length > 0, { what: 'the lost changes said lost' });
        expect(seen.lost).toEqual([[TABLE]]);
        expect(published).toBe(2);
      } else {
        expect(published).toBe(3);
        expect(seen.lost).toEqual([]);
      }
    }, 60_000);
  }
});
