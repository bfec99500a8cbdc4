/**
 * Merge handlers (`ProjectionHandler.merge`): a row's counters, maxima and
 * latest value folded as deltas. On every engine and mode the row equals a
 * reference fold of the log; on SQL inline the delta is merged in the
 * database without a read, and its published change carries the row before
 * and after. On PostgreSQL, concurrent merging flushes do not wait for each
 * other before their write, a flush that reads the row still does, and a mix
 * of both ends equal to a rebuild.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { Row, RowChange } from '../../src/core/row-change.js';
import {
  createProjection,
  createProjectionSet,
  defineProjection,
  rowChangeOf,
  rowEventType,
  type ProjectionDefinition,
  type ProjectionMode,
} from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { postgresEngine } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { storeEngines, type TestStore } from './support.js';

interface Sale {
  shop: string;
  amount: number;
  at: string;
  status: string;
  /** Test only: the gate hook holds this append before its write. */
  hold?: boolean;
}
interface ShopRow extends Row {
  shop: string;
  sales: number;
  revenue: number;
  last_at: string | Date | null;
  first_at: string | Date | null;
  status: string | null;
  label: string;
}

const sale = (e: StoredEvent) => e.data as Sale;

function shops(name: string, mode: ProjectionMode): ProjectionDefinition<ShopRow> {
  return defineProjection<ShopRow>({
    name,
    mode,
    key: ['shop'],
    migrations: [
      `CREATE TABLE :TABLE: (shop text PRIMARY KEY, sales int NOT NULL DEFAULT 0, revenue bigint NOT NULL DEFAULT 0,
         last_at timestamptz, first_at timestamptz, status text, label text NOT NULL DEFAULT 'none')`,
    ],
    handlers: {
      'sale.made': {
        key: (e) => ({ shop: sale(e).shop }),
        merge: {
          columns: {
            sales: 'sum',
            revenue: 'sum',
            last_at: 'max',
            first_at: 'min',
            status: { latestBy: 'last_at' },
          },
          initial: { label: 'new' },
          delta: (e) => {
            const d = sale(e);
            return { sales: 1, revenue: d.amount, last_at: d.at, first_at: d.at, status: d.status };
          },
        },
      },
      // Reads the row: order-dependent against the merges, so it keeps them out while it folds.
      'shop.relabeled': {
        key: (e) => ({ shop: (e.data as { shop: string }).shop }),
        apply: (row, e) => ({
          ...(row ? {} : { sales: 0, revenue: 0, last_at: null, first_at: null, status: null }),
          label: `${(e.data as { label: string }).label}@${row?.sales ?? 0}`,
        }),
      },
    },
  });
}

type Step =
  | { kind: 'sale'; shop: string; amount: number; atMs: number; status: string }
  | { kind: 'relabel'; shop: string; label: string };

/** The rows folding `steps` in order gives, by the rules the handlers declare. */
function reference(steps: readonly Step[]): Map<
  string,
  {
    sales: number;
    revenue: number;
    lastMs: number | null;
    firstMs: number | null;
    status: string | null;
    label: string;
  }
> {
  const rows = new Map<
    string,
    {
      sales: number;
      revenue: number;
      lastMs: number | null;
      firstMs: number | null;
      status: string | null;
      label: string;
    }
  >();
  for (const s of steps) {
    const row = rows.get(s.shop);
    if (s.kind === 'relabel') {
      if (row) row.label = `${s.label}@${row.sales}`;
      else
        rows.set(s.shop, {
          sales: 0,
          revenue: 0,
          lastMs: null,
          firstMs: null,
          status: null,
          label: `${s.label}@0`,
        });
      continue;
    }
    if (!row) {
      rows.set(s.shop, {
        sales: 1,
        revenue: s.amount,
        lastMs: s.atMs,
        firstMs: s.atMs,
        status: s.status,
        label: 'new',
      });
      continue;
    }
    const takes =
      row.status === null ||
      row.lastMs === null ||
      s.atMs > row.lastMs ||
      (s.atMs === row.lastMs && s.status > row.status);
    if (takes) row.status = s.status;
    row.sales += 1;
    row.revenue += s.amount;
    row.lastMs = row.lastMs === null ? s.atMs : Math.max(row.lastMs, s.atMs);
    row.firstMs = row.firstMs === null ? s.atMs : Math.min(row.firstMs, s.atMs);
  }
  return rows;
}

