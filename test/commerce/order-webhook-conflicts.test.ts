/**
 * Order state from the real webhooks in resolve-sync-conflicts: with
 * `reportOrderState`, a signed TikTok order-status webhook and a signed
 * carrier tracking update also report the order's status (`order.state_reported`)
 * in the append of their lifecycle events. TikTok against the carrier in one
 * window goes to the manual queue; agreeing sources settle; a redelivery
 * reports nothing twice; without the option nothing is reported. Memory,
 * PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  commerceReceivers,
  orderStream,
  mapTikTokWebhook,
  TIKTOK_ORDER_STATUSES,
  tiktokEnvelopeSchema,
  type CommerceOrderRow,
  type OrderReported,
} from '../../src/commerce/index.js';
import type { SyncConflictProcessor } from '../../src/commerce/conflicts/index.js';
import type { HttpHandler, HttpRequest } from '../../src/http/types.js';
import { unlimitedRateLimiter } from '../../src/ingest/rate-limiter.js';
import { createIngestHandler } from '../../src/ingest/webhook-receiver.js';
import type { StoredEvent } from '../../src/store/types.js';
import {
  APP_KEY,
  APP_SECRET,
  CREATOR,
  NOW_MS,
  NOW_S,
  SHIPPO_API_KEY,
  SHIPPO_SECRET,
  SHOP_ID,
  json,
  shippingRequest,
  tiktokEnvelope,
  tiktokRequest,
  trackingBody,
} from '../ingest/support.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const ORDER = 'o-576461413038785752';
const LATER = NOW_MS + 3_600_000;

/** The receivers as a host mounts them, on the testbed's store. */
function ingestOn(bed: CommerceTestbed, reportOrderState?: boolean): HttpHandler {
  return createIngestHandler(
    commerceReceivers({
      ...(reportOrderState === undefined ? {} : { reportOrderState }),
      tiktok: { appKey: APP_KEY, appSecret: APP_SECRET, resolveCreatorId: () => CREATOR, now: () => NOW_MS },
      shipping: {
        providers: { shippo: { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: [CREATOR] } },
        now: () => NOW_MS,
      },
    }),
    { store: bed.store, rateLimiter: unlimitedRateLimiter },
  );
}

/** A TikTok order status change, TikTok's time `secondsAgo` before now. */
function tiktokStatus(status: string, secondsAgo: number, id?: string): HttpRequest {
  return tiktokRequest(
    tiktokEnvelope({
      ...(id === undefined ? {} : { tts_notification_id: id }),
      data: { order_id: ORDER, order_status: status, update_time: NOW_S - secondsAgo },
    }),
  );
}

/** A carrier's tracking update, the carrier's time `msAgo` before now. */
function tracking(status: string, msAgo: number, id?: string): HttpRequest {
  const body = trackingBody(status, { order_id: ORDER, occurred_at: new Date(NOW_MS - msAgo).toISOString() });
  return shippingRequest(body, id === undefined ? {} : { id });
}

async function send(ingest: HttpHandler, req: HttpRequest): Promise<Record<string, unknown>> {
  const res = await ingest(req);
  expect(res.status, res.body).toBe(200);
  return json(res);
}

