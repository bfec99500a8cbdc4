/**
 * Reading order details and inventory from the TikTok Shop Open API
 * (202309 shapes), validated at the boundary.
 */
import { z } from 'zod';
import type { TikTokShopHttpClient } from '../../../src/ingest/index.js';

const lineItem = z.looseObject({
  product_id: z.string(),
  product_name: z.string().optional(),
  sku_id: z.string(),
  seller_sku: z.string().optional(),
  sale_price: z.string(),
});
const orderDetail = z.looseObject({
  id: z.string(),
  status: z.string(),
  create_time: z.number().optional(),
  payment: z.looseObject({ currency: z.string(), total_amount: z.string() }),
  line_items: z.array(lineItem),
});
const orderDetailResponse = z.looseObject({ orders: z.array(orderDetail) });

/** An order line, one per product. */
export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

/** What the fulfillment saga needs of an order. */
export interface OrderDetail {
  orderId: string;
  status: string;
  createdAtMs: number | null;
  total: number;
  currency: string;
  lines: OrderLine[];
}

/**
 * Fetch one order; null when TikTok does not know it.
 *
 * @example
 * ```ts
 * const detail = await fetchOrderDetail(client, '576461413038785752');
 * ```
 */
export async function fetchOrderDetail(
  client: TikTokShopHttpClient,
  orderId: string,
): Promise<OrderDetail | null> {
  const { orders } = orderDetailResponse.parse(await client.getOrderDetail([orderId]));
  const order = orders.find((o) => o.id === orderId);
  if (!order) return null;
  // The 202309 API lists one line item per unit: group them per product.
  const lines = new Map<string, OrderLine>();
  for (const item of order.line_items) {
    const line = lines.get(item.product_id);
    if (line) line.quantity++;
    else {
      lines.set(item.product_id, {
        productId: item.product_id,
        sku: item.seller_sku ?? item.sku_id,
        name: item.product_name ?? item.product_id,
        quantity: 1,
        unitPrice: Number(item.sale_price),
      });
    }
  }
  return {
    orderId,
    status: order.status,
    createdAtMs: order.create_time === undefined ? null : order.create_time * 1000,
    total: Number(order.payment.total_amount),
    currency: order.payment.currency,
    lines: [...lines.values()],
  };
}

const inventoryResponse = z.looseObject({
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

/** One SKU's stock on TikTok Shop. */
export interface SkuStock {
  productId: string;
  sku: string;
  quantity: number;
  updateTime: number;
}

/**
 * Search the shop's inventory.
 *
 * @example
 * ```ts
 * for (const s of await fetchInventory(client)) console.log(s.sku, s.quantity);
 * ```
 */
export async function fetchInventory(client: TikTokShopHttpClient): Promise<SkuStock[]> {
  const data = inventoryResponse.parse(
    await client.request({ method: 'POST', path: '/product/202309/inventory/search', body: {} }),
  );
  return data.inventory.flatMap((p) =>
    p.skus.map((s) => ({
      productId: p.product_id,
      sku: s.seller_sku ?? s.id,
      quantity: s.total_available_quantity,
      updateTime: s.update_time ?? 0,
    })),
  );
}
