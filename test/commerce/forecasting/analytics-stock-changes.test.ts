/**
 * `analytics_product_state` keeps the `available` of the product's
 * `inventory_levels` row. A level change that leaves `available` as it was
 * (a shipment releases its reservation and takes the units off the shelf)
 * neither reads nor writes the state row: on the order path that is one read
 * per read-model batch saved. The row still follows every change that moves
 * `available`, and a rebuild (one batch) ends in the same row.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../../src/core/row-change.js';
import { commerceEvent } from '../../../src/commerce/index.js';
import {
  PRODUCT_STATE_TABLE,
  analyticsProductStateProjection,
} from '../../../src/commerce/forecasting/analytics-product-state.js';
import { productDailySalesProjection } from '../../../src/commerce/forecasting/product-daily-sales.js';
import { inventoryLevelsProjection } from '../../../src/commerce/read-models/inventory-levels.js';
import { resolveInventoryOptions } from '../../../src/commerce/read-models/inventory-options.js';
import { MemoryTable, type ProjectionDefinition } from '../../../src/processing/index.js';
import { foldSet } from '../../../src/processing/projection-set/fold-set.js';
import type { StoredEvent } from '../../../src/store/types.js';

const C = 'creator-asc';
const P = 'p-1';
const DAY = Date.parse('2026-06-01T10:00:00Z');

const definitions = [
  inventoryLevelsProjection(resolveInventoryOptions()),
  productDailySalesProjection(),
  analyticsProductStateProjection(),
] as unknown as ProjectionDefinition[];

/** The events of one order on a stocked product, as stored. */
function orderEvents(): StoredEvent[] {
  const facts = [
    commerceEvent('inventory.stock_updated', { creatorId: C, productId: P, quantity: 10, reason: 'restock' }),
    commerceEvent('inventory.reserved', { creatorId: C, productId: P, orderId: 'o1', quantity: 2 }),
    commerceEvent('inventory.released', {
      creatorId: C,
      productId: P,
      orderId: 'o1',
      quantity: 2,
      reason: 'fulfilled',
    }),
  ];
  return facts.map((e, i) => ({
    id: `e${i + 1}`,
    aggregateId: `inventory-${C}-${P}`,
    aggregateType: 'inventory',
    type: e.type,
    data: e.data,
    metadata: {},
    version: i + 1,
    globalPosition: i + 1,
    occurredAt: new Date(DAY + i * 60_000),
    processedAt: new Date(DAY + i * 60_000),
    checkpoint: `100:${i + 1}`,
  }));
}

/** Memory tables of the set; the state table counts the keys it is asked for. */
function tables() {
  const byName = new Map(definitions.map((d) => [d.table, new MemoryTable(d.key)]));
  const stateLoads: Row[][] = [];
  const state = byName.get(PRODUCT_STATE_TABLE)!;
  const load = state.load.bind(state);
  state.load = (keys) => {
    stateLoads.push([...keys]);
    return load(keys);
  };
  return { tableOf: (name: string) => byName.get(name)!, state, stateLoads };
}

const stateRow = async (state: MemoryTable) =>
  (await state.load([{ creator_id: C, product_id: P }])).values().next().value;

describe('analytics_product_state on stock changes', () => {
  it('reads the state row only for level changes that move available', async () => {
    const { tableOf, state, stateLoads } = tables();
    const [restock, reserve, ship] = orderEvents();
    await foldSet(definitions, [restock!], new Map(), tableOf);
    expect((await stateRow(state))?.available).toBe(10);
    await foldSet(definitions, [reserve!], new Map(), tableOf);
    expect((await stateRow(state))?.available).toBe(8);
    const before = stateLoads.length;
    // on_hand 10 → 8 and reserved 2 → 0: available stays 8.
    const changes = await foldSet(definitions, [ship!], new Map(), tableOf);
    expect(changes.find((c) => c.table === 'inventory_levels')?.newRow?.['available']).toBe(8);
    expect(stateLoads.length - before).toBe(0);
    expect(changes.some((c) => c.table === PRODUCT_STATE_TABLE)).toBe(false);
    expect((await stateRow(state))?.available).toBe(8);
  });

  it('ends in the row a one-batch rebuild computes', async () => {
    const live = tables();
    for (const event of orderEvents()) await foldSet(definitions, [event], new Map(), live.tableOf);
    const rebuilt = tables();
    await foldSet(definitions, orderEvents(), new Map(), rebuilt.tableOf);
    expect(await stateRow(live.state)).toEqual(await stateRow(rebuilt.state));
    expect((await stateRow(rebuilt.state))?.sales).toEqual([2]);
  });
});
