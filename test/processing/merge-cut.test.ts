/**
 * The merge statement cut (PostgreSQL): a flush's one-statement merge waits on
 * its row — held by the test — when its connection is terminated by the
 * server, or the client gives up on it (query timeout). The store finds out
 * what the lost attempt did and writes at most once, so the row counts the
 * delta exactly once. A lost attempt that committed never published its row
 * changes: the projection says so on `changesLost`, and the engine reloads the
 * channels the table feeds, so a realtime subscriber ends with the server's
 * row — including a field only that transaction changed.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import type { Row } from '../../src/core/row-change.js';
import { createSyncEngine } from '../../src/engine.js';
import { createProjection, createProjectionSet } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { postgresEngine, postgresUrl } from '../support/databases.js';
import { timeoutPool } from '../support/timeout-pool.js';
import { waitFor } from '../support/wait.js';
import { saleOfS1, tallyProjection, watchPublished, type TallyRow } from './fixtures/tally.js';

const TABLE = 'mcut_tally';
const tally = tallyProjection(TABLE, 'inline', 'merge');
const sale = (id: string, amount: number) => saleOfS1(amount, id);
const ID = (n: number) => `5a1e0000-0000-4000-8000-00000000000${n}`;
/** The cut sale (7) is the only one that raises `top`: a subscriber that missed it shows 5. */
const AMOUNTS = [5, 7, 3] as const;
const FINAL = { sales: 3, revenue: 15, top: 7 };

