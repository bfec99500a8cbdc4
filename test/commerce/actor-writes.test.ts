/**
 * Every commerce write names who acted, below the principal check too: the
 * sagas record the principal that started them (kept in their input, so a
 * saga taken over by another worker records the same one) or the system
 * principal of their definition; a manual-queue decision records the admin's
 * actor on its events and in the audit; the writers that record an actor
 * they are handed (`InventoryService`, the standalone `syncInventoryLevels`,
 * `reportTikTokStock`) refuse a missing or forged one with a typed code and
 * write nothing. Memory, PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actorOf, systemActor, type ActorRef } from '../../src/access/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import {
  commerceEvent,
  FakePaymentGateway,
  FakeTikTokShopClient,
  inventoryStream,
  orderCancellationSaga,
  orderReportEvent,
  orderStream,
  reportTikTokStock,
  resolveInventoryOptions,
  syncInventoryLevels,
  ORDER_CANCELLATION_SAGA,
  ORDER_FULFILLMENT_SAGA,
  type OrderReported,
  type RefundRequest,
} from '../../src/commerce/index.js';
import {
  createMemorySagaStore,
  createSagaRunner,
  createSqlSagaStore,
  type SagaRunner,
} from '../../src/sagas/index.js';
import type { StoredEvent } from '../../src/store/index.js';
import { commerceEngines, FAST_RETRY, receivedOrder, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const admin: Authorization = { userId: 'ops-1', tenantIds: [], roles: ['admin'] };
const ADMIN_ACTOR: ActorRef = { kind: 'admin', id: 'ops-1' };
const TEST_ACTOR = systemActor('test');

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? 'UNCODED';
  }
}

/** The events a saga wrote (its id is their correlation id). */
async function sagaEvents(bed: CommerceTestbed, orderId: string, sagaId: string): Promise<StoredEvent[]> {
  const { events } = await bed.store.readStream(orderStream(C, orderId));
  return events.filter((e) => e.metadata.correlationId === sagaId);
}

const actorsOf = (events: readonly StoredEvent[]) =>
  events.map((e) => [e.type, e.metadata.actor, e.metadata.userId]);

/** A payment port whose first refund waits until its caller is aborted (its worker stops). */
class StallingPayments extends FakePaymentGateway {
  #refunds = 0;
  entered!: () => void;
  readonly refundEntered = new Promise<void>((resolve) => (this.entered = resolve));

