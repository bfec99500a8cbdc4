/**
 * Inline projections under concurrent appends: group commit keeps several
 * transactions in flight, and each applies the projection inside its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjection, type Projection } from '../../src/processing/index.js';
import { stockLevels, type StockRow } from './fixtures/projections.js';
import { storeEngines, type TestStore } from './support.js';

describe.each(storeEngines)('inline projection under concurrent appends on $name', (engine) => {
  let t: TestStore;
  let projection: Projection<StockRow>;

  beforeEach(async () => {
    if (!engine.available) return;
    t = await engine.open();
    projection = createProjection({ store: t.store, definition: stockLevels('inline', 'stock_concurrent') });
    await projection.start();
  });
  afterEach(async () => {
    if (!engine.available) return;
    await projection.stop();
    await t.close();
  });

  it.skipIf(!engine.available)(
    'loses no update when many appends to one row commit concurrently',
    async () => {
      await t.store.append('sku-hot', [
        { type: 'stock.set', data: { sku: 'hot', warehouse: 'w1', quantity: 0 } },
      ]);
      // 60 appends on distinct streams: they spread over every flush slot at once.
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          t.store.append(`adjust-${i}`, [
            { type: 'stock.adjusted', data: { sku: 'hot', warehouse: 'w1', quantity: 1 } },
          ]),
        ),
      );
      expect(await projection.find({ sku: 'hot', warehouse: 'w1' })).toMatchObject({
        on_hand: 60,
        updates: 61,
      });
    },
  );
});