describe.skipIf(!postgresEngine.available)('a merge statement cut mid-flight (PostgreSQL)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A schema, a pool named `app` whose client timeout can be switched on, and an admin connection. */
  async function database(app: string) {
    const db = await postgresEngine.open();
    closers.push(() => db.close());
    const { pool, giveUpAfter } = timeoutPool(app);
    closers.push(() => pool.end());
    const admin = new pg.Client({ connectionString: postgresUrl()! });
    admin.on('error', () => undefined);
    await admin.connect();
    closers.push(() => admin.end());
    const waiting = async (pattern: string) =>
      (
        await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE $2`,
          [app, pattern],
        )
      ).rows.map((r) => r.pid);
    return {
      db,
      pool,
      admin,
      giveUpAfter,
      /** Backends of the pool waiting on a lock inside the merge statement. */
      mergesWaiting: () => waiting('%merged AS (%'),
      /** Backends of the pool waiting on a lock inside append_batch. */
      appendsWaiting: () => waiting('%append_batch%'),
      /** Hold the stored row `FOR UPDATE` (the lock the merge statement's CTE takes) until released. */
      async holdRow() {
        const holder = new pg.Client({ connectionString: postgresUrl()! });
        await holder.connect();
        await holder.query('BEGIN');
        await holder.query(
          `SELECT * FROM ${quoteIdent(db.schema)}.${quoteIdent(TABLE)} WHERE shop = 's1' FOR UPDATE`,
        );
        return async () => {
          await holder.query('COMMIT');
          await holder.end();
        };
      },
    };
  }
  type Database = Awaited<ReturnType<typeof database>>;

  /**
   * Append the three sales, the second while its merge waits on the held row
   * and `cut` strikes; resolves with what the second append answered.
   */
  async function cutTheSecond(d: Database, store: EventStore, cut: 'terminate' | 'timeout') {
    await store.append('sale-1', [sale(ID(1), AMOUNTS[0])]);
    const release = await d.holdRow();
    if (cut === 'timeout') d.giveUpAfter(1_500);
    const second = store.append('sale-2', [sale(ID(2), AMOUNTS[1])]);
    await waitFor(async () => (await d.mergesWaiting()).length === 1, {
      what: 'the merge waiting on its row',
    });
    const [lost] = await d.mergesWaiting();
    if (cut === 'terminate') {
      await d.admin.query('SELECT pg_terminate_backend($1)', [lost]);
      await waitFor(async () => (await d.mergesWaiting()).some((pid) => pid !== lost), {
        what: 'the flush run again, its merge waiting on the row',
      });
    } else {
      // Past the client's timeout the lost attempt still waits on the server, and the
      // store's next attempt, the lost one fenced, waits for it on the stream's row.
      await waitFor(async () => (await d.appendsWaiting()).length === 1, {
        what: 'the next attempt waiting for the lost one',
      });
      expect(await d.mergesWaiting()).toEqual([lost]);
      d.giveUpAfter(0);
    }
    await release();
    const answer = await second;
    await store.append('sale-3', [sale(ID(3), AMOUNTS[2])]);
    return answer;
  }

  async function expectExactlyOnce(store: EventStore, row: TallyRow | null) {
    const { events } = await store.readAll({ limit: 100 });
    expect(events.map((e) => e.id)).toEqual([ID(1), ID(2), ID(3)]);
    expect({ sales: Number(row?.sales), revenue: Number(row?.revenue), top: Number(row?.top) }).toEqual(
      FINAL,
    );
  }

  for (const cut of ['terminate', 'timeout'] as const) {
    it(`${cut}: the delta is merged once, and the changes published add up or are said lost`, async () => {
      const d = await database(`mcut_${cut}_${d0()}`);
      const store = createEventStore({ sql: fromPg(d.pool), schema: d.db.schema, pollIntervalMs: 200 });
      closers.push(() => store.close());
      await store.migrate();
      const projection = createProjection({ store, definition: tally });
      await projection.start();
      closers.push(() => projection.stop());
      const seen = watchPublished(projection);
      closers.push(async () => seen.unsubscribe());

      await expect(cutTheSecond(d, store, cut)).resolves.toMatchObject({
        streamId: 'sale-2',
        nextVersion: 1,
      });
      const row = await projection.find({ shop: 's1' });
      await expectExactlyOnce(store, row);
      await waitFor(() => Number(seen.changes.at(-1)?.newRow?.['sales']) === 3, {
        what: 'the last change published',
      });
      const published = seen.salesPublished();
      if (cut === 'terminate') {
        // The lost attempt did not commit: the one that did published, and nothing is said lost.
        expect(published).toBe(3);
        expect(seen.lost).toEqual([]);
      } else {
        // The lost attempt committed; its changes never came, and the projection says so.
        expect(published).toBe(2);
        expect(seen.lost).toEqual([[TABLE]]);
      }
      // Nothing waits on the lost merge's answer: a later change publishes.
      await store.append('sale-4', [sale('5a1e0000-0000-4000-8000-000000000009', 1)]);
      await waitFor(() => Number(seen.changes.at(-1)?.newRow?.['sales']) === 4, {
        what: 'a later change published',
      });
      const live = await projection.rows();
      await projection.rebuild();
      expect(await projection.rows()).toEqual(live);
    }, 60_000);
  }

  it('a projection set says its tables lost changes after a timeout cut', async () => {
    const d = await database(`mcut_set_${d0()}`);
    const store = createEventStore({ sql: fromPg(d.pool), schema: d.db.schema, pollIntervalMs: 200 });
    closers.push(() => store.close());
    await store.migrate();
    const set = createProjectionSet({ store, name: 'mcut_set', definitions: [tally] });
    await set.start();
    closers.push(() => set.stop());
    const seen = watchPublished(set);
    closers.push(async () => seen.unsubscribe());
    await cutTheSecond(d, store, 'timeout');
    await expectExactlyOnce(store, (await set.unscopedRows<TallyRow>(TABLE))[0] ?? null);
    expect(seen.lost).toEqual([[TABLE]]);
    await waitFor(() => Number(seen.changes.at(-1)?.newRow?.['sales']) === 3, {
      what: 'the last change published',
    });
    expect(seen.salesPublished()).toBe(2);
  }, 60_000);

  it('through the engine, a realtime subscriber ends with the server’s row after a timeout cut', async () => {
    const d = await database(`mcut_engine_${d0()}`);
    const engine = createSyncEngine({ sql: fromPg(d.pool), schema: d.db.schema, projections: [tally] });
    closers.push(() => engine.close());
    await engine.start();
    // What a dashboard holds: resets replace the rows, data merges the changed fields in.
    const shown = new Map<string, Row>();
    let resets = 0;
    const sub = engine.hub
      .messages({ channel: TABLE }, { userId: 'u1', tenantIds: ['s1'] })
      .subscribe((m) => {
        if (m.type === 'reset') {
          resets += 1;
          shown.clear();
          for (const r of m.rows ?? []) shown.set(String(r['shop']), { ...r });
        }
        for (const [op, key, fields] of m.deltas ?? []) {
          const id = String(key['shop']);
          if (op === 'DELETE') shown.delete(id);
          else shown.set(id, { ...shown.get(id), ...key, ...fields });
        }
      });
    closers.push(async () => sub.unsubscribe());
    await waitFor(() => resets === 1, { what: 'the first snapshot' });

    await cutTheSecond(d, engine.store, 'timeout');
    await expectExactlyOnce(
      engine.store,
      (
        await engine.store.sql!.query<TallyRow>(
          `SELECT * FROM ${quoteIdent(d.db.schema)}.${quoteIdent(TABLE)}`,
        )
      ).rows[0]!,
    );
    const view = () => {
      const r = shown.get('s1');
      return { sales: Number(r?.['sales']), revenue: Number(r?.['revenue']), top: Number(r?.['top']) };
    };
    await waitFor(() => JSON.stringify(view()) === JSON.stringify(FINAL), {
      timeoutMs: 30_000,
      what: 'the subscriber showing the server’s row',
    });
    expect(resets).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

/** A suffix for application names, unique per test. */
function d0(): string {
  return `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}
