/**
 * A projection set's rebuild on PGlite and PostgreSQL is blue/green: the log
 * is replayed into tables of the next generation while appends commit (on
 * PostgreSQL), the events committed meanwhile are folded in under the set's
 * exclusive lock, and the new tables take the live ones' place with their
 * generation recorded. A failed rebuild leaves the live tables as they were
 * and no table of its generation; concurrent rebuilds take turns.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteIdent, type SqlClient } from '../../src/core/sql-client.js';
import {
  createProjectionSet,
  defineProjection,
  rowChangeOf,
  rowEventType,
  type ProjectionSet,
} from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, ReadAllOptions, StoredEvent } from '../../src/store/types.js';
import { postgresUrl } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { sqlStoreEngines, type TestStore } from './support.js';

interface Stocked {
  warehouse: string;
  sku: string;
  quantity: number;
}
const stockedOf = (e: StoredEvent) => e.data as Stocked;

const items = defineProjection<{ warehouse: string; sku: string; quantity: number }>({
  name: 'rb_items',
  key: ['warehouse', 'sku'],
  migrations: [
    'CREATE TABLE :TABLE: (warehouse text, sku text, quantity int NOT NULL, PRIMARY KEY (warehouse, sku))',
    'CREATE INDEX :TABLE_NAME:_by_quantity ON :TABLE: (quantity)',
  ],
  handlers: {
    'item.stocked': {
      key: (e) => ({ warehouse: stockedOf(e).warehouse, sku: stockedOf(e).sku }),
      apply: (row, e) => ({ quantity: (row?.quantity ?? 0) + stockedOf(e).quantity }),
    },
  },
});

const totals = defineProjection<{ warehouse: string; units: number }>({
  name: 'rb_totals',
  key: ['warehouse'],
  migrations: ['CREATE TABLE :TABLE: (warehouse text PRIMARY KEY, units int NOT NULL)'],
  handlers: {
    [rowEventType('rb_items')]: {
      key: (e) => ({ warehouse: String(rowChangeOf(e).key['warehouse']) }),
      apply: (row, e) => {
        const { oldRow, newRow } = rowChangeOf(e);
        const units = (r: typeof oldRow) => Number(r?.['quantity'] ?? 0);
        return { units: (row?.units ?? 0) - units(oldRow) + units(newRow) };
      },
    },
  },
});

const stocked = (warehouse: string, sku: string, quantity: number) => ({
  type: 'item.stocked',
  data: { warehouse, sku, quantity },
});

/** The store's SQL client and schema (the SQL engines' stores have both). */
const sqlOf = (store: EventStore) => ({ sql: store.sql as SqlClient, schema: quoteIdent(store.schema!) });

/**
 * `store.readAll` held at its `page`-th call outside a transaction (the
 * rebuild's replay on the pool) until `release`.
 */
function holdReplay(store: EventStore, page: number) {
  const readAll = store.readAll.bind(store);
  let calls = 0;
  let reached!: () => void;
  let release!: () => void;
  const atPage = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  store.readAll = async (options?: ReadAllOptions) => {
    if (!options?.tx && ++calls === page) {
      reached();
      await released;
    }
    return readAll(options);
  };
  return { atPage, release, restore: () => (store.readAll = readAll) };
}

/** `store.readAll` failing from its `page`-th call on, in or outside a transaction. */
function cutReads(store: EventStore, page: number): () => void {
  const readAll = store.readAll.bind(store);
  let calls = 0;
  store.readAll = async (options?: ReadAllOptions) => {
    if (++calls >= page) throw new Error('replay cut');
    return readAll(options);
  };
  return () => (store.readAll = readAll);
}