const ms = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date).getTime());

function expectRows(actual: readonly ShopRow[], steps: readonly Step[]): void {
  const want = reference(steps);
  expect(actual.map((r) => r.shop).sort()).toEqual([...want.keys()].sort());
  for (const row of actual) {
    const w = want.get(row.shop)!;
    expect({
      sales: Number(row.sales),
      revenue: Number(row.revenue),
      lastMs: ms(row.last_at),
      firstMs: ms(row.first_at),
      status: row.status,
      label: row.label,
    }).toEqual(w);
  }
}

function eventOf(step: Step) {
  return step.kind === 'sale'
    ? {
        type: 'sale.made',
        data: {
          shop: step.shop,
          amount: step.amount,
          at: new Date(step.atMs).toISOString(),
          status: step.status,
        },
      }
    : { type: 'shop.relabeled', data: { shop: step.shop, label: step.label } };
}

/** The steps of the log, in its order (the order a rebuild folds). */
async function stepsInLog(store: EventStore): Promise<Step[]> {
  const { events } = await store.readAll({ limit: 10_000 });
  return events.map((e): Step => {
    const d = e.data as Sale & { label: string };
    return e.type === 'sale.made'
      ? { kind: 'sale', shop: d.shop, amount: d.amount, atMs: Date.parse(d.at), status: d.status }
      : { kind: 'relabel', shop: d.shop, label: d.label };
  });
}

/**
 * Each row's last published change is the row as stored, and its changes add
 * up to it (each one's row before is the row the change before left: exact
 * before-images, none missing).
 */
function expectLastChanges(changes: readonly RowChange[], rows: readonly ShopRow[]): void {
  for (const row of rows) {
    let sales = 0;
    let revenue = 0;
    for (const c of changes.filter((x) => x.key['shop'] === row.shop)) {
      sales += Number(c.newRow?.['sales'] ?? 0) - Number(c.oldRow?.['sales'] ?? 0);
      revenue += Number(c.newRow?.['revenue'] ?? 0) - Number(c.oldRow?.['revenue'] ?? 0);
    }
    expect({ sales, revenue }).toEqual({ sales: Number(row.sales), revenue: Number(row.revenue) });
  }
  const last = new Map(changes.map((c) => [String(c.key['shop']), c]));
  for (const row of rows) {
    const change = last.get(row.shop)!;
    expect(ms(change.newRow!['last_at'])).toBe(ms(row.last_at));
    expect(Number(change.newRow!['sales'])).toBe(Number(row.sales));
    expect(Number(change.newRow!['revenue'])).toBe(Number(row.revenue));
    expect(change.newRow!['status']).toBe(row.status);
    expect(change.newRow!['label']).toBe(row.label);
  }
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('sale' as const),
      shop: fc.constantFrom('s1', 's2', 's3'),
      amount: fc.integer({ min: -50, max: 500 }),
      // Few instants, so ties between statuses happen.
      atMs: fc.integer({ min: 0, max: 6 }).map((i) => Date.UTC(2026, 11, 6, 0, 0, i)),
      status: fc.constantFrom('paid', 'packed', 'refunded'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('relabel' as const),
      shop: fc.constantFrom('s1', 's2', 's3'),
      label: fc.constantFrom('a', 'b'),
    }),
  },
);

const opened: TestStore[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});