  override async refund(request: RefundRequest): Promise<{ refundId: string }> {
    if (this.#refunds++ === 0) {
      this.entered();
      await new Promise<never>((_, reject) => {
        const signal = request.signal!;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    return super.refund(request);
  }
}

describe.each(commerceEngines)('who acted, recorded on every write ($name)', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    const runners: SagaRunner[] = [];

    afterEach(async () => {
      for (const r of runners.splice(0)) await r.stop({ drainMs: 0 }).catch(() => undefined);
      await bed?.close();
    });

    const stock = (productId: string, quantity: number) =>
      bed.store.append(inventoryStream(C, productId), [
        commerceEvent('inventory.stock_updated', { creatorId: C, productId, quantity, reason: 'restock' }),
      ]);

    describe('sagas', () => {
      beforeEach(async () => {
        bed = await engine.open({ ports: null });
      });

      it('a cancellation saga an admin started records the admin on every event, also after another worker took it over', async () => {
        await stock('p1', 10);
        await bed.commerce.inventory.allocate({
          creatorId: C,
          orderId: 'o1',
          lines: [{ productId: 'p1', quantity: 3 }],
          actor: TEST_ACTOR,
        });
        const payments = new StallingPayments();
        const payment = await payments.charge({
          creatorId: C,
          orderId: 'o1',
          amount: 25,
          currency: 'USD',
          idempotencyKey: 'charge-o1',
        });
        await bed.store.append(orderStream(C, 'o1'), [
          commerceEvent('order.payment_processed', { creatorId: C, orderId: 'o1', ...payment }),
        ]);
        const sql = bed.store.sql;
        const sagaStore = sql
          ? createSqlSagaStore({ sql, schema: bed.store.schema })
          : createMemorySagaStore();
        await sagaStore.migrate();
        const saga = orderCancellationSaga({
          store: bed.store,
          inventory: bed.commerce.inventory,
          payments,
        });
        const options = {
          store: sagaStore,
          pollIntervalMs: 20,
          retry: FAST_RETRY,
          compensationRetry: FAST_RETRY,
        };
        // The first worker's lease runs out soon after it stops; it does not give it back.
        const first = createSagaRunner({ ...options, leaseMs: 300 });
        runners.push(first);
        first.register(saga);
        first.startWorker();
        const { sagaId } = await first.start(saga, {
          creatorId: C,
          orderId: 'o1',
          cancelledBy: 'seller',
          actor: actorOf(admin),
        });
        await payments.refundEntered;
        await first.stop({ drainMs: 0, releaseLeases: false });

        const second = createSagaRunner({ ...options, leaseMs: 60_000 });
        runners.push(second);
        const takenOver = new Promise<string>((resolve) =>
          second.on('saga:taken_over', (e) => resolve(e.previousOwner)),
        );
        second.register(saga);
        second.startWorker();
        expect((await second.waitFor(sagaId, { timeoutMs: 30_000 })).status).toBe('completed');
        expect(await takenOver).toBe(first.workerId);
        const history = await second.history(sagaId);
        expect(history.map((h) => [h.name, h.workerId])).toEqual([
          ['release_inventory', first.workerId],
          ['refund_payment', second.workerId],
          ['restock_shipped', second.workerId],
        ]);
        const events = await sagaEvents(bed, 'o1', sagaId);
        expect(actorsOf(events)).toEqual([
          ['inventory.released', ADMIN_ACTOR, 'ops-1'],
          ['order.refunded', ADMIN_ACTOR, 'ops-1'],
        ]);
      });

      it('a saga start with a forged or malformed actor throws a typed code and starts nothing', async () => {
        const saga = orderCancellationSaga({
          store: bed.store,
          inventory: bed.commerce.inventory,
          payments: new FakePaymentGateway(),
        });
        const runner = createSagaRunner({ pollIntervalMs: 20 });
        runners.push(runner);
        const start = (actor: unknown, sagaId: string) =>
          runner.start(saga, { creatorId: C, orderId: 'o1', cancelledBy: 'seller', actor } as never, {
            sagaId,
          });
        expect(await codeOf(start({ kind: 'root', id: 'ops-1' }, 's1'))).toBe('PRINCIPAL_INVALID');
        // A person's actor claiming a system id, and a system actor with a person's id.
        expect(await codeOf(start({ kind: 'admin', id: 'system:saga:x' }, 's2'))).toBe('PRINCIPAL_INVALID');
        expect(await codeOf(start({ kind: 'system', id: 'ops-1' }, 's3'))).toBe('PRINCIPAL_INVALID');
        expect(await codeOf(start('ops-1', 's4'))).toBe('PRINCIPAL_INVALID');
        expect(await codeOf(start(null, 's5'))).toBe('PRINCIPAL_MISSING');
        for (const id of ['s1', 's2', 's3', 's4', 's5']) expect(await runner.status(id)).toBeNull();
        expect((await bed.store.readStream(orderStream(C, 'o1'))).events).toEqual([]);
      });
    });

    describe('sagas started by their triggers', () => {
      beforeEach(async () => {
        bed = await engine.open();
      });

      it("a cancellation carries its event's actor into the saga; sagas no one started act as their definition", async () => {
        await stock('p1', 10);
        await bed.store.append(orderStream(C, 'o1'), [
          receivedOrder(C, 'o1', { lineItems: [{ productId: 'p1', quantity: 2 }], totalAmount: 25 }),
        ]);
        const fulfilled = await bed.commerce.waitForFulfillment(C, 'o1');
        expect(fulfilled.status).toBe('completed');
        const fulfillment = await sagaEvents(bed, 'o1', fulfilled.sagaId);
        expect(fulfillment.length).toBeGreaterThan(3);
        const system = (definition: string) => ({ kind: 'system', id: `system:saga:${definition}` });
        for (const e of fulfillment) expect(e.metadata.actor).toEqual(system(ORDER_FULFILLMENT_SAGA));

        // An admin cancels (the event records the admin): the refund acts as the admin.
        await bed.store.append(
          orderStream(C, 'o1'),
          [
            commerceEvent('order.cancelled', {
              creatorId: C,
              orderId: 'o1',
              cancelledBy: 'seller',
              cancelledAt: new Date().toISOString(),
            }),
          ],
          { metadata: { actor: ADMIN_ACTOR, userId: 'ops-1' } },
        );
        const cancelled = await bed.commerce.waitForCancellation(C, 'o1');
        expect(cancelled.status).toBe('completed');
        expect(cancelled.input).toMatchObject({ actor: ADMIN_ACTOR });
        const cancellation = await sagaEvents(bed, 'o1', cancelled.sagaId);
        expect(actorsOf(cancellation)).toEqual([
          ['order.refunded', ADMIN_ACTOR, 'ops-1'],
          ['inventory.released', ADMIN_ACTOR, 'ops-1'],
        ]);

        // A cancellation that names no one (TikTok's webhook): the saga's own system principal.
        await bed.store.append(orderStream(C, 'o2'), [
          receivedOrder(C, 'o2', { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: 10 }),
        ]);
        expect((await bed.commerce.waitForFulfillment(C, 'o2')).status).toBe('completed');
        await bed.store.append(orderStream(C, 'o2'), [
          commerceEvent('order.cancelled', {
            creatorId: C,
            orderId: 'o2',
            cancelledBy: 'tiktok',
            cancelledAt: new Date().toISOString(),
          }),
        ]);
        const byTikTok = await bed.commerce.waitForCancellation(C, 'o2');
        const events = await sagaEvents(bed, 'o2', byTikTok.sagaId);
        expect(events.length).toBeGreaterThan(0);
        for (const e of events) expect(e.metadata.actor).toEqual(system(ORDER_CANCELLATION_SAGA));
      });
    });

    describe('manual-queue decisions', () => {
      beforeEach(async () => {
        bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
      });

      const T0 = Date.parse('2026-12-01T10:00:00.000Z');
      const report = (source: OrderReported['source'], ms: number, status: string) =>
        bed.store.append(orderStream(C, 'o1'), [
          orderReportEvent({
            creatorId: C,
            orderId: 'o1',
            source,
            sourceId: source,
            reportedAt: new Date(T0 + ms).toISOString(),
            status,
          } as OrderReported),
        ]);

      it("a decision's events and audit carry the admin's actor", async () => {
        await report('shipping_provider', 0, 'delivered');
        await report('tiktok_webhook', 500, 'cancelled');
        const conflicts = bed.commerce.conflicts!;
        await conflicts.whenCaughtUp();
        expect(await conflicts.settleDue(T0 + 3_600_000)).toMatchObject({ escalated: 1 });
        const queue = bed.commerce.conflictQueue!;
        const [pending] = await queue.pending(admin);
        const before = (await bed.store.readAll()).events.length;
        // The generic resolver refuses an actor that is not the deciding admin, writing nothing.
        await expect(
          conflicts.unscopedResolver.resolveManually(pending!.conflictId, {
            values: { status: 'cancelled' },
            adminId: 'ops-1',
            actor: { kind: 'admin', id: 'someone-else' },
          }),
        ).rejects.toMatchObject({ code: 'CONFLICT_MALFORMED_INPUT' });
        expect((await bed.store.readAll()).events.length).toBe(before);

        const decided = await queue.decide(admin, pending!.conflictId, {
          values: { status: 'cancelled' },
          note: 'buyer cancelled before pickup',
        });
        expect(decided.manualOverride).toMatchObject({ adminId: 'ops-1', actor: ADMIN_ACTOR });
        expect((await conflicts.unscopedResolver.get(decided.conflictId))?.manualOverride?.actor).toEqual(
          ADMIN_ACTOR,
        );
        await conflicts.whenCaughtUp();
        await bed.commerce.whenIdle();
        const { events } = await bed.store.readAll();
        const resolved = events.find((e) => e.id === decided.events.manual);
        expect(resolved?.metadata).toMatchObject({ actor: ADMIN_ACTOR, userId: 'ops-1' });
        const settled = events.filter((e) => (e.data as { decidedBy?: string }).decidedBy === 'ops-1');
        expect(settled).toHaveLength(1);
        expect(settled[0]!.metadata).toMatchObject({ actor: ADMIN_ACTOR, userId: 'ops-1' });
      });
    });

    describe('writers that record the actor they are handed', () => {
      beforeEach(async () => {
        bed = await engine.open({ ports: null });
      });

      it('refuse a missing or forged actor with a typed code and write nothing', async () => {
        await stock('p1', 10);
        const inventory = bed.commerce.inventory;
        await inventory.allocate({
          creatorId: C,
          orderId: 'o1',
          lines: [{ productId: 'p1', quantity: 2 }],
          actor: TEST_ACTOR,
        });
        await bed.commerce.whenIdle();
        const written = async () => (await bed.store.readAll()).events.length;
        const before = await written();
        const tiktok = new FakeTikTokShopClient();
        let asked = 0;
        const getInventory = tiktok.getInventory.bind(tiktok);
        tiktok.getInventory = (request) => {
          asked++;
          return getInventory(request);
        };
        const forged = { kind: 'admin', id: 'system:sync' };
        for (const [actor, code] of [
          [undefined, 'PRINCIPAL_MISSING'],
          [forged, 'PRINCIPAL_INVALID'],
          [{ kind: 'user', id: '' }, 'PRINCIPAL_INVALID'],
        ] as const) {
          const a = actor as unknown as ActorRef;
          const order = { creatorId: C, orderId: 'o1' };
          const writes: Promise<unknown>[] = [
            inventory.allocate({
              ...order,
              orderId: 'o2',
              lines: [{ productId: 'p1', quantity: 1 }],
              actor: a,
            }),
            inventory.release({ ...order, reason: 'cancelled', actor: a }),
            inventory.returnShipped({ ...order, actor: a }),
            inventory.appendWithRelease({
              ...order,
              reason: 'fulfilled',
              actor: a,
              events: [
                commerceEvent('order.shipped', {
                  ...order,
                  provider: 'shippo',
                  trackingNumber: 't1',
                  shippedAt: new Date().toISOString(),
                }),
              ],
            }),
            inventory.reserveAllocation(
              { ...order, orderId: 'o3', allocations: [{ productId: 'p1', quantity: 1 }] },
              a,
            ),
            syncInventoryLevels({
              store: bed.store,
              readModels: bed.commerce.readModels,
              options: resolveInventoryOptions(),
              creatorId: C,
              actor: a,
            }),
            reportTikTokStock({
              store: bed.store,
              readModels: bed.commerce.readModels,
              feed: { client: tiktok, shopOf: () => 'shop-1' },
              creatorId: C,
              keyOf: (p) => `report:${p}`,
              actor: a,
            }),
          ];
          for (const write of writes) expect(await codeOf(write)).toBe(code);
        }
        expect(await written()).toBe(before);
        expect(asked).toBe(0);

        // With an actor they write, and record it.
        await inventory.release({ creatorId: C, orderId: 'o1', reason: 'cancelled', actor: ADMIN_ACTOR });
        const released = (await bed.store.readStream(orderStream(C, 'o1'))).events.at(-1)!;
        expect(released).toMatchObject({
          type: 'inventory.released',
          metadata: { actor: ADMIN_ACTOR, userId: 'ops-1' },
        });
      });
    });
  });
});