describe.each(commerceEngines)(
  'order state from the webhooks in resolve-sync-conflicts ($name)',
  (engine) => {
    let bed: CommerceTestbed;
    let conflicts: SyncConflictProcessor;
    let ingest: HttpHandler;

    beforeEach(async () => {
      // No sagas: the order's state is what the webhooks say. The timer never fires: settleDue is called.
      bed = await engine.open({ ports: null, conflicts: { tickMs: 3_600_000 } });
      conflicts = bed.commerce.conflicts!;
      ingest = ingestOn(bed, true);
    });
    afterEach(async () => {
      await bed.close();
    });

    async function settle() {
      await conflicts.whenCaughtUp();
      const result = await conflicts.settleDue(LATER);
      await bed.commerce.whenIdle();
      return result;
    }
    const order = () =>
      bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: CREATOR,
        order_id: ORDER,
      });
    const reports = async (): Promise<StoredEvent[]> =>
      (await bed.store.readAll({ limit: 10_000 })).events.filter((e) => e.type === 'order.state_reported');

    it('TikTok CANCELLED vs the carrier delivered in one window: escalated, audited with both, the decision folds back', async () => {
      await send(ingest, tiktokStatus('AWAITING_SHIPMENT', 120));
      expect(await settle()).toEqual({ applied: 1, resolved: 0, escalated: 0 });
      await send(ingest, tiktokStatus('CANCELLED', 3));
      await send(ingest, tracking('delivered', 1_000));

      // Each report is in the append of its lifecycle event: same stream, the next version.
      const { events } = await bed.store.readAll({ limit: 10_000 });
      for (const lifecycle of ['order.cancelled', 'order.delivered']) {
        const at = events.findIndex((e) => e.type === lifecycle);
        expect(events[at + 1]).toMatchObject({
          type: 'order.state_reported',
          aggregateId: events[at]!.aggregateId,
          version: events[at]!.version + 1,
        });
      }
      expect((await reports()).map((e) => e.data as OrderReported)).toEqual([
        expect.objectContaining({ status: 'received', source: 'tiktok_webhook', sourceId: SHOP_ID }),
        {
          creatorId: CREATOR,
          orderId: ORDER,
          status: 'cancelled',
          source: 'tiktok_webhook',
          sourceId: SHOP_ID,
          reportedAt: new Date((NOW_S - 3) * 1000).toISOString(),
        },
        {
          creatorId: CREATOR,
          orderId: ORDER,
          status: 'delivered',
          source: 'shipping_provider',
          sourceId: 'shippo',
          reportedAt: new Date(NOW_MS - 1_000).toISOString(),
        },
      ]);

      expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 1 });
      const [pending, ...others] = await conflicts.unscopedResolver.listPending({ entityType: 'order' });
      expect(others).toEqual([]);
      expect(pending!.resolution.entityId).toBe(ORDER);
      expect(pending!.resolution.escalation!.reasons.map((r) => r.code)).toEqual(['cross_platform_mismatch']);
      expect(
        pending!.resolution.contenders.map((c) => [c.source, c.sourceId, c.changes.status]).sort(),
      ).toEqual([
        ['shipping_provider', 'shippo', 'delivered'],
        ['tiktok_webhook', SHOP_ID, 'cancelled'],
      ]);
      // While the admin has not decided, the row shows what the lifecycle events said.
      expect((await order())!.status).toBe('cancelled');

      await conflicts.unscopedResolver.resolveManually(pending!.conflictId, {
        values: { status: 'delivered' },
        adminId: 'admin-1',
        note: 'the carrier has a signature',
      });
      await conflicts.whenCaughtUp();
      await bed.commerce.whenIdle();
      // The decision sets the status, though `delivered` comes before `cancelled` in the lifecycle.
      expect(await order()).toMatchObject({ status: 'delivered', completed: true });
      const [decided] = await conflicts.unscopedResolver.list({ status: 'manually_resolved' });
      expect(decided!.manualOverride).toMatchObject({
        adminId: 'admin-1',
        note: 'the carrier has a signature',
      });
    });

    it('TikTok AWAITING_SHIPMENT and the carrier shipped: settled automatically, no escalation', async () => {
      await send(ingest, tiktokStatus('AWAITING_SHIPMENT', 3));
      await send(ingest, tracking('picked_up', 1_000));
      expect((await reports()).map((e) => (e.data as OrderReported).status)).toEqual(['received', 'shipped']);
      expect(await settle()).toEqual({ applied: 0, resolved: 1, escalated: 0 });
      expect(await conflicts.unscopedResolver.listPending()).toEqual([]);
      const [record] = await conflicts.unscopedResolver.list({ entityType: 'order' });
      expect(record).toMatchObject({ status: 'resolved' });
      // The carrier's order.shipped made the state before the window terminal: TikTok's lag is absorbed.
      expect(record!.resolution.rule).toBe('terminal_state_absorbs');
      expect(record!.resolution.contenders).toHaveLength(2);
      // The settlement (older than the shipment in the lifecycle) moves nothing back.
      expect((await order())!.status).toBe('shipped');
    });

    it('a settlement never undoes a refund folded since: only an admin decision moves the status back', async () => {
      await send(ingest, tiktokStatus('AWAITING_SHIPMENT', 120));
      await send(ingest, tiktokStatus('CANCELLED', 3));
      // The cancellation saga's refund, folded before the lone report's window settles.
      await bed.store.append(
        orderStream(CREATOR, ORDER),
        [
          commerceEvent('order.refunded', {
            creatorId: CREATOR,
            orderId: ORDER,
            amount: 25,
            currency: 'USD',
          }),
        ],
        { metadata: { source: 'order_cancellation_saga' } },
      );
      expect(await settle()).toEqual({ applied: 2, resolved: 0, escalated: 0 });
      const { events } = await bed.store.readAll({ limit: 10_000 });
      expect(
        events
          .filter((e) => e.type === 'order.reconciled')
          .map((e) => (e.data as { status?: string }).status),
      ).toEqual(['received', 'cancelled']);
      expect(await order()).toMatchObject({ status: 'refunded', refunded_amount: 25 });
    });

    it('a redelivered webhook (same notification id, same webhook-id) reports nothing twice', async () => {
      const cancelled = tiktokStatus('CANCELLED', 3, 'n-redelivered');
      const delivered = tracking('delivered', 1_000, 'msg_redelivered');
      expect(await send(ingest, cancelled)).toMatchObject({ duplicate: false, events: 4 });
      expect(await send(ingest, delivered)).toMatchObject({ duplicate: false, events: 2 });
      expect(await send(ingest, tiktokStatus('CANCELLED', 3, 'n-redelivered'))).toMatchObject({
        duplicate: true,
        events: 0,
      });
      expect(await send(ingest, tracking('delivered', 1_000, 'msg_redelivered'))).toMatchObject({
        duplicate: true,
        events: 0,
      });
      expect(await reports()).toHaveLength(2);
      expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 1 });
      const [pending] = await conflicts.unscopedResolver.listPending();
      expect(pending!.resolution.contenders).toHaveLength(2);
    });
  },
);

