/**
 * A rebuild that dies inside its swap: the CLI runs in a child process, and is
 * stopped while the swap transaction catches the fresh table up to the
 * processor's checkpoint — SIGKILLed (a crashed host) or its backend
 * terminated (a dropped connection). The swap is one transaction, so nothing
 * of it may show: the live table, its checkpoint, the generation and
 * `rebuilt_through` are as before, no LISTENing client is notified, and the
 * next rebuild, from a fresh process, drops the fresh table left behind and
 * ends with exactly a fold of the log.
 *
 * Deterministic: the test holds the layout row (the swap's first lock) while
 * the processor moves past the replay's end, then holds an exclusive lock on
 * the fresh table, so the child's catch-up waits on it — the kill lands while
 * pg_locks shows that wait.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import { createProjection, type Projection } from '../../src/processing/index.js';
import { projectionRebuiltTopic } from '../../src/processing/projection/rebuild-watch.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { runProgram } from '../support/child-process.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { foldStockLevels, showStockRows, stockLevels, type StockRow } from './fixtures/projections.js';
import { visible } from './support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('./fixtures/cli-config.ts', import.meta.url));
const PROCESSOR = 'projection:stock_levels';
const FRESH = 'stock_levels__g1';

/** The rebuild CLI in a process of its own, its connections named `app` in pg_stat_activity. */
function rebuildInChild(schema: string, app: string) {
  const url = new URL(postgresUrl()!);
  url.searchParams.set('application_name', app);
  return runProgram(MAIN, { DATABASE_URL: url.href, SCHEMA: schema }, [
    'rebuild',
    'stock_levels',
    '--config',
    CONFIG,
    '--batch-size',
    '50',
  ]);
}

/** Appends `from`..`to`-1, two events each on one of nine skus; the last checkpoint. */
async function appendStock(store: EventStore, from: number, to: number): Promise<string> {
  let last = '';
  for (let i = from; i < to; i++) {
    const sku = `s${i % 9}`;
    last = (
      await store.append(`sku-${sku}`, [
        { type: 'stock.set', data: { sku, warehouse: 'w', quantity: i } },
        { type: 'stock.adjusted', data: { sku, warehouse: 'w', quantity: 1 } },
      ])
    ).checkpoint;
  }
  await visible(store, last);
  return last;
}