describe.each(storeEngines)('merge handlers on $name', (engine) => {
  for (const mode of ['inline', 'async'] as const) {
    it.skipIf(!engine.available)(
      `${mode}: the rows equal a fold of the log in order, and so does a rebuild`,
      async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(stepArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }),
            async (appends) => {
              const t = await engine.open();
              opened.push(t);
              const projection = createProjection({
                store: t.store,
                definition: shops(`mh_${mode}_${run++}`, mode),
              });
              await projection.start();
              const changes: RowChange[] = [];
              const sub = projection.changes.subscribe((c) => changes.push(c));
              try {
                // Concurrent appends (group commit puts them in one transaction or several).
                await Promise.all(appends.map((steps, i) => t.store.append(`a-${i}`, steps.map(eventOf))));
                await projection.whenCaughtUp({ timeoutMs: 30_000 });
                const steps = await stepsInLog(t.store);
                const rows = await projection.rows();
                expectRows(rows, steps);
                await waitFor(() => changes.length > 0, { what: 'the changes published' });
                expectLastChanges(changes, rows);
                await projection.rebuild();
                expectRows(await projection.rows(), steps);
              } finally {
                sub.unsubscribe();
                await projection.stop();
              }
            },
          ),
          { numRuns: engine.name === 'memory' ? 40 : 8 },
        );
      },
      120_000,
    );
  }

  it.skipIf(!engine.available)(
    'in a set, beside a table folding another table’s rows: rows and published changes as stored',
    async () => {
      const t = await engine.open();
      opened.push(t);
      const set = createProjectionSet({
        store: t.store,
        name: 'mh_set_open',
        definitions: [...setTables(), shops('mh_open_shops', 'inline')] as ProjectionDefinition[],
      });
      const changes: RowChange[] = [];
      const sub = set.changesOf('mh_open_shops').subscribe((c) => changes.push(c));
      await set.start();
      try {
        const steps: Step[] = Array.from({ length: 24 }, (_, i) => ({
          kind: 'sale' as const,
          shop: `s${i % 3}`,
          amount: i,
          atMs: Date.UTC(2026, 11, 6, 0, 0, i % 5),
          status: `st${i % 4}`,
        }));
        await Promise.all(steps.map((step, i) => t.store.append(`o-${i}`, [eventOf(step)])));
        const rows = await set.unscopedRows<ShopRow>('mh_open_shops');
        expectRows(rows, await stepsInLog(t.store));
        expect(await set.unscopedRows('mh_echo')).toEqual([
          { shop: 's0', n: 8 },
          { shop: 's1', n: 8 },
          { shop: 's2', n: 8 },
        ]);
        await waitFor(() => changes.length >= 3, { what: 'the changes published' });
        expectLastChanges(changes, rows);
        // A row's first change created it; a later one carries the row before it.
        const ofS0 = changes.filter((c) => c.key['shop'] === 's0');
        expect(ofS0[0]!.operation).toBe('INSERT');
        for (const c of ofS0.slice(1)) {
          expect(c.operation).toBe('UPDATE');
          expect(Number(c.newRow!['sales'])).toBeGreaterThan(Number(c.oldRow!['sales']));
        }
        await set.rebuild();
        expect(await set.unscopedRows('mh_open_shops')).toEqual(rows);
      } finally {
        sub.unsubscribe();
        await set.stop();
      }
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    'in a set, a guarded table folds them on rows it reads (the guard judges the rows)',
    async () => {
      const t = await engine.open();
      opened.push(t);
      const seen: RowChange[] = [];
      const set = createProjectionSet({
        store: t.store,
        name: 'mh_set',
        definitions: [...setTables(), shops('mh_set_shops', 'inline')] as ProjectionDefinition[],
        guards: [
          ({ changes }) => {
            for (const c of changes) {
              if (c.table !== 'mh_set_shops') continue;
              seen.push(c);
              // A guarded table's rows are known before COMMIT: the guard judges the total.
              if (Number(c.newRow?.['revenue']) > 1000) throw new Error('over the limit');
            }
          },
        ],
        guardTables: ['mh_set_shops'],
      });
      await set.start();
      try {
        const steps: Step[] = [
          { kind: 'sale', shop: 's1', amount: 600, atMs: 1000, status: 'paid' },
          { kind: 'sale', shop: 's1', amount: 300, atMs: 2000, status: 'packed' },
        ];
        await t.store.append('g-1', steps.map(eventOf));
        await expect(
          t.store.append('g-2', [
            eventOf({ kind: 'sale', shop: 's1', amount: 200, atMs: 3000, status: 'x' }),
          ]),
        ).rejects.toThrow(/over the limit/);
        expectRows(await set.unscopedRows<ShopRow>('mh_set_shops'), steps);
        expect(await set.unscopedRows('mh_echo')).toEqual([{ shop: 's1', n: 2 }]);
        expect(Number(seen.at(-1)!.newRow!['revenue'])).toBe(1100);
      } finally {
        await set.stop();
      }
    },
    60_000,
  );
});

