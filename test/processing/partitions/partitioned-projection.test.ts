/**
 * Partitioned projections: the read model equals the unpartitioned one's for
 * the same log; another partition count is refused until a rebuild records
 * it; a rebuild that changes the count retires the old partitions (running
 * ones stop, nothing is applied twice) — on memory, PGlite and PostgreSQL.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProjection,
  defineProjection,
  partitionNames,
  readCheckpoints,
  readLayout,
  type Projection,
  type ProjectionDefinitionInput,
} from '../../../src/processing/index.js';
import type { Row } from '../../../src/core/row-change.js';
import type { ProjectionDefinition } from '../../../src/processing/index.js';
import { waitFor } from '../../support/wait.js';
import { sqlStoreEngines, storeEngines, visible, type TestStore } from '../support.js';
import { appendOrders, creatorTotals, normalise, orderStatus, type OrderAppend } from './fixtures.js';

const FAST = {
  batchSize: 5,
  pollIntervalMs: 50,
  lagIntervalMs: 0,
  lease: { ttlMs: 1500, renewIntervalMs: 100, acquireIntervalMs: 50 },
  retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
} as const;

const orderAppends = fc.array(
  fc.record({
    creator: fc.integer({ min: 0, max: 6 }),
    order: fc.integer({ min: 0, max: 12 }),
    cancel: fc.boolean(),
  }),
  { minLength: 1, maxLength: 30 },
);

describe.each(storeEngines)('partitioned projection on $name', (engine) => {
  let t: TestStore;
  const running: Projection<Row>[] = [];
  const open = <R extends Row>(definition: ProjectionDefinition<R>) => {
    const p = createProjection<R>({ store: t.store, definition, processor: FAST });
    running.push(p as unknown as Projection<Row>);
    return p;
  };

  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)(
    "property: the partitioned read model equals the unpartitioned one's for the same log",
    async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(orderAppends, fc.integer({ min: 2, max: 5 }), async (orders, partitions) => {
          const n = run++;
          const last = await appendOrders(t.store, orders, `r${n}`);
          await visible(t.store, last);
          const pairs = [
            [creatorTotals(`ct_one_${n}`), creatorTotals(`ct_many_${n}`, partitions)],
            [orderStatus(`os_one_${n}`), orderStatus(`os_many_${n}`, partitions)],
          ] as const;
          for (const [one, many] of pairs) {
            const plain = open<Row>(one as ProjectionDefinition<Row>);
            const split = open<Row>(many as ProjectionDefinition<Row>);
            await plain.start();
            await split.start();
            expect(split.processor).toBeUndefined();
            expect(split.partitioned?.partitions).toBe(partitions);
            await plain.whenCaughtUp({ timeoutMs: 30_000, to: last });
            await split.whenCaughtUp({ timeoutMs: 30_000, to: last });
            expect(normalise(await split.rows())).toEqual(normalise(await plain.rows()));
            await plain.stop();
            await split.stop();
          }
        }),
        { numRuns: engine.name === 'memory' ? 30 : 6 },
      );
    },
  );

  it.skipIf(!engine.available)(
    'refuses another partition count with PROCESSOR_LAYOUT_CHANGED until a rebuild records it',
    async () => {
      const orders: OrderAppend[] = Array.from({ length: 40 }, (_, i) => ({
        creator: i % 5,
        order: i,
        cancel: i % 4 === 0,
      }));
      await visible(t.store, await appendOrders(t.store, orders));
      const four = open(creatorTotals('totals', 4));
      await four.start();
      await four.whenCaughtUp({ timeoutMs: 30_000 });
      await four.stop();

      for (const partitions of [3, 1]) {
        await expect(open(creatorTotals('totals', partitions)).start()).rejects.toMatchObject({
          name: 'ProcessorLayoutError',
          code: 'PROCESSOR_LAYOUT_CHANGED',
          processor: 'projection:totals',
          partitions,
          storedPartitions: 4,
        });
      }

      const three = open(creatorTotals('totals', 3));
      const result = await three.rebuild();
      expect(result.checkpoint).toBe(await t.store.headCheckpoint());
      await three.start();
      expect(three.partitioned!.partitionNames).toEqual(partitionNames('projection:totals', 3));
      await visible(t.store, await appendOrders(t.store, orders.slice(0, 10), 'more'));
      await three.whenCaughtUp({ timeoutMs: 30_000 });

      const reference = open(creatorTotals('reference'));
      await reference.start();
      await reference.whenCaughtUp({ timeoutMs: 30_000 });
      expect(normalise(await three.rows())).toEqual(normalise(await reference.rows()));
      if (t.store.sql) {
        expect(await readLayout(t.store.sql, t.store.schema, 'projection:totals')).toBe(3);
        const old = await readCheckpoints(
          t.store.sql,
          t.store.schema,
          partitionNames('projection:totals', 4),
        );
        expect(old.size).toBe(0); // retired
      }
    },
  );

  it.skipIf(!engine.available)('rebuilding with the same count keeps every partition going', async () => {
    await visible(
      t.store,
      await appendOrders(
        t.store,
        Array.from({ length: 30 }, (_, i) => ({ creator: i % 4, order: i, cancel: i % 3 === 0 })),
      ),
    );
    const totals = open(creatorTotals('totals', 3));
    await totals.start();
    await totals.whenCaughtUp({ timeoutMs: 30_000 });
    await totals.rebuild({ batchSize: 7 });
    await visible(t.store, await appendOrders(t.store, [{ creator: 1, order: 99, cancel: false }], 'after'));
    await totals.whenCaughtUp({ timeoutMs: 30_000 });
    expect(totals.partitioned!.running).toBe(true);
    const reference = open(creatorTotals('reference'));
    await reference.start();
    await reference.whenCaughtUp({ timeoutMs: 30_000 });
    expect(normalise(await totals.rows())).toEqual(normalise(await reference.rows()));
  });

  it.skipIf(!engine.available)('rejects partitions on inline projections and bad counts', () => {
    const base: ProjectionDefinitionInput = {
      name: 'x',
      key: ['id'],
      migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY)'],
      handlers: { x: { key: () => ({ id: '1' }), apply: () => ({}) } },
    };
    expect(() => defineProjection({ ...base, mode: 'inline', partitions: 2 })).toThrow(/inline/);
    expect(() => defineProjection({ ...base, partitions: 0 })).toThrow(/partitions/);
    expect(() => defineProjection({ ...base, partitions: 2, partitionKey: 'tenant' as never })).toThrow(
      /partitionKey/,
    );
    expect(defineProjection({ ...base, mode: 'inline' })).toMatchObject({ partitions: 1 });
  });
});

describe.each(sqlStoreEngines)('partition layout change under a running host on $name', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)(
    'a rebuild to another count retires a running old layout: it stops and applies nothing twice',
    async () => {
      await visible(
        t.store,
        await appendOrders(
          t.store,
          Array.from({ length: 30 }, (_, i) => ({ creator: i % 6, order: i, cancel: false })),
        ),
      );
      // A heartbeat too slow to notice the new layout during the test: the checkpoint fence must stop it.
      const old = createProjection({
        store: t.store,
        definition: creatorTotals('totals', 4),
        processor: { ...FAST, lease: { ttlMs: 60_000, renewIntervalMs: 30_000, acquireIntervalMs: 50 } },
      });
      const errors: unknown[] = [];
      old.partitioned!.on('error', (err) => errors.push(err));
      await old.start();
      await old.whenCaughtUp({ timeoutMs: 30_000 });

      const next = createProjection({
        store: t.store,
        definition: creatorTotals('totals', 2),
        processor: FAST,
      });
      await next.rebuild();
      await next.start();
      // New events reach the old layout's partitions too: their checkpoints are gone, so they stop.
      await visible(
        t.store,
        await appendOrders(
          t.store,
          Array.from({ length: 12 }, (_, i) => ({ creator: i % 6, order: i, cancel: i % 2 === 0 })),
          'after',
        ),
      );
      await waitFor(() => !old.partitioned!.running, { what: 'the old layout stopped', timeoutMs: 30_000 });
      expect(errors.length).toBeGreaterThan(0);
      for (const err of errors) expect(err).toMatchObject({ code: 'PROCESSOR_RETIRED' });
      await next.whenCaughtUp({ timeoutMs: 30_000 });
      const reference = createProjection({
        store: t.store,
        definition: creatorTotals('reference'),
        processor: FAST,
      });
      await reference.start();
      await reference.whenCaughtUp({ timeoutMs: 30_000 });
      expect(normalise(await next.rows())).toEqual(normalise(await reference.rows()));
      await Promise.all([old.stop(), next.stop(), reference.stop()]);
    },
  );
});
