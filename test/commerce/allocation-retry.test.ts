/**
 * allocate() called again with its idempotency key (a saga step retried after
 * its append went through) reserves nothing twice and returns what the order
 * holds — whether the stock left covers the order again or not — and reads
 * the order's stream only when the stock looks short.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  createCommerce,
  InventoryService,
  type Commerce,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

const C = 'creator-1';
const P = 'p1';

describe('allocate with an idempotency key, again', () => {
  let store: EventStore;
  let commerce: Commerce;
  let inventory: InventoryService;
  let streamReads: number;

  beforeEach(async () => {
    store = createEventStore({ occurredAtWindow: null });
    commerce = createCommerce({ store, pollIntervalMs: 20 });
    await commerce.start();
    streamReads = 0;
    // The real store, its stream reads counted.
    const counted = new Proxy(store, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'readStream') streamReads += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    inventory = new InventoryService({ store: counted, readModels: commerce.readModels });
  });

  afterEach(async () => {
    await commerce.stop();
    await store.close();
  });

  const restock = (quantity: number) =>
    store.append(`inventory-${C}-${P}`, [
      commerceEvent('inventory.stock_updated', {
        creatorId: C,
        productId: P,
        quantity,
        reason: 'restock',
        threshold: 0,
      }),
    ]);
  const allocate = (orderId: string, quantity: number) =>
    inventory.allocate({
      actor: TEST_ACTOR,
      creatorId: C,
      orderId,
      lines: [{ productId: P, quantity }],
      idempotencyKey: `saga-${orderId}:allocate_inventory`,
    });
  const level = async () => {
    await commerce.whenIdle();
    return commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
      creator_id: C,
      product_id: P,
    });
  };

  it('answers a retry from the key while the stock still covers it, reading no stream', async () => {
    await restock(10);
    expect(await allocate('o1', 3)).toEqual([{ productId: P, quantity: 3 }]);
    expect(await allocate('o1', 3)).toEqual([{ productId: P, quantity: 3 }]);
    expect(streamReads).toBe(0);
    expect(await level()).toMatchObject({ on_hand: 10, reserved: 3, available: 7 });
  });

  it('finds its own reservation when that is what made the stock short', async () => {
    await restock(3);
    expect(await allocate('o1', 3)).toEqual([{ productId: P, quantity: 3 }]);
    expect(await allocate('o1', 3)).toEqual([{ productId: P, quantity: 3 }]);
    expect(streamReads).toBe(1);
    expect(await level()).toMatchObject({ on_hand: 3, reserved: 3, available: 0 });
    // Another order is still refused.
    await expect(allocate('o2', 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
  });
});