describe.skipIf(!postgresEngine.available)(
  'a rebuild stopped inside its swap’s catch-up (PostgreSQL)',
  () => {
    let db: TestDatabase;
    let store: EventStore;
    const clients: pg.Client[] = [];
    const projections: Projection<StockRow>[] = [];

    const client = async () => {
      const c = new pg.Client({ connectionString: postgresUrl()! });
      c.on('error', () => undefined); // a test's own failure speaks for itself
      await c.connect();
      clients.push(c);
      return c;
    };

    beforeEach(async () => {
      db = await postgresEngine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 });
      await store.migrate();
    });

    afterEach(async () => {
      await Promise.all(projections.splice(0).map((p) => p.stop()));
      await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
      await store.close();
      await db.close();
    });

    for (const fault of ['SIGKILL', 'pg_terminate_backend'] as const) {
      it(`${fault}: nothing of the swap shows, and the next rebuild folds the log exactly`, async () => {
        const s = quoteIdent(db.schema);
        const app = `killswap_${db.schema}`;
        const live = createProjection({ store, definition: stockLevels(), processor: { batchSize: 50 } });
        projections.push(live);
        await live.start(); // records the layout row the test locks below
        await live.whenCaughtUp({ to: await appendStock(store, 0, 100), timeoutMs: 30_000 });

        const notes: string[] = [];
        const listener = await client();
        listener.on('notification', (n) => notes.push(n.payload ?? ''));
        await listener.query(`LISTEN ${projectionRebuiltTopic(db.schema)}`);

        // Hold the swap at its first lock, after the replay.
        const layoutHolder = await client();
        await layoutHolder.query('BEGIN');
        await layoutHolder.query(`SELECT 1 FROM ${s}.processor_layouts WHERE name = $1 FOR UPDATE`, [
          PROCESSOR,
        ]);
        const child = rebuildInChild(db.schema, app);
        const admin = await client();
        const waiting = async (pattern: string) =>
          (
            await admin.query<{ pid: number; query: string }>(
              `SELECT pid, query FROM pg_stat_activity
              WHERE application_name = $1 AND wait_event_type = 'Lock' AND query ILIKE $2`,
              [app, pattern],
            )
          ).rows;
        await waitFor(async () => (await waiting('%processor_layouts%')).length === 1, {
          timeoutMs: 60_000,
          what: 'the swap waiting on the layout row',
        });

        // The processor goes past the replay's end: the swap must catch the fresh table up.
        const head = await appendStock(store, 100, 140);
        await live.whenCaughtUp({ to: head, timeoutMs: 30_000 });
        await live.stop();
        const before = await snapshot(admin, db.schema);
        expect(before.checkpoint).toBe(head);

        // Let the swap take its locks, and stop it at its catch-up's first read of the fresh table.
        const freshHolder = await client();
        await freshHolder.query('BEGIN');
        await freshHolder.query(`LOCK TABLE ${s}.${quoteIdent(FRESH)} IN ACCESS EXCLUSIVE MODE`);
        await layoutHolder.query('COMMIT');
        const freshWait = async () =>
          (
            await admin.query<{ pid: number; query: string }>(
              `SELECT a.pid, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE a.application_name = $1 AND NOT l.granted AND l.locktype = 'relation'
                AND l.relation = to_regclass($2)`,
              [app, `${db.schema}.${FRESH}`],
            )
          ).rows;
        await waitFor(async () => (await freshWait()).length === 1, {
          timeoutMs: 60_000,
          what: 'the swap’s catch-up waiting on the fresh table',
        });
        const [swap] = await freshWait();
        // A read of the catch-up, not the swap's DROP / RENAME that follow it.
        expect(swap!.query).toMatch(/^\s*SELECT/i);

        if (fault === 'SIGKILL') {
          child.kill('SIGKILL');
          await child.exited;
        } else {
          await admin.query('SELECT pg_terminate_backend($1)', [swap!.pid]);
          expect(await child.exited).toBe(1);
          expect(child.stderr()).toMatch(/terminat/i);
        }
        expect(child.lines().join('\n')).not.toMatch(/Rebuilt/);
        await freshHolder.query('ROLLBACK');
        // A killed client's backend runs on until it next reads its socket.
        await waitFor(
          async () =>
            (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [swap!.pid])).rows.length ===
            0,
          { timeoutMs: 60_000, what: 'the swap’s backend gone' },
        );

        await listener.query('SELECT 1'); // a notification sent on a commit would be delivered by now
        expect(notes).toEqual([]);
        expect(await snapshot(admin, db.schema)).toEqual(before);
        // The replay's committed work is left for the next rebuild to drop.
        expect(
          (await admin.query('SELECT to_regclass($1) AS t', [`${db.schema}.${FRESH}`])).rows[0]!.t,
        ).not.toBe(null);

        // The live table goes on: a processor started now is neither fenced nor retired.
        const resumed = createProjection({ store, definition: stockLevels(), processor: { batchSize: 50 } });
        projections.push(resumed);
        await resumed.start();
        const tail = await appendStock(store, 140, 160);
        await resumed.whenCaughtUp({ to: tail, timeoutMs: 30_000 });
        const log = (await store.readAll({ limit: 1_000_000 })).events;
        expect(log.length).toBe(320);
        expect(showStockRows(await resumed.rows())).toEqual(foldStockLevels(log));

        // The next rebuild, from a fresh process and with the processor running, starts over and swaps.
        const again = rebuildInChild(db.schema, `${app}_2`);
        await again.line(/^Rebuilt stock_levels/);
        expect(await again.exited).toBe(0);
        const after = await snapshot(admin, db.schema);
        expect(after.generation).toBe(1);
        expect(after.checkpoint).toBe(tail);
        expect(after.rebuiltThrough).toBe(tail);
        expect(after.table).not.toBe(before.table);
        expect(showStockRows(after.rows)).toEqual(foldStockLevels(log));
        await listener.query('SELECT 1');
        expect(notes).toEqual(['stock_levels']);

        // The processor continues into the rebuilt table.
        await resumed.whenCaughtUp({ to: await appendStock(store, 160, 170), timeoutMs: 30_000 });
        const all = (await store.readAll({ limit: 1_000_000 })).events;
        expect(showStockRows(await resumed.rows())).toEqual(foldStockLevels(all));
      });
    }
  },
);

/** What a swap changes: the live table (its identity and rows), the checkpoint, the projection's row. */
async function snapshot(c: pg.Client, schema: string) {
  const s = quoteIdent(schema);
  const table = await c.query<{ oid: number }>('SELECT to_regclass($1)::oid AS oid', [
    `${schema}.stock_levels`,
  ]);
  const rows = await c.query<StockRow>(`SELECT * FROM ${s}.stock_levels ORDER BY sku, warehouse`);
  const checkpoint = await c.query<{ checkpoint: string }>(
    `SELECT checkpoint FROM ${s}.processor_checkpoints WHERE processor = $1`,
    [PROCESSOR],
  );
  const projection = await c.query<{ generation: number; rebuilt_through: string | null }>(
    `SELECT generation, rebuilt_through FROM ${s}.projections WHERE name = 'stock_levels'`,
  );
  const layout = await c.query<{ partitions: number }>(
    `SELECT partitions FROM ${s}.processor_layouts WHERE name = $1`,
    [PROCESSOR],
  );
  return {
    table: table.rows[0]?.oid,
    rows: rows.rows,
    checkpoint: checkpoint.rows[0]?.checkpoint,
    generation: Number(projection.rows[0]?.generation),
    rebuiltThrough: projection.rows[0]?.rebuilt_through,
    partitions: layout.rows.map((r) => Number(r.partitions)),
  };
}
