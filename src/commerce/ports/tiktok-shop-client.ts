/**
 * The TikTok Shop port the fulfillment saga reads orders from and reports
 * shipping to, and its adapter over the real HTTP client.
 */
import { z } from 'zod';
import type { TikTokShopHttpClient } from '../ingest/tiktok/shop-client.js';
import type { TikTokOrderStatus } from '../events/common.js';
import { OrderInvalidError, ProviderRejectedError } from '../errors.js';

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
 * One SKU's stock on TikTok Shop. `quantity` is TikTok's
 * `total_available_quantity`: units not yet promised to paid, unshipped orders.
 */
export interface TikTokSkuStock {
  productId: string;
  /** The seller SKU (TikTok's SKU id when the seller set none). */
  sku: string;
  quantity: number;
  /** TikTok's `update_time` (seconds), 0 when absent. */
  updateTime: number;
  /** TikTok's own SKU id, which {@link TikTokShopClient.updateInventory} takes (absent when a port has none). */
  skuId?: string;
}

/**
 * A stock write: set one SKU's units available for sale on TikTok Shop
 * (Update Inventory, 202309). An absolute figure, not a delta.
 */
export interface TikTokInventoryUpdate {
  shopId: string;
  productId: string;
  /** TikTok's SKU id ({@link TikTokSkuStock.skuId}), not the seller SKU. */
  skuId: string;
  /** Units available to sell (TikTok's `quantity` of the warehouse). */
  quantity: number;
  /** The warehouse; absent: the shop's default warehouse. */
  warehouseId?: string;
  signal?: AbortSignal;
}

/**
 * The TikTok Shop calls of the fulfillment saga, the stock read of the
 * scheduled inventory sync (optional: a port without it is not read), and
 * the stock write (optional) a host uses to push a figure decided off TikTok
 * back to it.
 *
 * @example
 * ```ts
 * const order = await tiktok.getOrder({ shopId: 's1', orderId: '5764…' });
 * const stock = (await tiktok.getInventory?.({ shopId: 's1' })) ?? [];
 * const [sku] = stock;
 * if (sku?.skuId) await tiktok.updateInventory?.({ shopId: 's1', productId: sku.productId, skuId: sku.skuId, quantity: 12 });
 * ```
 */
export interface TikTokShopClient {
  getOrder(request: { shopId: string; orderId: string; signal?: AbortSignal }): Promise<TikTokOrderDetail>;
  updateShipping(update: TikTokShippingUpdate): Promise<void>;
  /**
   * The shop's stock per SKU (Search Inventory, 202309); with `productIds`,
   * of those products only (a port may answer more: callers filter).
   */
  getInventory?(request: {
    shopId: string;
    productIds?: readonly string[];
    signal?: AbortSignal;
  }): Promise<TikTokSkuStock[]>;
  /**
   * Set a SKU's available units (Update Inventory, 202309). Not sent again
   * after TikTok may have acted (a 5xx, a reply lost): an absolute figure
   * resent after a sale in between would undo the sale's deduction, so the
   * caller sees the failure (`outcomeUnknown`) and reads the stock again.
   * No library flow calls it: TikTok's figure is the highest-priority
   * source, so a settled stock figure never needs pushing back by default;
   * the host calls it when its own decision (an admin's count) must reach
   * TikTok.
   */
  updateInventory?(update: TikTokInventoryUpdate): Promise<void>;
}

/** Product ids per Search Inventory request (TikTok's limit). */
const INVENTORY_SEARCH_MAX_IDS = 100;

const inventorySchema = z.looseObject({
  inventory: z.array(
    z.looseObject({
      product_id: z.string(),
      skus: z.array(
        z.looseObject({
          id: z.string(),
          seller_sku: z.string().optional(),
          total_available_quantity: z.int().min(0),
          update_time: z.number().optional(),
        }),
      ),
    }),
  ),
});

/**
 * Parse TikTok's Search Inventory (202309) data into one {@link TikTokSkuStock} per SKU.
 *
 * @example
 * ```ts
 * const stock = parseTikTokInventory(await http.request({ method: 'POST', path: '/product/202309/inventory/search', body: {} }));
 * ```
 */
export function parseTikTokInventory(data: unknown): TikTokSkuStock[] {
  const parsed = inventorySchema.safeParse(data);
  if (!parsed.success) {
    throw new ProviderRejectedError(
      'tiktok',
      'getInventory',
      `unexpected inventory: ${parsed.error.message}`,
    );
  }
  return parsed.data.inventory.flatMap((p) =>
    p.skus.map((s) => ({
      productId: p.product_id,
      sku: s.seller_sku ?? s.id,
      quantity: s.total_available_quantity,
      updateTime: s.update_time ?? 0,
      skuId: s.id,
    })),
  );
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
    async getInventory({ shopId, productIds }) {
      const search = (body: Record<string, unknown>) =>
        options
          .clientFor(shopId)
          // A search: safe to send again after a 5xx or a lost answer.
          .request({ method: 'POST', path: '/product/202309/inventory/search', body, idempotent: true })
          .then(parseTikTokInventory);
      if (productIds === undefined) return search({});
      // TikTok takes at most 100 product ids per search.
      const stock: TikTokSkuStock[] = [];
      for (let i = 0; i < productIds.length; i += INVENTORY_SEARCH_MAX_IDS)
        stock.push(...(await search({ product_ids: productIds.slice(i, i + INVENTORY_SEARCH_MAX_IDS) })));
      return stock;
    },
    async updateInventory({ shopId, productId, skuId, quantity, warehouseId }) {
      await options.clientFor(shopId).request({
        method: 'POST',
        path: `/product/202309/products/${encodeURIComponent(productId)}/inventory/update`,
        body: {
          skus: [
            {
              id: skuId,
              inventory: [{ quantity, ...(warehouseId === undefined ? {} : { warehouse_id: warehouseId }) }],
            },
          ],
        },
        // An absolute figure: sent again after a sale TikTok counted in between, it would
        // undo that sale's deduction. A 5xx or a lost reply fails the call (outcome unknown).
        idempotent: false,
      });
    },
  };
}
