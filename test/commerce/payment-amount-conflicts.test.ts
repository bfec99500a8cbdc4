/**
 * Amounts from the payment processor in resolve-sync-conflicts: with
 * `reportOrderState`, the fulfillment saga's capture and the refunds of the
 * cancellation saga report `order.state_reported` (source
 * `payment_processor`) in the append of their lifecycle events — only when a
 * rule could act on them. A capture equal to the order's TikTok total (under
 * $1000) is not reported and nothing escalates; more than 10 % apart goes to
 * the manual queue with both figures, though the order has shipped; a refund
 * over $500 goes there too; a refund under every limit of an order under
 * every limit is not reported. Off by default: the sagas write what they
 * always wrote. Memory, PGlite and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  orderStream,
  type CommerceOrderRow,
  type OrderReported,
} from '../../src/commerce/index.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { commerceEngines, receivedOrder, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const T0 = '2026-03-01T10:00:00.000Z';
/** Far past every window: settleDue settles all. */
const LATER = Date.now() + 3_600_000;

async function stock(store: EventStore, quantity: number) {
  await store.append(`inventory-${C}-p1`, [
    commerceEvent('inventory.stock_updated', { creatorId: C, productId: 'p1', quantity, reason: 'restock' }),
  ]);
}

const received = (orderId: string, totalAmount: number) =>
  receivedOrder(C, orderId, { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount });

describe.each(commerceEngines)('amounts from the payment processor ($name)', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    afterEach(async () => {
      await bed?.close();
    });

    const open = async (reportOrderState = true) => {
      bed = await engine.open({ conflicts: { tickMs: 3_600_000 }, reportOrderState });
      await stock(bed.store, 50);
      return bed;
    };
    /** Receive, fulfil (ship) and settle an order of `total`. */
    /** The buyer cancels: the cancellation saga's final state, once everything it set off is done. */
    async function cancelByBuyer(orderId: string) {
      await bed.store.append(orderStream(C, orderId), [
        commerceEvent('order.cancelled', { creatorId: C, orderId, cancelledBy: 'buyer', cancelledAt: T0 }),
      ]);
      const cancellation = await bed.commerce.waitForCancellation(C, orderId);
      await bed.commerce.whenIdle();
      return cancellation;
    }

    async function fulfil(orderId: string, total: number) {
      await bed.store.append(orderStream(C, orderId), [received(orderId, total)]);
      expect((await bed.commerce.waitForFulfillment(C, orderId)).status).toBe('completed');
      await bed.commerce.whenIdle();
    }
    async function settle() {
      await bed.commerce.conflicts!.whenCaughtUp();
      const result = await bed.commerce.conflicts!.settleDue(LATER);
      await bed.commerce.whenIdle();
      return result;
    }
    const reports = async (): Promise<StoredEvent[]> =>
      (await bed.store.readAll({ limit: 10_000 })).events.filter((e) => e.type === 'order.state_reported');
    const order = (orderId: string) =>
      bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: orderId,
      });

    /** The order's lifecycle append of `type` and what came in the same append (same transaction). */
    async function appendOf(orderId: string, type: string) {
      const { events } = await bed.store.readStream(orderStream(C, orderId));
      const event = events.find((e) => e.type === type)!;
      const txOf = (e: StoredEvent) => String(e.checkpoint).split(':')[0];
      return { event, with: events.filter((e) => e !== event && txOf(e) === txOf(event)), events };
    }

    it('a capture equal to the order total is not reported: nothing to settle, nothing escalated, the row holds the capture', async () => {
      await open();
      // The charge acts and its reply is lost: the step runs again (same key, same payment).
      bed.payments.behaviour.failNext('charge', 'lost_reply');
      await fulfil('o1', 25);
      const paid = await appendOf('o1', 'order.payment_processed');
      expect(paid.events.filter((e) => e.type === 'order.payment_processed')).toHaveLength(1);
      expect(paid.with).toEqual([]);
      expect(await reports()).toEqual([]);
      expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 0 });
      expect(await bed.commerce.conflicts!.unscopedResolver.list({ entityType: 'order' })).toEqual([]);
      expect(await order('o1')).toMatchObject({ status: 'shipped', amount: 25 });
    });

    it('an equal capture over $1000 is reported once, in the append of order.payment_processed (the order_value rule reads it)', async () => {
      await open();
      bed.payments.behaviour.failNext('charge', 'lost_reply');
      await fulfil('o7', 1_200);
      const paid = await appendOf('o7', 'order.payment_processed');
      const [report, ...more] = paid.with;
      expect(more).toEqual([]);
      // The same append: the next version, the step's metadata, the same transaction.
      expect(report).toMatchObject({
        type: 'order.state_reported',
        version: paid.event.version + 1,
        metadata: paid.event.metadata,
      });
      const paymentId = (paid.event.data as { paymentId: string }).paymentId;
      expect(report!.data).toEqual({
        creatorId: C,
        orderId: 'o7',
        totalAmount: 1_200,
        orderTotal: 1_200,
        source: 'payment_processor',
        sourceId: paymentId,
        reportedAt: (report!.data as OrderReported).reportedAt,
      });
      expect(await reports()).toHaveLength(1);
      // Settled after the order shipped: the shipped order absorbs the order value limit.
      expect((await settle()).escalated).toBe(0);
      expect(await order('o7')).toMatchObject({ status: 'shipped', amount: 1_200 });
    });

    it('a capture more than 10 % off the TikTok total goes to the manual queue with both figures, though the order shipped', async () => {
      await open();
      bed.payments.captureNext(80);
      await fulfil('o2', 100);
      expect(await settle()).toMatchObject({ escalated: 1 });
      const [pending, ...others] = await bed.commerce.conflicts!.unscopedResolver.listPending({
        entityType: 'order',
      });
      expect(others).toEqual([]);
      expect(pending!.resolution.entityId).toBe('o2');
      expect(pending!.resolution.escalation!.reasons).toEqual([
        expect.objectContaining({
          code: 'amount_discrepancy',
          field: 'totalAmount',
          value: 20,
          threshold: 10,
        }),
      ]);
      // TikTok's total is its own contender beside the capture (tiktok-amount-conflicts.test.ts).
      expect(pending!.resolution.contenders.map((c) => [c.source, c.changes])).toEqual([
        ['tiktok_webhook', { totalAmount: 100 }],
        ['payment_processor', { totalAmount: 80, orderTotal: 100 }],
      ]);
      expect(pending!.resolution.before).toMatchObject({ status: 'shipped' });
      // The creator's queue shows it (the audit's tenant is the order's creator).
      const mine = await bed.commerce.conflictQueue!.pending({
        userId: 'u',
        tenantIds: [C],
        roles: ['creator'],
      });
      expect(mine.map((r) => r.conflictId)).toEqual([pending!.conflictId]);
      // An admin decides the order's amount; it folds back.
      await bed.commerce.conflicts!.unscopedResolver.resolveManually(pending!.conflictId, {
        values: { totalAmount: 80 },
        adminId: 'admin-1',
        note: 'partial capture confirmed with the processor',
      });
      await bed.commerce.conflicts!.whenCaughtUp();
      await bed.commerce.whenIdle();
      expect(await order('o2')).toMatchObject({ status: 'shipped', amount: 80 });
    });

    it('a capture within 10 % of the TikTok total settles automatically, audited with both figures', async () => {
      await open();
      await bed.store.append(orderStream(C, 'o3'), [received('o3', 100)]);
      bed.payments.captureNext(95);
      // The order has not shipped when its window settles: the label fails for good.
      bed.shipping.behaviour.failNext('createLabel', 'permanent');
      await bed.commerce.waitForFulfillment(C, 'o3');
      await bed.commerce.whenIdle();
      const result = await settle();
      expect(result.escalated).toBe(0);
      const audited = await bed.commerce.conflicts!.unscopedResolver.list({ entityType: 'order' });
      const capture = audited.find((r) => r.resolution.contenders.some((c) => c.changes.totalAmount === 95));
      expect(capture).toMatchObject({ status: 'resolved' });
      expect(capture!.resolution.contenders.find((c) => c.changes.totalAmount === 95)!.changes).toEqual({
        totalAmount: 95,
        orderTotal: 100,
      });
    });

    it('a refund over $500 is reported in the append of order.refunded and goes to the manual queue', async () => {
      await open();
      await fulfil('o4', 600);
      expect((await settle()).escalated).toBe(0);
      expect((await cancelByBuyer('o4')).status).toBe('completed');
      const { events } = await bed.store.readStream(orderStream(C, 'o4'));
      const refunded = events.find((e) => e.type === 'order.refunded')!;
      expect(events[events.indexOf(refunded) + 1]).toMatchObject({
        type: 'order.state_reported',
        version: refunded.version + 1,
        data: { refundedAmount: 600, source: 'payment_processor' },
      });
      expect(await settle()).toMatchObject({ escalated: 1 });
      const [pending] = await bed.commerce.conflicts!.unscopedResolver.listPending({ entityType: 'order' });
      expect(pending!.resolution.escalation!.reasons.map((r) => [r.code, r.value])).toEqual([
        ['payment_amount', 600],
      ]);
      expect(await order('o4')).toMatchObject({ status: 'refunded', refunded_amount: 600 });
    });

    it('a refund of $25 of a $25 order is not reported: nothing to settle, refunded_amount from order.refunded', async () => {
      await open();
      await fulfil('o5', 25);
      expect((await cancelByBuyer('o5')).status).toBe('completed');
      expect((await appendOf('o5', 'order.refunded')).with).toEqual([]);
      expect(await reports()).toEqual([]);
      expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 0 });
      expect(await bed.commerce.conflicts!.unscopedResolver.listPending()).toEqual([]);
      expect(await order('o5')).toMatchObject({ status: 'refunded', refunded_amount: 25 });
    });

    it('a refund under the payment limit is still reported when the order is over the order value limit', async () => {
      // The host lifts the refund limit over the order value limit: a $1200 refund is under it,
      // but the order's $1200 is what order_value reads (from the order too, in a window of two).
      bed = await engine.open({
        conflicts: { tickMs: 3_600_000, config: { thresholds: { paymentAmount: 2_000 } } },
        reportOrderState: true,
      });
      await stock(bed.store, 50);
      for (const [orderId, total] of [
        ['o8', 1_200],
        ['o9', 900],
      ] as const) {
        await fulfil(orderId, total);
        expect((await cancelByBuyer(orderId)).status).toBe('completed');
      }
      const refunds = (await reports())
        .map((e) => [e.aggregateId, (e.data as OrderReported).refundedAmount])
        .filter(([, refunded]) => refunded !== undefined);
      expect(refunds).toEqual([[orderStream(C, 'o8'), 1_200]]);
      expect((await appendOf('o8', 'order.refunded')).with.map((e) => e.type)).toEqual([
        'order.state_reported',
      ]);
      // A $900 refund of a $900 order, under both limits: no report.
      expect((await appendOf('o9', 'order.refunded')).with).toEqual([]);
    });

    it("the fulfillment saga's compensation reports a refund over $500 and not a small one", async () => {
      await open();
      for (const [orderId, total] of [
        ['o10', 700],
        ['o11', 30],
      ] as const) {
        await bed.store.append(orderStream(C, orderId), [received(orderId, total)]);
        // The label fails for good: the compensations refund the capture.
        bed.shipping.behaviour.failNext('createLabel', 'permanent');
        expect((await bed.commerce.waitForFulfillment(C, orderId)).status).toBe('compensated');
        await bed.commerce.whenIdle();
      }
      const big = await appendOf('o10', 'order.refunded');
      expect(big.with.map((e) => [e.type, (e.data as OrderReported).refundedAmount])).toEqual([
        ['order.state_reported', 700],
      ]);
      expect((await appendOf('o11', 'order.refunded')).with).toEqual([]);
      expect(await order('o11')).toMatchObject({ refunded_amount: 30 });
    });

    it('off by default: the sagas report nothing and write what they wrote before', async () => {
      await open(false);
      bed.payments.captureNext(80);
      await fulfil('o6', 100);
      await cancelByBuyer('o6');
      expect(await reports()).toEqual([]);
      expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 0 });
    });
  });
});
