/**
 * TikTok's order total as a contender of resolve-sync-conflicts: with
 * `reportOrderState`, when the payment processor's capture and TikTok's total
 * (the one the saga charged for) are a case for a person — more than 10 %
 * apart, or disagreeing over $1000 — the capture's append also reports
 * TikTok's total (source `tiktok_webhook`, the shop), in the same window, so
 * the manual queue shows TikTok against the processor. A capture within every
 * limit settles to the capture without a TikTok report; agreeing figures add
 * nothing. Memory, PGlite and PostgreSQL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  orderStream,
  type CommerceOrderRow,
  type CommerceOptions,
  type OrderReported,
} from '../../src/commerce/index.js';
import type { StoredEvent } from '../../src/store/types.js';
import { commerceEngines, receivedOrder, type CommerceTestbed } from './support.js';

const C = 'creator-1';
/** Far past every window: settleDue settles all. */
const LATER = Date.now() + 3_600_000;

type Conflicts = Exclude<CommerceOptions['conflicts'], boolean | undefined>;

describe.each(commerceEngines)("TikTok's order total against the capture ($name)", (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    afterEach(async () => {
      await bed?.close();
    });

    const open = async (config?: Conflicts['config']) => {
      bed = await engine.open({
        conflicts: { tickMs: 3_600_000, ...(config ? { config } : {}) },
        reportOrderState: true,
      });
      await bed.store.append(`inventory-${C}-p1`, [
        commerceEvent('inventory.stock_updated', {
          creatorId: C,
          productId: 'p1',
          quantity: 50,
          reason: 'restock',
        }),
      ]);
    };
    /** TikTok's order of `total`, charged; `shipped` false: the label fails for good (compensated, never shipped). */
    async function charge(orderId: string, total: number, captured: number, shipped = true) {
      bed.payments.captureNext(captured);
      if (!shipped) bed.shipping.behaviour.failNext('createLabel', 'permanent');
      await bed.store.append(orderStream(C, orderId), [
        receivedOrder(C, orderId, { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: total }),
      ]);
      expect((await bed.commerce.waitForFulfillment(C, orderId)).status).toBe(
        shipped ? 'completed' : 'compensated',
      );
      await bed.commerce.whenIdle();
    }
    async function settle() {
      await bed.commerce.conflicts!.whenCaughtUp();
      const result = await bed.commerce.conflicts!.settleDue(LATER);
      await bed.commerce.whenIdle();
      return result;
    }
    const reports = async (orderId: string): Promise<StoredEvent[]> =>
      (await bed.store.readStream(orderStream(C, orderId))).events.filter(
        (e) => e.type === 'order.state_reported',
      );
    const order = (orderId: string) =>
      bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: orderId,
      });
    const pending = () => bed.commerce.conflicts!.unscopedResolver.listPending({ entityType: 'order' });

    it('a capture more than 10 % off: TikTok reports its total in the capture append; escalated with both, though shipped', async () => {
      await open();
      // The charge acts and its reply is lost: the retried step reports once.
      bed.payments.behaviour.failNext('charge', 'lost_reply');
      await charge('o1', 100, 80);
      const { events } = await bed.store.readStream(orderStream(C, 'o1'));
      const paid = events.find((e) => e.type === 'order.payment_processed')!;
      const [capture, tiktok, ...more] = await reports('o1');
      expect(more).toEqual([]);
      // One append: the next versions, the same transaction.
      expect([capture!.version, tiktok!.version]).toEqual([paid.version + 1, paid.version + 2]);
      const txOf = (e: StoredEvent) => String(e.checkpoint).split(':')[0];
      expect(txOf(tiktok!)).toBe(txOf(paid));
      expect(capture!.data).toMatchObject({ source: 'payment_processor', totalAmount: 80, orderTotal: 100 });
      expect(tiktok!.data).toEqual({
        creatorId: C,
        orderId: 'o1',
        totalAmount: 100,
        source: 'tiktok_webhook',
        sourceId: 'shop-1',
        reportedAt: (capture!.data as OrderReported).reportedAt,
      });

      expect(await settle()).toMatchObject({ escalated: 1 });
      const [conflict, ...others] = await pending();
      expect(others).toEqual([]);
      expect(conflict!.resolution.before).toMatchObject({ status: 'shipped' });
      expect(conflict!.resolution.kind).toBe('cross_platform_inconsistency');
      expect(conflict!.resolution.contenders.map((c) => [c.source, c.changes])).toEqual([
        ['tiktok_webhook', { totalAmount: 100 }],
        ['payment_processor', { totalAmount: 80, orderTotal: 100 }],
      ]);
      expect(conflict!.resolution.escalation!.reasons.map((r) => [r.code, r.value])).toEqual([
        ['amount_discrepancy', 20],
      ]);
      // The row keeps the capture until an admin decides; the decision folds back.
      expect(await order('o1')).toMatchObject({ status: 'shipped', amount: 80 });
      await bed.commerce.conflicts!.unscopedResolver.resolveManually(conflict!.conflictId, {
        values: { totalAmount: 100 },
        adminId: 'admin-1',
        note: 'TikTok total confirmed; the rest charged separately',
      });
      await bed.commerce.conflicts!.whenCaughtUp();
      await bed.commerce.whenIdle();
      expect(await order('o1')).toMatchObject({ status: 'shipped', amount: 100 });
    });

    it('TikTok over $1000 against a capture within 10 %: escalated as a TikTok mismatch over the order value limit', async () => {
      // A refund of 990 stays under this host's payment limit: the window holds the capture and TikTok's total only.
      await open({ thresholds: { paymentAmount: 2_000 } });
      await charge('o2', 1_050, 990, false);
      expect(
        (await reports('o2')).map((e) => [
          (e.data as OrderReported).source,
          (e.data as OrderReported).totalAmount,
        ]),
      ).toEqual([
        ['payment_processor', 990],
        ['tiktok_webhook', 1_050],
      ]);
      expect(await settle()).toMatchObject({ escalated: 1 });
      const [conflict] = await pending();
      expect(conflict!.resolution.kind).toBe('cross_platform_inconsistency');
      expect(conflict!.resolution.escalation!.reasons.map((r) => [r.code, r.value])).toEqual([
        ['order_value', 1_050],
        ['cross_platform_mismatch', undefined],
      ]);
      expect(conflict!.resolution.impact).toMatchObject({ revenue: 1_050 });
    });

    it('a capture within every limit settles to the capture: no TikTok report, audited with both figures', async () => {
      await open();
      await charge('o3', 100, 95, false);
      expect((await reports('o3')).map((e) => (e.data as OrderReported).source)).toEqual([
        'payment_processor',
      ]);
      expect(await settle()).toMatchObject({ escalated: 0 });
      expect(await pending()).toEqual([]);
      expect(await order('o3')).toMatchObject({ amount: 95 });
    });

    it('agreeing figures add nothing of TikTok: an equal capture reports nothing, over $1000 only the capture', async () => {
      await open();
      await charge('o4', 40, 40);
      await charge('o5', 1_200, 1_200);
      expect(await reports('o4')).toEqual([]);
      expect((await reports('o5')).map((e) => (e.data as OrderReported).source)).toEqual([
        'payment_processor',
      ]);
    });
  });
});
