/**
 * Laws of allocation under races: however concurrent allocations interleave
 * (fast-check's scheduler decides when each one reads its order stream and
 * when its append starts, so stock checks go stale), an order gets all its
 * lines or none, no product is ever oversold, and no order is refused while
 * what it asked for is still there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InsufficientStockError,
  InventoryService,
  ReadModelSet,
  commerceEvent,
  commerceReadModelDefinitions,
  registerCommerceEvents,
  resolveHealthThresholds,
  resolveInventoryOptions,
  stockGuard,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

const C = 'c1';
const PRODUCTS = ['a', 'b'] as const;

const lineArb = fc.record({
  productId: fc.constantFrom(...PRODUCTS),
  quantity: fc.integer({ min: 1, max: 3 }),
});
const scenarioArb = fc.record({
  stock: fc.record({ a: fc.integer({ min: 0, max: 6 }), b: fc.integer({ min: 0, max: 6 }) }),
  orders: fc.array(fc.array(lineArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 8 }),
});

/** The store as the service sees it: reading an order and starting an append wait for the scheduler. */
function scheduledStore(store: EventStore, s: fc.Scheduler): EventStore {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      if (prop !== 'append' && prop !== 'readStream') return fn;
      return async (...args: unknown[]) => {
        await s.schedule(Promise.resolve(), `${String(prop)} ${String(args[0])}`);
        return fn(...args);
      };
    },
  });
}

function wanted(lines: readonly { productId: string; quantity: number }[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const l of lines) total.set(l.productId, (total.get(l.productId) ?? 0) + l.quantity);
  return total;
}

describe('allocation under races (in memory, inline read models)', () => {
  it('is all-or-nothing, never oversells, and refuses only what no longer fits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), scenarioArb, async (s, { stock, orders }) => {
        const store = createEventStore();
        registerCommerceEvents(store);
        const readModels = new ReadModelSet({
          store,
          name: 'rm',
          definitions: commerceReadModelDefinitions(resolveInventoryOptions(), resolveHealthThresholds()),
          guards: [stockGuard],
        });
        await readModels.start();
        const published: number[] = [];
        readModels
          .changesOf('inventory_levels')
          .subscribe((c) => published.push(Number((c.newRow as InventoryLevelRow).available)));
        for (const p of PRODUCTS) {
          await store.append(`inventory-${C}-${p}`, [
            commerceEvent('inventory.stock_updated', {
              creatorId: C,
              productId: p,
              quantity: stock[p],
              reason: 'restock',
              threshold: 0,
            }),
          ]);
        }
        const inventory = new InventoryService({ store: scheduledStore(store, s), readModels });

        const outcomes = await s.waitFor(
          Promise.allSettled(
            orders.map((lines, i) =>
              inventory.allocate({ actor: TEST_ACTOR, creatorId: C, orderId: `o${i}`, lines }),
            ),
          ),
        );

        const direct = new InventoryService({ store, readModels });
        const final = new Map<string, number>();
        for (const p of PRODUCTS) {
          const row = await readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
            creator_id: C,
            product_id: p,
          });
          final.set(p, Number(row?.available));
        }
        const reserved = new Map<string, number>();
        for (const [i, outcome] of outcomes.entries()) {
          const held = await direct.held(C, `o${i}`);
          if (outcome.status === 'fulfilled') {
            // All of it.
            expect(held).toEqual(wanted(orders[i]!));
            for (const [p, q] of held) reserved.set(p, (reserved.get(p) ?? 0) + q);
          } else {
            // None of it, for want of stock that is still missing now.
            expect(outcome.reason).toBeInstanceOf(InsufficientStockError);
            expect([...held.values()].every((q) => q === 0)).toBe(true);
            const short = [...wanted(orders[i]!)].some(([p, q]) => q > final.get(p)!);
            expect(short).toBe(true);
          }
        }
        for (const p of PRODUCTS) {
          expect(reserved.get(p) ?? 0).toBeLessThanOrEqual(stock[p]);
          expect(final.get(p)).toBe(stock[p] - (reserved.get(p) ?? 0));
        }
        expect(published.every((a) => a >= 0)).toBe(true);
        await readModels.stop();
        await store.close();
      }),
      { numRuns: 150 },
    );
  });
});
