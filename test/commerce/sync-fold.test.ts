/**
 * A `syncInventoryLevels` run is part of the fold: the derived inventory
 * columns it recomputes (velocity, stock-out, anomaly, reorder, computed_at)
 * come from its event, so rebuilding the read models from the log gives the
 * very rows the run left — on every engine, inline and async.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  COMMERCE_TABLES,
  DERIVED_INVENTORY_COLUMNS,
  commerceEvent,
  orderStream,
  type InventoryLevelRow,
  systemPrincipal,
} from '../../src/commerce/index.js';
import { toIso } from '../../src/commerce/read-models/row-values.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-fold';
/** The tests' own job: the sync acts as a system principal. */
const JOB = systemPrincipal('test-sync');
const HOUR = 3_600_000;
const T = Date.UTC(2026, 2, 1, 12);

const modes = commerceEngines.flatMap((engine) =>
  (['inline', 'async'] as const).map((mode) => ({ engine, mode, name: `${engine.name} ${mode}` })),
);

describe.each(modes)('sync-inventory-levels folded on $name', ({ engine, mode }) => {
  let bed: CommerceTestbed | undefined;

  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it.skipIf(!engine.available)(
    'a rebuild from the log gives the rows a sync run recomputed',
    async () => {
      bed = await engine.open({ readModels: mode });
      const { commerce, store } = bed;
      for (const [i, productId] of ['a', 'b', 'c'].entries()) {
        await store.append(`inventory-${C}-${productId}`, [
          commerceEvent(
            'inventory.stock_updated',
            { creatorId: C, productId, quantity: 40 + i, reason: 'restock', threshold: 30 },
            { occurredAt: new Date(T - 6 * HOUR) },
          ),
        ]);
        await store.append(orderStream(C, `o-${productId}`), [
          commerceEvent(
            'inventory.reserved',
            { creatorId: C, productId, orderId: `o-${productId}`, quantity: 5 + 4 * i },
            { occurredAt: new Date(T - HOUR) },
          ),
        ]);
      }
      // The stock alerts append their own events (low stock, reorder) after the reservations,
      // and their fold moves the derived columns: settle until the log stops growing, so
      // `before` is the state the sync runs start from.
      let head = await store.headCheckpoint();
      for (;;) {
        await commerce.whenIdle();
        const now = await store.headCheckpoint();
        if (JSON.stringify(now) === JSON.stringify(head)) break;
        head = now;
      }
      const level = (productId: string) =>
        commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
          creator_id: C,
          product_id: productId,
        });
      const before = (await level('b'))!;

      // Two runs, hours after the last sale: velocity decays, stock-out moves out.
      await commerce.syncInventoryLevels(C, JOB, new Date(T + 3 * HOUR));
      await commerce.syncInventoryLevels(C, JOB, new Date(T + 9 * HOUR));
      await commerce.whenIdle();
      const after = (await level('b'))!;
      expect(toIso(after.computed_at)).toBe(new Date(T + 9 * HOUR).toISOString());
      expect(after.velocity_per_hour).not.toBe(before.velocity_per_hour);
      expect(after.on_hand).toBe(before.on_hand);

      const snapshot = async () =>
        Object.fromEntries(
          await Promise.all(
            COMMERCE_TABLES.map(async (t) => [t, await commerce.readModels.unscopedRows(t)] as const),
          ),
        );
      const live = await snapshot();
      await commerce.readModels.rebuild();
      await commerce.readModels.whenCaughtUp();
      const rebuilt = await snapshot();
      // Every column of every product, the derived ones first (the clearest message when they differ).
      const derived = (rows: unknown) =>
        (rows as InventoryLevelRow[]).map((r) =>
          DERIVED_INVENTORY_COLUMNS.map((c) => [r.product_id, c, r[c]]),
        );
      expect(derived(rebuilt['inventory_levels'])).toEqual(derived(live['inventory_levels']));
      expect(rebuilt).toEqual(live);
    },
    180_000,
  ); // a bound, not a wait: PGlite's first start took 86 s on the loaded machine
});
