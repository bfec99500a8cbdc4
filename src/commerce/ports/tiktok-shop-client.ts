/**
 * The TikTok Shop port the fulfillment saga reads orders from and reports
 * shipping to, and its adapter over the real HTTP client.
 */
import { z } from 'zod';
import type { TikTokShopHttpClient } from '../ingest/tiktok/shop-client.js';
import type { TikTokOrderStatus } from '../events/common.js';
import { OrderInvalidError } from '../errors.js';

/** An order as the saga needs it. */
export interface TikTokOrderDetail {
  orderId: string;
  status: TikTokOrderStatus | string;
  lines: { productId: string; sku?: string; quantity: number; unitPrice?: number }[];
  totalAmount: number;
  currency: string;
}

/** A shipping update. */
export interface TikTokShippingUpdate {
  shopId: string;
  orderId: string;
  trackingNumber: string;
  carrier: string;
  /** Shipping provider name (the host maps it to TikTok's provider id). */
  provider: string;
  idempotencyKey: string;
  signal?: AbortSignal;
}

/**
 * The TikTok Shop calls of the fulfillment saga.
 *
 * @example
 * ```ts
 * const order = await tiktok.getOrder({ shopId: 's1', orderId: '5764…' });
 * ```
 */
export interface TikTokShopClient {
  getOrder(request: { shopId: string; orderId: string; signal?: AbortSignal }): Promise<TikTokOrderDetail>;
  updateShipping(update: TikTokShippingUpdate): Promise<void>;
}

/**
 * Options of {@link tikTokShopClientFromHttp}.
 *
 * @example
 * ```ts
 * const tiktok = tikTokShopClientFromHttp({
 *   clientFor: (shopId) => shopClients.get(shopId)!, // one createTikTokShopHttpClient per shop
 *   shippingProviderId: (carrier) => ({ ups: '6617675021119438849' })[carrier] ?? carrier,
 * });
 * ```
 */
export interface TikTokShopHttpAdapterOptions {
  /** The HTTP client of a shop (clients are per shop: token and cipher). */
  clientFor: (shopId: string) => TikTokShopHttpClient;
  /** TikTok's `shipping_provider_id` for a carrier. Default: the carrier name. */
  shippingProviderId?: (carrier: string, provider: string) => string;
}

const money = z.union([z.string(), z.number()]).transform((v) => Number(v));
const orderDetailSchema = z.object({
  orders: z
    .array(
      z.object({
        id: z.string(),
        status: z.string(),
        payment: z
          .object({ total_amount: money.optional(), currency: z.string().optional() })
          .loose()
          .optional(),
        line_items: z
          .array(
            z
              .object({
                product_id: z.string(),
                sku_id: z.string().optional(),
                sale_price: money.optional(),
                quantity: z.number().int().positive().optional(),
              })
              .loose(),
          )
          .default([]),
      }),
    )
    .min(1),
});

/**
 * Parse TikTok's Get Order Detail (202309) data into a {@link TikTokOrderDetail}.
 * TikTok lists one line item per unit; units of a product are summed.
 *
 * @example
 * ```ts
 * const detail = parseTikTokOrderDetail(await http.getOrderDetail(['5764…']), '5764…');
 * ```
 */
export function parseTikTokOrderDetail(data: unknown, orderId: string): TikTokOrderDetail {
  const parsed = orderDetailSchema.safeParse(data);
  if (!parsed.success)
    throw new OrderInvalidError(orderId, `unexpected order detail: ${parsed.error.message}`);
  const order = parsed.data.orders.find((o) => o.id === orderId) ?? parsed.data.orders[0]!;
  const lines = new Map<string, TikTokOrderDetail['lines'][number]>();
  for (const item of order.line_items) {
    const line = lines.get(item.product_id);
    const quantity = item.quantity ?? 1;
    if (line) line.quantity += quantity;
    else
      lines.set(item.product_id, {
        productId: item.product_id,
        quantity,
        ...(item.sku_id === undefined ? {} : { sku: item.sku_id }),
        ...(item.sale_price === undefined ? {} : { unitPrice: item.sale_price }),
      });
  }
  return {
    orderId: order.id,
    status: order.status,
    lines: [...lines.values()],
    totalAmount: order.payment?.total_amount ?? 0,
    currency: order.payment?.currency ?? 'USD',
  };
}

/**
 * Make the real TikTok Shop HTTP client (`createTikTokShopHttpClient`) satisfy
 * the {@link TikTokShopClient} port.
 *
 * @example
 * ```ts
 * const http = createTikTokShopHttpClient({ appKey, appSecret, accessToken, shopCipher, store });
 * const tiktok = tikTokShopClientFromHttp({ clientFor: () => http });
 * ```
 */
export function tikTokShopClientFromHttp(options: TikTokShopHttpAdapterOptions): TikTokShopClient {
  const providerId = options.shippingProviderId ?? ((carrier: string) => carrier);
  return {
    async getOrder({ shopId, orderId }) {
      const data = await options.clientFor(shopId).getOrderDetail([orderId]);
      return parseTikTokOrderDetail(data, orderId);
    },
    async updateShipping(update) {
      await options.clientFor(update.shopId).updateShippingInfo(update.orderId, {
        trackingNumber: update.trackingNumber,
        shippingProviderId: providerId(update.carrier, update.provider),
      });
    },
  };
}
