/**
 * Order streams are scoped by creator: two creators' orders with one id never
 * share a stream, so shipping one releases only its own reservations.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { commerceEvent, orderStream, type InventoryLevelRow } from '../../src/commerce/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

describe('orderStream', () => {
  it('gives distinct ids to distinct (creator, order) pairs, within the store limit', () => {
    const id = fc.string({ minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(id, id, id, id, (c1, o1, c2, o2) => {
        fc.pre(c1 !== c2 || o1 !== o2);
        expect(orderStream(c1, o1)).not.toBe(orderStream(c2, o2));
        expect(orderStream(c1, o1).length).toBeLessThanOrEqual(256);
      }),
    );
    // The separator inside an id cannot move the split.
    expect(orderStream('a:b', 'c')).not.toBe(orderStream('a', 'b:c'));
    expect(orderStream('a%3Ab', 'c')).not.toBe(orderStream('a:b', 'c'));
    expect(orderStream('creator-1', '576461413038785752')).toBe('order-creator-1:576461413038785752');
  });
});

describe.each(commerceEngines)('two creators with one order id on $name', (engine) => {
  let bed: CommerceTestbed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it.skipIf(!engine.available)('keep their reservations apart when one order ships', async () => {
    bed = await engine.open();
    const { store, commerce } = bed;
    const creators = ['creator-a', 'creator-b'] as const;
    for (const creatorId of creators) {
      await store.append(`inventory-${creatorId}-p1`, [
        commerceEvent('inventory.stock_updated', {
          creatorId,
          productId: 'p1',
          quantity: 10,
          reason: 'restock',
          threshold: 0,
        }),
      ]);
    }
    await commerce.inventory.allocate({
      actor: TEST_ACTOR,
      creatorId: 'creator-a',
      orderId: 'same',
      lines: [{ productId: 'p1', quantity: 2 }],
    });
    await commerce.inventory.allocate({
      actor: TEST_ACTOR,
      creatorId: 'creator-b',
      orderId: 'same',
      lines: [{ productId: 'p1', quantity: 3 }],
    });
    await store.append(orderStream('creator-b', 'same'), [
      commerceEvent('order.shipped', {
        creatorId: 'creator-b',
        orderId: 'same',
        provider: 'shippo',
        trackingNumber: '1Z',
        shippedAt: '2026-03-01T10:00:00.000Z',
      }),
    ]);
    await commerce.whenIdle();
    await commerce.whenIdle();

    expect(await commerce.inventory.held('creator-a', 'same')).toEqual(new Map([['p1', 2]]));
    expect(await commerce.inventory.held('creator-b', 'same')).toEqual(new Map([['p1', 0]]));
    const level = (creatorId: string) =>
      commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: creatorId,
        product_id: 'p1',
      });
    expect(await level('creator-a')).toMatchObject({ on_hand: 10, reserved: 2, available: 8 });
    expect(await level('creator-b')).toMatchObject({ on_hand: 7, reserved: 0, available: 7 });
  });
});