/** Two tables before the merge table, the second folding the first's rows (a fold of two rounds). */
function setTables(): ProjectionDefinition[] {
  const counts = defineProjection<{ shop: string; n: number } & Row>({
    name: 'mh_counts',
    key: ['shop'],
    migrations: ['CREATE TABLE :TABLE: (shop text PRIMARY KEY, n int NOT NULL DEFAULT 0)'],
    handlers: {
      'sale.made': { key: (e) => ({ shop: sale(e).shop }), apply: (row) => ({ n: Number(row?.n ?? 0) + 1 }) },
    },
  });
  const echo = defineProjection({
    name: 'mh_echo',
    key: ['shop'],
    migrations: ['CREATE TABLE :TABLE: (shop text PRIMARY KEY, n int NOT NULL)'],
    handlers: {
      [rowEventType('mh_counts')]: {
        key: (e) => ({ shop: String(rowChangeOf(e).key['shop']) }),
        apply: (_row, e) => ({ n: Number(rowChangeOf(e).newRow!['n']) }),
      },
    },
  });
  return [counts, echo] as ProjectionDefinition[];
}

describe('merge handler definitions', () => {
  const base = {
    name: 'mh_bad',
    key: ['shop'],
    migrations: ['CREATE TABLE :TABLE: (shop text PRIMARY KEY, n int)'],
  };
  const delta = () => ({ n: 1 });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'apply and merge',
      { key: () => ({}), apply: () => ({}), merge: { columns: { n: 'sum' }, delta } },
      /apply or merge/,
    ],
    ['neither', { key: () => ({}) }, /apply or merge/],
    ['a scope', { key: () => ({}), scope: () => ({}), merge: { columns: { n: 'sum' }, delta } }, /no scope/],
    ['a key column', { key: () => ({}), merge: { columns: { shop: 'max' }, delta } }, /key column "shop"/],
    [
      'an unknown operation',
      { key: () => ({}), merge: { columns: { n: 'avg' }, delta } },
      /unknown operation/,
    ],
    [
      'latest by a column not max',
      { key: () => ({}), merge: { columns: { n: 'sum', s: { latestBy: 'n' } }, delta } },
      /not merged with 'max'/,
    ],
    [
      'initial naming a merge column',
      { key: () => ({}), merge: { columns: { n: 'sum' }, delta, initial: { n: 0 } } },
      /in initial/,
    ],
  ];
  it.each(cases)('rejects %s', (_what, handler, message) => {
    const define = () => defineProjection({ ...base, handlers: { 'x.y': handler as never } });
    expect(define).toThrow(InvalidArgumentError);
    expect(define).toThrow(message);
  });

  it('rejects a merge table whose rows a later table of a set folds', () => {
    const merged = shops('mh_folded', 'inline');
    const later = defineProjection({
      name: 'mh_later',
      key: ['shop'],
      migrations: ['CREATE TABLE :TABLE: (shop text PRIMARY KEY)'],
      handlers: {
        [rowEventType('mh_folded')]: {
          key: (e) => ({ shop: String(rowChangeOf(e).key['shop']) }),
          apply: () => ({}),
        },
      },
    });
    expect(() =>
      createProjectionSet({
        store: createEventStore(),
        name: 'mh_bad_set',
        definitions: [merged, later] as ProjectionDefinition[],
      }),
    ).toThrow(/has merge handlers, and a later table folds the rows of mh_folded/);
  });

  it('a delta setting a column it does not merge, or a sum that is not a number, fails the append and changes nothing', async () => {
    const store = createEventStore();
    await store.migrate();
    const projection = createProjection({
      store,
      definition: defineProjection({
        ...base,
        name: 'mh_bad_delta',
        mode: 'inline',
        handlers: {
          'x.other': {
            key: () => ({ shop: 's' }),
            merge: { columns: { n: 'sum' }, delta: () => ({ m: 1 }) },
          },
          'x.nan': {
            key: () => ({ shop: 's' }),
            merge: { columns: { n: 'sum' }, delta: () => ({ n: 'one' }) },
          },
        },
      }),
    });
    await projection.start();
    try {
      await expect(store.append('x', [{ type: 'x.other', data: {} }])).rejects.toThrow(
        /sets "m", not a merge column/,
      );
      await expect(store.append('x', [{ type: 'x.nan', data: {} }])).rejects.toThrow(/adds one to "n"/);
      expect(await projection.rows()).toEqual([]);
      expect((await store.readAll()).events).toEqual([]);
    } finally {
      await projection.stop();
      await store.close();
    }
  });
});

