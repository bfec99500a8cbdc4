import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RowChange } from '../../src/core/row-change.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import {
  createProjection,
  defineProjection,
  type Projection,
  type ProjectionDefinitionInput,
  type RebuildProgress,
} from '../../src/processing/index.js';
import { stockLevels, type StockRow } from './fixtures/projections.js';
import { storeEngines, visible, type TestStore } from './support.js';

const set = (sku: string, warehouse: string, quantity: number) => ({
  type: 'stock.set',
  data: { sku, warehouse, quantity },
});
const adjust = (sku: string, warehouse: string, quantity: number) => ({
  type: 'stock.adjusted',
  data: { sku, warehouse, quantity },
});
const discontinue = (sku: string, warehouse: string) => ({
  type: 'stock.discontinued',
  data: { sku, warehouse, quantity: 0 },
});

const sortRows = (rows: StockRow[]) =>
  rows
    .map((r) => ({
      sku: r.sku,
      warehouse: r.warehouse,
      on_hand: Number(r.on_hand),
      updates: Number(r.updates),
    }))
    .sort((a, b) => (a.sku + a.warehouse < b.sku + b.warehouse ? -1 : 1));

describe('defineProjection', () => {
  const valid: ProjectionDefinitionInput = {
    name: 'ok',
    key: ['id'],
    migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY)'],
    handlers: { x: { key: () => ({ id: '1' }), apply: () => ({}) } },
  };
  it('accepts a valid definition and freezes it', () => {
    const d = defineProjection(valid);
    expect(d).toMatchObject({ name: 'ok', table: 'ok', mode: 'async', eventTypes: ['x'] });
    expect(Object.isFrozen(d)).toBe(true);
  });
  it.each([
    ['a bad name', { name: 'Bad-Name' }, /name/],
    ['an empty key', { key: [] }, /key/],
    ['a key column twice', { key: ['id', 'id'] }, /twice/],
    ['no migrations', { migrations: [] }, /migrations/],
    ['a first migration without :TABLE:', { migrations: ['CREATE TABLE t (id text)'] }, /:TABLE:/],
    ['a handler without apply', { handlers: { x: { key: () => ({}) } } }, /apply/],
    ['an unknown mode', { mode: 'sometimes' }, /mode/],
  ])('rejects %s', (_what, patch, message) => {
    expect(() => defineProjection({ ...valid, ...patch } as never)).toThrow(message);
  });
});

