/**
 * A rebuild while appends keep coming: after the swap the read model equals a
 * fold of the whole log — nothing lost in the swap, nothing applied twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjection } from '../../src/processing/index.js';
import { foldStockLevels as fold, showStockRows as show, stockLevels } from './fixtures/projections.js';
import { storeEngines, visible, type TestStore } from './support.js';

describe.each(storeEngines)('rebuild under concurrent appends on $name', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    if (engine.available) await t.close();
  });

  for (const mode of ['async', 'inline'] as const) {
    it.skipIf(!engine.available)(`${mode}: the swapped-in table equals a fold of the whole log`, async () => {
      const projection = createProjection({
        store: t.store,
        definition: stockLevels(mode),
        processor: { batchSize: 50 },
      });
      await projection.start();
      const append = async (i: number) => {
        const sku = `s${i % 7}`;
        const r = await t.store.append(`sku-${sku}`, [
          { type: 'stock.set', data: { sku, warehouse: 'w', quantity: i } },
          { type: 'stock.adjusted', data: { sku, warehouse: 'w', quantity: 1 } },
        ]);
        return r.checkpoint;
      };
      for (let i = 0; i < 150; i++) await append(i);

      // Keep appending while the rebuild replays and swaps.
      let stop = false;
      let i = 150;
      let last = '';
      const writer = (async () => {
        while (!stop) {
          last = await append(i++);
          await new Promise((r) => setTimeout(r, 1)); // leave the single-connection engine some room
        }
      })();
      try {
        const result = await projection.rebuild({ batchSize: 40 });
        stop = true;
        await writer;
        await visible(t.store, last);
        await projection.whenCaughtUp({ timeoutMs: 30_000, to: last });

        const log = (await t.store.readAll({ limit: 1_000_000 })).events;
        expect(log.length).toBe(i * 2);
        expect(show(await projection.rows())).toEqual(fold(log));
        expect(result.events).toBeGreaterThanOrEqual(300);
      } finally {
        stop = true;
        await writer.catch(() => undefined);
        await projection.stop();
      }
    });
  }
});
