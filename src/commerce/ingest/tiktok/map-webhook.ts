/**
 * Turn a verified TikTok Shop webhook into the events to append: one stream,
 * one atomic append, keyed by `tts_notification_id`.
 */
import { randomUUID } from 'node:crypto';
import type { CommerceEventType, EventPayload } from '../../events/catalog.js';
import { TIKTOK_WEBHOOK_TYPES } from '../../events/tiktok-events.js';
import { orderStream } from '../../inventory/streams.js';
import type { EventMetadata, NewEvent } from '../../../store/types.js';
import { parseWith } from '../../../ingest/parse-json.js';
import { orderStateReport, TIKTOK_REPORTED_STATUS } from '../order-state-report.js';
import {
  DEFAULT_SOURCE_TIME_BOUNDS,
  assertSourceTime,
  type SourceTimeBounds,
} from '../../../ingest/source-time.js';
import {
  normalizeOrderStatus,
  orderStatusChangeDataSchema,
  packageUpdateDataSchema,
  productStatusDataSchema,
  reverseOrderDataSchema,
  sellerDeauthorizationDataSchema,
  type TikTokEnvelope,
} from './webhook-schemas.js';

/** What one webhook appends. */
export interface TikTokWebhookAppend {
  streamId: string;
  aggregateType: string;
  events: NewEvent[];
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

/**
 * A typed catalog event, built as one object literal: `commerceEvent` spreads
 * its options and then adds keys, which V8 (Node 20) runs on a slow path,
 * 1–3 µs for every event of every webhook. No `occurredAt`: the store stamps
 * the receive time; TikTok's times are in the payload.
 */
function catalogEvent<T extends CommerceEventType>(
  type: T,
  data: EventPayload<T>,
  metadata: EventMetadata,
): NewEvent<T, EventPayload<T>> {
  return { type, data, metadata };
}

/**
 * Map an envelope to its events. The first event is always
 * `tiktok.webhook_received` (the audit record); domain events follow with
 * `causationId` pointing at it. Throws `SCHEMA_VIOLATION` when `data` does not
 * fit the envelope's type. Types the receiver does not know are recorded
 * (webhook_received only) and acknowledged, so TikTok does not retry them.
 *
 * @example
 * ```ts
 * const { streamId, events } = mapTikTokWebhook(envelope, { creatorId: 'c1', body: text });
 * ```
 */
export function mapTikTokWebhook(
  envelope: TikTokEnvelope,
  context: {
    creatorId: string;
    /** The signed body text, kept in `tiktok.webhook_received` exactly as received. */
    body: string;
    newId?: () => string;
    /** The receive time in ms, for checking `update_time`. Default `Date.now()`. */
    nowMs?: number;
    sourceTimeBounds?: SourceTimeBounds;
    /**
     * Also append an order status change as `order.state_reported` (source
     * `tiktok_webhook`, `sourceId` the shop, `reportedAt` the `update_time`),
     * a contender of `resolve-sync-conflicts`. Default false.
     */
    reportOrderState?: boolean;
  },
): TikTokWebhookAppend {
  const newId = context.newId ?? randomUUID;
  const { creatorId } = context;
  const nowMs = context.nowMs ?? Date.now();
  const bounds = context.sourceTimeBounds ?? DEFAULT_SOURCE_TIME_BOUNDS;
  const checked = <D extends { update_time?: number | undefined }>(data: D): D => {
    if (data.update_time !== undefined)
      assertSourceTime(data.update_time * 1000, nowMs, bounds, 'data.update_time');
    return data;
  };
  const shopId = envelope.shop_id;
  const receivedId = newId();
  const typeName =
    (TIKTOK_WEBHOOK_TYPES as Record<number, string>)[envelope.type] ?? `UNKNOWN_${envelope.type}`;
  const received = catalogEvent(
    'tiktok.webhook_received',
    {
      notificationId: envelope.tts_notification_id,
      shopId,
      creatorId,
      type: envelope.type,
      typeName,
      sentAt: iso(envelope.timestamp),
      // The text, not the parse: JSON.parse rounds big integers and turns 1e400 into null.
      body: context.body,
    },
    { causationId: envelope.tts_notification_id },
  );
  received.id = receivedId;
  const caused = { causationId: receivedId };
  const shopStream = { streamId: `tiktok-shop-${shopId}`, aggregateType: 'tiktok_shop' };

  switch (envelope.type) {
    case 1: {
      const data = checked(parseWith(orderStatusChangeDataSchema, envelope.data, 'Order status change data'));
      const status = normalizeOrderStatus(data.order_status);
      const updateTime = iso(data.update_time);
      const events: NewEvent[] = [
        received,
        catalogEvent(
          'tiktok.order_status_changed',
          {
            creatorId,
            shopId,
            orderId: data.order_id,
            status,
            rawStatus: data.order_status,
            isOnHold: data.is_on_hold_order ?? false,
            updateTime,
          },
          caused,
        ),
      ];
      // AWAITING_SHIPMENT is the status at which an order is paid and ready to fulfil.
      if (status === 'AWAITING_SHIPMENT') {
        events.push(
          catalogEvent(
            'order.received_from_tiktok',
            { creatorId, shopId, orderId: data.order_id, status, updateTime },
            caused,
          ),
        );
      }
      if (status === 'CANCELLED') {
        events.push(
          catalogEvent(
            'order.cancelled',
            { creatorId, orderId: data.order_id, cancelledBy: 'tiktok', cancelledAt: updateTime },
            caused,
          ),
        );
      }
      // Conflicts on: what TikTok says competes with the other sources (lifecycle events stay, sagas need them).
      const reported = context.reportOrderState === true ? TIKTOK_REPORTED_STATUS[status] : undefined;
      if (reported !== undefined) {
        events.push(
          orderStateReport(
            {
              creatorId,
              orderId: data.order_id,
              status: reported,
              source: 'tiktok_webhook',
              sourceId: shopId,
              reportedAt: updateTime,
            },
            caused,
          ),
        );
      }
      return { streamId: orderStream(creatorId, data.order_id), aggregateType: 'order', events };
    }
    case 2: {
      // Returns carry no amounts; the refund event comes from the saga once the Returns API is read.
      const data = checked(parseWith(reverseOrderDataSchema, envelope.data, 'Reverse order data'));
      return { streamId: orderStream(creatorId, data.order_id), aggregateType: 'order', events: [received] };
    }
    case 4: {
      const data = checked(parseWith(packageUpdateDataSchema, envelope.data, 'Package update data'));
      return { streamId: orderStream(creatorId, data.order_id), aggregateType: 'order', events: [received] };
    }
    case 5: {
      const data = checked(parseWith(productStatusDataSchema, envelope.data, 'Product status data'));
      const payload = {
        creatorId,
        shopId,
        productId: data.product_id,
        status: data.status,
        updateTime: iso(data.update_time),
        ...(data.suspended_reason === undefined ? {} : { suspendedReason: data.suspended_reason }),
      };
      return {
        streamId: `product-${data.product_id}`,
        aggregateType: 'product',
        events: [received, catalogEvent('tiktok.product_updated', payload, caused)],
      };
    }
    case 6: {
      const data = checked(
        parseWith(sellerDeauthorizationDataSchema, envelope.data, 'Seller deauthorisation data'),
      );
      return {
        ...shopStream,
        events: [
          received,
          catalogEvent(
            'system.sync_failure_detected',
            {
              component: 'tiktok_api',
              operation: 'seller_authorization',
              errorCode: 'SELLER_DEAUTHORIZED',
              message: data.message ?? 'The seller revoked the app authorisation',
              creatorId,
              shopId,
            },
            caused,
          ),
        ],
      };
    }
    default:
      return { ...shopStream, events: [received] };
  }
}