describe.each(commerceEngines)('webhooks without reportOrderState ($name)', (engine) => {
  it('report no order state; their lifecycle events are unchanged', async () => {
    const bed = await engine.open({ ports: null });
    try {
      expect(bed.commerce.conflicts).toBeUndefined();
      const ingest = ingestOn(bed);
      expect(await send(ingest, tiktokStatus('CANCELLED', 3))).toMatchObject({ events: 3 });
      expect(await send(ingest, tracking('delivered', 1_000))).toMatchObject({ events: 1 });
      const types = (await bed.store.readAll({ limit: 10_000 })).events.map((e) => e.type);
      expect(types).toEqual([
        'tiktok.webhook_received',
        'tiktok.order_status_changed',
        'order.cancelled',
        'order.delivered',
      ]);
      // Explicitly off, with conflicts on: the same.
      const withConflicts = await engine.open({ ports: null, conflicts: { tickMs: 3_600_000 } });
      try {
        const off = ingestOn(withConflicts, false);
        await send(off, tiktokStatus('DELIVERED', 3));
        const events = (await withConflicts.store.readAll({ limit: 10_000 })).events;
        expect(events.some((e) => e.type === 'order.state_reported')).toBe(false);
      } finally {
        await withConflicts.close();
      }
    } finally {
      await bed.close();
    }
  });
});

describe('TikTok statuses reported', () => {
  it('map to the order lifecycle; UNPAID and ON_HOLD report nothing', () => {
    const reported: Record<string, string | undefined> = {};
    for (const status of TIKTOK_ORDER_STATUSES) {
      const envelope = tiktokEnvelopeSchema.parse(
        tiktokEnvelope({ data: { order_id: ORDER, order_status: status, update_time: NOW_S } }),
      );
      const { events } = mapTikTokWebhook(envelope, {
        creatorId: CREATOR,
        body: '{}',
        nowMs: NOW_MS,
        reportOrderState: true,
      });
      const report = events.find((e) => e.type === 'order.state_reported');
      reported[status] = (report?.data as OrderReported | undefined)?.status;
    }
    expect(reported).toEqual({
      UNPAID: undefined,
      ON_HOLD: undefined,
      AWAITING_SHIPMENT: 'received',
      AWAITING_COLLECTION: 'shipped',
      PARTIALLY_SHIPPING: 'shipped',
      IN_TRANSIT: 'shipped',
      DELIVERED: 'delivered',
      COMPLETED: 'delivered',
      CANCELLED: 'cancelled',
    });
  });
});