describe.each(storeEngines)('projection on $name', (engine) => {
  let t: TestStore;
  const projections: Projection<StockRow>[] = [];
  const open = (mode: 'async' | 'inline', name?: string) => {
    const p = createProjection({
      store: t.store,
      definition: stockLevels(mode, name),
      processor: { batchSize: 4, retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 2 } },
    });
    projections.push(p);
    return p;
  };

  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    for (const p of projections.splice(0)) await p.stop();
    if (engine.available) await t.close();
  });

  for (const mode of ['async', 'inline'] as const) {
    it.skipIf(!engine.available)(
      `${mode}: upserts and deletes rows and reports every row change`,
      async () => {
        const p = open(mode);
        const changes: RowChange[] = [];
        p.changes.subscribe((c) => changes.push(c));
        await p.start();
        await t.store.append('sku-a', [
          set('a', 'w1', 10),
          adjust('a', 'w1', -3),
          { type: 'noise.unknown', data: {} },
        ]);
        await t.store.append('sku-b', [set('b', 'w1', 5), set('b', 'w2', 7), adjust('zzz', 'w1', 1)]);
        await visible(t.store, (await t.store.append('sku-b', [discontinue('b', 'w1')])).checkpoint);
        if (mode === 'inline') expect(changes.length).toBeGreaterThan(0); // committed with the append
        await p.whenCaughtUp({ timeoutMs: 20_000 });

        expect(sortRows(await p.rows())).toEqual([
          { sku: 'a', warehouse: 'w1', on_hand: 7, updates: 2 },
          { sku: 'b', warehouse: 'w2', on_hand: 7, updates: 1 },
        ]);
        expect(changes.map((c) => [c.operation, c.key])).toEqual([
          ['INSERT', { sku: 'a', warehouse: 'w1' }],
          ['UPDATE', { sku: 'a', warehouse: 'w1' }],
          ['INSERT', { sku: 'b', warehouse: 'w1' }],
          ['INSERT', { sku: 'b', warehouse: 'w2' }],
          ['DELETE', { sku: 'b', warehouse: 'w1' }],
        ]);
        const log = (await t.store.readAll()).events;
        const update = changes[1]!;
        expect(update).toMatchObject({
          table: 'stock_levels',
          oldRow: { on_hand: 10, updates: 1 },
          newRow: { sku: 'a', warehouse: 'w1', on_hand: 7, updates: 2 },
          position: log[1]!.globalPosition,
          checkpoint: log[1]!.checkpoint,
        });
        expect(changes[4]).toMatchObject({ newRow: null, oldRow: { sku: 'b', warehouse: 'w1' } });
        expect(await p.find({ sku: 'a', warehouse: 'w1' })).toMatchObject({ sku: 'a' });
        expect(await p.find({ sku: 'nope', warehouse: 'w1' })).toBeNull();
      },
    );

    it.skipIf(!engine.available)(
      `${mode}: rebuilds blue/green with progress and keeps going after`,
      async () => {
        const p = open(mode);
        await p.start();
        for (let i = 0; i < 12; i++) {
          const r = await t.store.append(`sku-${i % 3}`, [
            set(`s${i % 3}`, 'w1', i),
            adjust(`s${i % 3}`, 'w1', 1),
          ]);
          await visible(t.store, r.checkpoint);
        }
        await p.whenCaughtUp({ timeoutMs: 20_000 });
        const expected = sortRows(await p.rows());
        expect(expected).toHaveLength(3);

        // Damage the read model: the rebuild must restore it from the log.
        if (t.store.sql) {
          await t.store.sql.query(`DELETE FROM ${quoteIdent(t.store.schema)}.stock_levels WHERE sku = 's1'`);
          expect(await p.rows()).toHaveLength(2);
        }
        const progress: RebuildProgress[] = [];
        p.on('projection:rebuild_progress', (r) => progress.push(r));
        const result = await p.rebuild({ batchSize: 5, progressIntervalMs: 0 });
        expect(result.events).toBe(24);
        expect(sortRows(await p.rows())).toEqual(expected);
        expect(progress.at(-1)).toMatchObject({ phase: 'done', done: 24, total: 24, etaMs: 0 });
        expect(progress.some((r) => r.phase === 'replaying' && r.done > 0 && r.done < 24)).toBe(true);

        // Live updates continue against the new table, and a second rebuild works too.
        await visible(t.store, (await t.store.append('sku-9', [set('s9', 'w1', 1)])).checkpoint);
        await p.whenCaughtUp({ timeoutMs: 20_000 });
        expect(await p.find({ sku: 's9', warehouse: 'w1' })).toMatchObject({ sku: 's9' });
        const again = await p.rebuild();
        expect(again.events).toBe(25);
        if (t.store.sql) expect(again.generation).toBe(result.generation + 1);
        await visible(t.store, (await t.store.append('sku-9', [adjust('s9', 'w1', 4)])).checkpoint);
        await p.whenCaughtUp({ timeoutMs: 20_000 });
        expect(await p.find({ sku: 's9', warehouse: 'w1' })).toMatchObject({ on_hand: 5, updates: 2 });
      },
    );
  }

  it.skipIf(!engine.available)(
    'a throwing projection handler is dead-lettered and other projections go on',
    async () => {
      const broken = createProjection({
        store: t.store,
        definition: defineProjection({
          name: 'broken',
          key: ['id'],
          migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY)'],
          handlers: {
            'stock.set': {
              key: () => ({ id: 'x' }),
              apply: () => {
                throw new Error('projection bug');
              },
            },
          },
        }),
        processor: { retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 2 } },
      });
      const healthy = open('async');
      await broken.start();
      await healthy.start();
      await visible(
        t.store,
        (await t.store.append('sku-a', [set('a', 'w1', 1), set('b', 'w1', 2)])).checkpoint,
      );
      await healthy.whenCaughtUp({ timeoutMs: 20_000 });
      await broken.whenCaughtUp({ timeoutMs: 20_000 });
      expect(await healthy.rows()).toHaveLength(2);
      expect(await broken.processor!.deadLetters.list({ processor: 'projection:broken' })).toHaveLength(2);
      await broken.stop();
    },
  );
});