describe.skipIf(!postgresEngine.available)('merge handlers under concurrent flushes on postgres', () => {
  /**
   * An inline hook, added after the projection's, holding an append marked `hold`
   * after every hook has taken its locks and before the write, until `release()`.
   */
  function gateBeforeWrite(store: EventStore) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    let pid = 0;
    const remove = store.addInlineHook({
      name: 'mh_gate',
      lockBeforeWrite: async ({ tx, events }) => {
        if (!events.some((e) => (e.data as Partial<Sale>).hold)) return;
        pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        holding = true;
        await released;
      },
      apply: async () => undefined,
    });
    return { release, remove, holding: () => holding, pid: () => pid };
  }

  it('a flush merging into a row does not wait for another holding it before its write; one reading it does', async () => {
    const db = await postgresEngine.open();
    const store = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 });
    await store.migrate();
    const projection = createProjection({ store, definition: shops('mh_locks', 'inline') });
    await projection.start();
    const g = gateBeforeWrite(store);
    try {
      const held = store.append('held', [
        {
          type: 'sale.made',
          data: { shop: 's1', amount: 5, at: '2026-12-06T00:00:01.000Z', status: 'paid', hold: true },
        },
      ]);
      await waitFor(g.holding, { what: 'the held append before its write' });
      // Another merge on the same row commits while the first holds its lock.
      await store.append('merge', [
        eventOf({
          kind: 'sale',
          shop: 's1',
          amount: 7,
          atMs: Date.parse('2026-12-06T00:00:02.000Z'),
          status: 'packed',
        }),
      ]);
      expect(await projection.find({ shop: 's1' })).toMatchObject({
        sales: 1,
        revenue: '7',
        status: 'packed',
      });
      // A handler reading the row waits for the held append's commit.
      let relabeled = false;
      const relabel = store
        .append('relabel', [eventOf({ kind: 'relabel', shop: 's1', label: 'x' })])
        .then(() => (relabeled = true));
      await waitFor(
        async () =>
          (
            await db.sql.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`,
              [g.pid()],
            )
          ).rows[0]!.n > 0,
        { what: 'the relabel waiting for the held row' },
      );
      expect(relabeled).toBe(false);
      g.release();
      await Promise.all([held, relabel]);
      // The relabel folded after both sales: it follows the held one in the log too.
      expect(await projection.find({ shop: 's1' })).toMatchObject({
        sales: 2,
        revenue: '12',
        status: 'packed',
        label: 'x@2',
      });
      const rebuilt = await projection.rows();
      await projection.rebuild();
      expect(await projection.rows()).toEqual(rebuilt);
    } finally {
      g.release();
      g.remove();
      await projection.stop();
      await store.close();
      await db.close();
    }
  }, 60_000);

  it('many hosts merging and relabeling one row at once end equal to a rebuild, no delta lost', async () => {
    const db = await postgresEngine.open();
    const hosts = [0, 1].map(() => createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 }));
    await hosts[0]!.migrate();
    const projections = hosts.map((store) =>
      createProjection({ store, definition: shops('mh_hosts', 'inline') }),
    );
    for (const p of projections) await p.start();
    try {
      const steps: Step[] = Array.from({ length: 120 }, (_, i): Step =>
        i % 15 === 7
          ? { kind: 'relabel', shop: 'hot', label: `l${i}` }
          : {
              kind: 'sale',
              shop: 'hot',
              amount: i,
              atMs: Date.UTC(2026, 11, 6, 0, 0, i % 9),
              status: `s${i % 4}`,
            },
      );
      await Promise.all(steps.map((step, i) => hosts[i % 2]!.append(`h-${i}`, [eventOf(step)])));
      const live = await projections[0]!.rows();
      expectRows(live, await stepsInLog(hosts[0]!));
      expect(Number(live[0]!.sales)).toBe(112);
      await projections[0]!.rebuild();
      expect(await projections[0]!.rows()).toEqual(live);
    } finally {
      for (const p of projections) await p.stop();
      for (const h of hosts) await h.close();
      await db.close();
    }
  }, 60_000);
});
