/**
 * The inventory handler as an at-least-once processor: its appends go through
 * the store (on PGlite, the one connection), an event that keeps failing is
 * dead-lettered, reported as a commerce `'error'`, and redriven.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { commerceEvent, inventoryStream, orderStream } from '../../src/commerce/index.js';
import { START_CHECKPOINT } from '../../src/core/checkpoint.js';
import { commerceEngines, type CommerceTestbed } from './support.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

const C = 'creator-handler';

describe.each(commerceEngines)('inventory handler on $name', (engine) => {
  let bed: CommerceTestbed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it.skipIf(!engine.available)(
    "does not read an order's stream again for an allocation whose reservations came with it",
    async () => {
      bed = await engine.open();
      const { store, commerce } = bed;
      const inventory = commerce.inventory;
      const reserveAllocation = inventory.reserveAllocation.bind(inventory);
      const asked: string[] = [];
      inventory.reserveAllocation = async (payload, meta) => {
        asked.push(payload.orderId);
        return reserveAllocation(payload, meta);
      };
      await store.append(inventoryStream(C, 'p1'), [
        commerceEvent('inventory.stock_updated', {
          creatorId: C,
          productId: 'p1',
          quantity: 10,
          reason: 'restock',
        }),
      ]);
      await commerce.whenIdle();
      await inventory.allocate({
        actor: TEST_ACTOR,
        creatorId: C,
        orderId: 'own',
        lines: [{ productId: 'p1', quantity: 2 }],
      });
      // Written by someone else: the allocation alone, which the handler must reserve.
      await store.append(orderStream(C, 'foreign'), [
        commerceEvent('order.inventory_allocated', {
          creatorId: C,
          orderId: 'foreign',
          allocations: [{ productId: 'p1', quantity: 1 }],
        }),
      ]);
      await commerce.whenIdle();
      expect(asked).toEqual(['foreign']);
      const reserved = async (orderId: string) =>
        (await store.readStream(orderStream(C, orderId))).events.filter(
          (e) => e.type === 'inventory.reserved',
        );
      expect(await reserved('own')).toHaveLength(1);
      expect(await reserved('foreign')).toHaveLength(1);
    },
  );

  it.skipIf(!engine.available)(
    'reserves allocations, dead-letters one that keeps failing, reports it and redrives it',
    async () => {
      bed = await engine.open();
      const { store, commerce } = bed;
      const inventory = commerce.inventory;
      const reserveAllocation = inventory.reserveAllocation.bind(inventory);
      let broken = true;
      inventory.reserveAllocation = async (payload, metadata) => {
        if (broken && payload.orderId === 'broken') throw new Error('inventory service unavailable');
        return reserveAllocation(payload, metadata);
      };
      const errors: unknown[] = [];
      commerce.on('error', (err) => errors.push(err));
      const allocated = (orderId: string) =>
        store.append(orderStream(C, orderId), [
          commerceEvent('order.inventory_allocated', {
            creatorId: C,
            orderId,
            allocations: [{ productId: 'p1', quantity: 2 }],
          }),
        ]);
      const reservedOf = async (orderId: string) =>
        (await store.readStream(orderStream(C, orderId))).events.filter(
          (e) => e.type === 'inventory.reserved',
        );

      await allocated('ok');
      await allocated('broken');
      // Five attempts with the default backoff (about 1.5-3 s), then the dead letter.
      await expect.poll(() => errors.length, { timeout: 20_000 }).toBe(1);
      expect(errors[0]).toMatchObject({
        code: 'PROCESSOR_DEAD_LETTERED',
        eventType: 'order.inventory_allocated',
      });
      expect(String(errors[0])).toContain('inventory service unavailable');
      await commerce.whenIdle();
      expect(await reservedOf('ok')).toHaveLength(1);
      expect(await reservedOf('broken')).toHaveLength(0);
      const handler = commerce.inventoryHandler;
      const letters = await handler.deadLetters.list({ processor: handler.name });
      expect(letters.map((l) => (l.event.data as { orderId: string }).orderId)).toEqual(['broken']);

      broken = false;
      expect(await handler.redrive()).toEqual({ redriven: [letters[0]!.id], failed: [] });
      expect(await reservedOf('broken')).toHaveLength(1);
      expect(await handler.deadLetters.list({ processor: handler.name })).toEqual([]);
      // Delivered again, the allocation finds its reservation and appends nothing more.
      await handler.stop();
      await handler.seek(START_CHECKPOINT);
      await handler.start();
      await commerce.whenIdle();
      expect(await reservedOf('ok')).toHaveLength(1);
      expect(await reservedOf('broken')).toHaveLength(1);
    },
  );
});