describe.each(sqlStoreEngines)('projection set rebuild on $name', (engine) => {
  let t: TestStore;
  let set: ProjectionSet;

  const generations = async () => {
    const { sql, schema } = sqlOf(t.store);
    const { rows } = await sql.query<{ name: string; generation: number; through: string | null }>(
      `SELECT name, generation, rebuilt_through AS through FROM ${schema}.projections
        WHERE name IN ('rb_items', 'rb_totals') ORDER BY name`,
    );
    return rows.map((r) => [r.name, Number(r.generation), r.through !== null]);
  };
  const generationTables = async () => {
    const { sql } = sqlOf(t.store);
    const { rows } = await sql.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'r' AND relname LIKE 'rb\\_%\\_\\_g%' ORDER BY relname`,
      [t.store.schema],
    );
    return rows.map((r) => r.name);
  };

  beforeEach(async () => {
    if (!engine.available) return;
    t = await engine.open();
    set = createProjectionSet({
      store: t.store,
      name: 'rb_stock',
      definitions: [items, totals],
      tenantOf: (e) => stockedOf(e).warehouse,
    });
    await set.start();
    for (let i = 0; i < 30; i++) {
      await t.store.append(`item-${i % 6}`, [stocked(i % 2 === 0 ? 'w1' : 'w2', `sku-${i % 6}`, 1 + i)]);
    }
  });
  afterEach(async () => {
    if (!engine.available) return;
    await set.stop();
    await t.close();
  });

  it.skipIf(!engine.available)(
    'swaps in tables of the next generation holding the same rows, and records it',
    async () => {
      const before = [await set.unscopedRows('rb_items'), await set.unscopedRows('rb_totals')];
      expect(await generations()).toEqual([
        ['rb_items', 0, false],
        ['rb_totals', 0, false],
      ]);
      expect(await set.rebuild({ batchSize: 4 })).toBeGreaterThanOrEqual(30);
      expect([await set.unscopedRows('rb_items'), await set.unscopedRows('rb_totals')]).toEqual(before);
      expect(await generations()).toEqual([
        ['rb_items', 1, true],
        ['rb_totals', 1, true],
      ]);
      // Renamed into place: no table of a generation is left, and the next rebuild's
      // index names (from :TABLE_NAME:) meet none of the live table's.
      expect(await generationTables()).toEqual([]);
      await set.rebuild({ batchSize: 4 });
      expect(await generations()).toEqual([
        ['rb_items', 2, true],
        ['rb_totals', 2, true],
      ]);
      // The swapped-in tables are the live ones: appends fold into them.
      await t.store.append('item-late', [stocked('w1', 'sku-late', 5)]);
      expect(await set.unscopedFind('rb_items', { warehouse: 'w1', sku: 'sku-late' })).toEqual({
        warehouse: 'w1',
        sku: 'sku-late',
        quantity: 5,
      });
      expect(await set.unscopedFind('rb_totals', { warehouse: 'w1' })).toEqual({
        ...(before[1]!.find((r) => r['warehouse'] === 'w1') as object),
        units: Number((before[1]!.find((r) => r['warehouse'] === 'w1') as { units: number }).units) + 5,
      });
    },
  );

  it.skipIf(!engine.available || engine.name !== 'postgres')(
    'appends commit while the log is replayed, and the rebuilt tables hold them',
    async () => {
      const held = holdReplay(t.store, 2);
      const rebuilt = set.rebuild({ batchSize: 4 });
      try {
        await held.atPage;
        // The old rebuild held every append's hook on the set's exclusive lock for the
        // whole replay: this append would wait for the release below, which never comes first.
        await t.store.append('item-during', [stocked('w2', 'sku-during', 7)]);
        // Readers see the live tables, which the append changed.
        expect(await set.unscopedFind('rb_items', { warehouse: 'w2', sku: 'sku-during' })).toEqual({
          warehouse: 'w2',
          sku: 'sku-during',
          quantity: 7,
        });
      } finally {
        held.release();
        held.restore();
      }
      await rebuilt;
      const expected = await set.unscopedRows('rb_items');
      expect(expected.find((r) => r['sku'] === 'sku-during')).toEqual({
        warehouse: 'w2',
        sku: 'sku-during',
        quantity: 7,
      });
      // Equal to a rebuild that ran with nothing appended during it.
      await set.rebuild();
      expect(await set.unscopedRows('rb_items')).toEqual(expected);
      const units = expected
        .filter((r) => r['warehouse'] === 'w2')
        .reduce((sum, r) => sum + Number(r['quantity']), 0);
      expect(await set.unscopedFind('rb_totals', { warehouse: 'w2' })).toEqual({ warehouse: 'w2', units });
    },
  );

  it.skipIf(!engine.available)(
    'a rebuild that fails leaves the live tables as they were and no table of its generation',
    async () => {
      const before = await set.unscopedRows('rb_items');
      const restore = cutReads(t.store, 2);
      try {
        await expect(set.rebuild({ batchSize: 4 })).rejects.toThrow('replay cut');
      } finally {
        restore();
      }
      expect(await set.unscopedRows('rb_items')).toEqual(before);
      expect(await generations()).toEqual([
        ['rb_items', 0, false],
        ['rb_totals', 0, false],
      ]);
      expect(await generationTables()).toEqual([]);
      // Appends still fold into the live tables.
      await t.store.append('item-after', [stocked('w1', 'sku-after', 2)]);
      expect(await set.unscopedFind('rb_items', { warehouse: 'w1', sku: 'sku-after' })).not.toBeNull();
    },
  );

  it.skipIf(!engine.available || engine.name !== 'postgres')(
    'a rebuild whose connection is cut mid-replay leaves the live tables, and appends go on',
    async () => {
      const before = await set.unscopedRows('rb_items');
      const held = holdReplay(t.store, 2);
      const rebuilt = set.rebuild({ batchSize: 4 });
      const outcome = rebuilt.then(
        () => 'committed',
        (err: unknown) => String(err),
      );
      try {
        await held.atPage;
        // The rebuild's own session: idle in its transaction, having created the next generation.
        const { sql } = sqlOf(t.store);
        const { rows } = await sql.query<{ cut: boolean }>(
          `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
            WHERE datname = current_database() AND state LIKE 'idle in transaction%'
              AND query LIKE $1`,
          [`%${t.store.schema}%rb\\_%\\_\\_g1%`],
        );
        expect(rows.map((r) => r.cut)).toEqual([true]);
      } finally {
        held.release();
        held.restore();
      }
      expect(await outcome).not.toBe('committed');
      expect(await set.unscopedRows('rb_items')).toEqual(before);
      expect(await generations()).toEqual([
        ['rb_items', 0, false],
        ['rb_totals', 0, false],
      ]);
      expect(await generationTables()).toEqual([]);
      await t.store.append('item-after-cut', [stocked('w2', 'sku-after-cut', 4)]);
      expect(await set.unscopedFind('rb_items', { warehouse: 'w2', sku: 'sku-after-cut' })).not.toBeNull();
      // The next rebuild starts over and completes.
      await set.rebuild({ batchSize: 4 });
      expect(await generations()).toEqual([
        ['rb_items', 1, true],
        ['rb_totals', 1, true],
      ]);
    },
  );

  it.skipIf(!engine.available)('rebuilds of one set run at once take turns', async () => {
    const before = await set.unscopedRows('rb_totals');
    await Promise.all([set.rebuild({ batchSize: 4 }), set.rebuild({ batchSize: 4 })]);
    expect(await set.unscopedRows('rb_totals')).toEqual(before);
    expect(await generations()).toEqual([
      ['rb_items', 2, true],
      ['rb_totals', 2, true],
    ]);
  });
});

describe.each(sqlStoreEngines)('async projection set rebuild on $name', (engine) => {
  let t: TestStore;
  let set: ProjectionSet;

  beforeEach(async () => {
    if (!engine.available) return;
    t = await engine.open();
    set = createProjectionSet({
      store: t.store,
      name: 'rb_async',
      definitions: [items, totals],
      tenantOf: (e) => stockedOf(e).warehouse,
      mode: 'async',
    });
    await set.start();
    for (let i = 0; i < 30; i++) {
      await t.store.append(`item-${i % 6}`, [stocked(i % 2 === 0 ? 'w1' : 'w2', `sku-${i % 6}`, 1 + i)]);
    }
    await set.whenCaughtUp({ timeoutMs: 30_000 });
  });
  afterEach(async () => {
    if (!engine.available) return;
    await set.stop();
    await t.close();
  });

  /** Units of every item in the log (each event folded once). */
  const unitsIn = async (warehouse: string) =>
    (await t.store.readAll({ limit: 10_000 })).events
      .filter((e) => e.type === 'item.stocked' && stockedOf(e).warehouse === warehouse)
      .reduce((sum, e) => sum + stockedOf(e).quantity, 0);

  it.skipIf(!engine.available)(
    'swaps in tables of the next generation, and the processor folds on into them',
    async () => {
      const before = [await set.unscopedRows('rb_items'), await set.unscopedRows('rb_totals')];
      expect(await set.rebuild({ batchSize: 4 })).toBeGreaterThanOrEqual(30);
      expect([await set.unscopedRows('rb_items'), await set.unscopedRows('rb_totals')]).toEqual(before);
      const { sql, schema } = sqlOf(t.store);
      const { rows } = await sql.query<{ generation: number }>(
        `SELECT generation FROM ${schema}.projections WHERE name IN ('rb_items', 'rb_totals')`,
      );
      expect(rows.map((r) => Number(r.generation))).toEqual([1, 1]);
      await t.store.append('item-late', [stocked('w1', 'sku-late', 5)]);
      await set.whenCaughtUp({ timeoutMs: 30_000 });
      expect(await set.unscopedFind('rb_items', { warehouse: 'w1', sku: 'sku-late' })).toEqual({
        warehouse: 'w1',
        sku: 'sku-late',
        quantity: 5,
      });
      expect(await set.unscopedFind('rb_totals', { warehouse: 'w1' })).toEqual({
        warehouse: 'w1',
        units: await unitsIn('w1'),
      });
    },
  );

  it.skipIf(!engine.available || engine.name !== 'postgres')(
    'readers see the live tables while the log is replayed; appends go on and are folded once',
    async () => {
      const held = holdReplay(t.store, 2);
      const rebuilt = set.rebuild({ batchSize: 4 });
      try {
        await held.atPage;
        // The old rebuild emptied the tables and replayed through the processor: readers
        // saw none of these rows until it caught up.
        expect((await set.unscopedRows('rb_items')).length).toBe(6);
        await t.store.append('item-during', [stocked('w2', 'sku-during', 7)]);
        await set.whenCaughtUp({ timeoutMs: 30_000 });
        expect(await set.unscopedFind('rb_items', { warehouse: 'w2', sku: 'sku-during' })).toEqual({
          warehouse: 'w2',
          sku: 'sku-during',
          quantity: 7,
        });
      } finally {
        held.release();
        held.restore();
      }
      await rebuilt;
      await set.whenCaughtUp({ timeoutMs: 30_000 });
      expect(await set.unscopedFind('rb_totals', { warehouse: 'w2' })).toEqual({
        warehouse: 'w2',
        units: await unitsIn('w2'),
      });
      const expected = await set.unscopedRows('rb_items');
      await set.rebuild();
      expect(await set.unscopedRows('rb_items')).toEqual(expected);
    },
  );

  it.skipIf(!engine.available || engine.name !== 'postgres')(
    'a swap whose connection is cut while it waits for the processor: nothing of it shows, the next one swaps',
    async () => {
      const { schema } = sqlOf(t.store);
      const processor = `${schema}.processor_checkpoints`;
      const admin = new pg.Client({ connectionString: postgresUrl()! });
      await admin.connect();
      const tables = async () => [await set.unscopedRows('rb_items'), await set.unscopedRows('rb_totals')];
      const generations = async () =>
        (
          await admin.query<{ name: string; generation: number }>(
            `SELECT name, generation FROM ${schema}.projections WHERE name IN ('rb_items', 'rb_totals') ORDER BY name`,
          )
        ).rows.map((r) => [r.name, Number(r.generation)]);
      const schemaTables = async () =>
        (
          await admin.query<{ tablename: string }>(
            'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
            [t.store.schema],
          )
        ).rows.map((r) => r.tablename);
      const holder = new pg.Client({ connectionString: postgresUrl()! });
      await holder.connect();
      try {
        const before = {
          rows: await tables(),
          generations: await generations(),
          tables: await schemaTables(),
        };
        // Hold the processor's checkpoint row: the swap, its replay done, waits for it there.
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM ${processor} WHERE processor = 'rb_async' FOR UPDATE`);
        const rebuilt = set.rebuild({ batchSize: 4 }).catch((e: unknown) => e);
        const swapWaiting = async () =>
          (
            await admin.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                AND query LIKE 'SELECT checkpoint FROM %FOR UPDATE' AND query LIKE $1`,
              [`%${processor}%`],
            )
          ).rows.map((r) => r.pid);
        await waitFor(async () => (await swapWaiting()).length === 1, {
          what: 'the swap waiting for the processor',
        });
        const [swap] = await swapWaiting();
        // Appends go on meanwhile; the processor folds them once the row is free.
        await t.store.append('item-cut', [stocked('w1', 'sku-cut', 9)]);
        await admin.query('SELECT pg_terminate_backend($1)', [swap]);
        expect(await rebuilt).toBeInstanceOf(Error);
        await holder.query('COMMIT');

        // Nothing of the swap: the same generations and tables (none of the next generation left behind).
        expect(await generations()).toEqual(before.generations);
        expect(await schemaTables()).toEqual(before.tables);
        // The processor folds on into the live tables, each event once.
        await set.whenCaughtUp({ timeoutMs: 30_000 });
        expect(await set.unscopedFind('rb_items', { warehouse: 'w1', sku: 'sku-cut' })).toMatchObject({
          quantity: 9,
        });
        expect(await set.unscopedFind('rb_totals', { warehouse: 'w1' })).toEqual({
          warehouse: 'w1',
          units: await unitsIn('w1'),
        });
        // The next rebuild swaps, and equals the live tables.
        const live = await tables();
        await set.rebuild({ batchSize: 4 });
        expect(await tables()).toEqual(live);
        expect((await generations()).map(([, g]) => g)).toEqual([1, 1]);
      } finally {
        await holder.end();
        await admin.end();
      }
    },
  );

  it.skipIf(!engine.available || engine.name !== 'postgres')(
    'a processor ahead of the replay at the swap: the new tables catch up to it, nothing folded twice',
    async () => {
      const readAll = t.store.readAll.bind(t.store);
      let appended = false;
      // When the replay (batches of 3, outside a transaction) reaches the end of the log,
      // an append is folded by the processor before the swap locks it.
      t.store.readAll = async (options?: ReadAllOptions) => {
        const page = await readAll(options);
        if (!options?.tx && options?.limit === 3 && page.events.length === 0 && !appended) {
          appended = true;
          await t.store.append('item-ahead', [stocked('w1', 'sku-ahead', 11)]);
          await set.whenCaughtUp({ timeoutMs: 30_000 });
        }
        return page;
      };
      try {
        await set.rebuild({ batchSize: 3 });
      } finally {
        t.store.readAll = readAll;
      }
      expect(appended).toBe(true);
      await t.store.append('item-after', [stocked('w1', 'sku-after', 2)]);
      await set.whenCaughtUp({ timeoutMs: 30_000 });
      expect(await set.unscopedFind('rb_items', { warehouse: 'w1', sku: 'sku-ahead' })).toMatchObject({
        quantity: 11,
      });
      expect(await set.unscopedFind('rb_totals', { warehouse: 'w1' })).toEqual({
        warehouse: 'w1',
        units: await unitsIn('w1'),
      });
    },
  );
});

describe('projection set rebuild in memory (blue/green)', () => {
  /** The two tables as a fold of every `item.stocked` in the log gives them. */
  async function folded(store: EventStore) {
    const items = new Map<string, { warehouse: string; sku: string; quantity: number }>();
    const units = new Map<string, number>();
    for (const e of (await store.readAll({ limit: 10_000 })).events) {
      const d = stockedOf(e);
      const key = `${d.warehouse}/${d.sku}`;
      const row = items.get(key) ?? { warehouse: d.warehouse, sku: d.sku, quantity: 0 };
      row.quantity += d.quantity;
      items.set(key, row);
      units.set(d.warehouse, (units.get(d.warehouse) ?? 0) + d.quantity);
    }
    const byKey = <T extends { warehouse: string }>(rows: T[], key: (r: T) => string) =>
      rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
    return {
      items: byKey([...items.values()], (r) => `${r.warehouse}/${r.sku}`),
      totals: byKey(
        [...units].map(([warehouse, n]) => ({ warehouse, units: n })),
        (r) => r.warehouse,
      ),
    };
  }
  async function tables(set: ProjectionSet) {
    const items = (await set.unscopedRows('rb_items')) as {
      warehouse: string;
      sku: string;
      quantity: number;
    }[];
    const totals = (await set.unscopedRows('rb_totals')) as { warehouse: string; units: number }[];
    return {
      items: items
        .map((r) => ({ warehouse: r.warehouse, sku: r.sku, quantity: Number(r.quantity) }))
        .sort((a, b) => (`${a.warehouse}/${a.sku}` < `${b.warehouse}/${b.sku}` ? -1 : 1)),
      totals: totals
        .map((r) => ({ warehouse: r.warehouse, units: Number(r.units) }))
        .sort((a, b) => (a.warehouse < b.warehouse ? -1 : 1)),
    };
  }

  async function openSet(mode: 'inline' | 'async') {
    const store = createEventStore();
    await store.migrate();
    const set = createProjectionSet({
      store,
      name: `rb_memory_${mode}`,
      definitions: [items, totals],
      mode,
      ...(mode === 'async' ? { pollIntervalMs: 10 } : {}),
    });
    await set.start();
    for (let i = 0; i < 30; i++) {
      await store.append(`item-${i % 6}`, [stocked(i % 2 === 0 ? 'w1' : 'w2', `sku-${i % 6}`, 1 + i)]);
    }
    await set.whenCaughtUp({ timeoutMs: 30_000 });
    return { store, set };
  }

  for (const mode of ['inline', 'async'] as const) {
    it(`${mode}: readers see the live tables while the log is replayed; appends meanwhile are folded once`, async () => {
      const { store, set } = await openSet(mode);
      try {
        const before = await tables(set);
        const held = holdReplay(store, 2);
        const rebuilt = set.rebuild({ batchSize: 4 });
        try {
          await held.atPage;
          // The old rebuild emptied the maps first: readers saw partial tables.
          expect(await tables(set)).toEqual(before);
          await store.append('item-during', [stocked('w2', 'sku-during', 7)]);
          await set.whenCaughtUp({ timeoutMs: 30_000 });
          expect(await set.unscopedFind('rb_items', { warehouse: 'w2', sku: 'sku-during' })).toMatchObject({
            quantity: 7,
          });
        } finally {
          held.release();
          held.restore();
        }
        await rebuilt;
        await store.append('item-after', [stocked('w1', 'sku-0', 5)]);
        await set.whenCaughtUp({ timeoutMs: 30_000 });
        expect(await tables(set)).toEqual(await folded(store));
      } finally {
        await set.stop();
        await store.close();
      }
    });
  }

  it('inline: a batch committing between the rebuild’s last read and its swap is in the new tables', async () => {
    const { store, set } = await openSet('inline');
    // A hook after the set's holds the `late` batch after the set folded it, before its commit.
    let letCommit!: () => void;
    const commitHeld = new Promise<void>((resolve) => (letCommit = resolve));
    let folded1 = false;
    const removeGate = store.addInlineHook({
      name: 'rb_gate',
      apply: async ({ events }) => {
        if (events.some((e) => e.aggregateId === 'item-late')) {
          folded1 = true;
          await commitHeld;
        }
      },
    });
    const readAll = store.readAll.bind(store);
    try {
      const late = store.append('item-late', [stocked('w1', 'sku-late', 13)]);
      await waitFor(() => folded1, { what: 'the late batch folded, its commit held' });
      // The rebuild's second empty page is its last read before the swap: the late batch
      // commits after that read was answered and before the rebuild sees the answer.
      let empty = 0;
      store.readAll = async (options?: ReadAllOptions) => {
        const page = await readAll(options);
        if (page.events.length === 0 && ++empty === 2) {
          letCommit();
          await late;
        }
        return page;
      };
      await set.rebuild({ batchSize: 4 });
      expect(empty).toBeGreaterThanOrEqual(2);
      await late;
      expect(await set.unscopedFind('rb_items', { warehouse: 'w1', sku: 'sku-late' })).toMatchObject({
        quantity: 13,
      });
      expect(await tables(set)).toEqual(await folded(store));
    } finally {
      letCommit();
      store.readAll = readAll;
      removeGate();
      await set.stop();
      await store.close();
    }
  });
});
