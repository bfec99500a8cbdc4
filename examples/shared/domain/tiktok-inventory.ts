/**
 * Reading the shop's stock from the TikTok Shop Open API (Search Inventory,
 * 202309), validated at the boundary. The library's TikTok port covers orders
 * and shipping only, so the demo's poller reads inventory itself.
 */
import { z } from 'zod';
import type { TikTokShopHttpClient } from '@creatorflow/sync/commerce';

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
    // A search: safe to send again after a 5xx or a lost answer.
    await client.request({
      method: 'POST',
      path: '/product/202309/inventory/search',
      body: {},
      idempotent: true,
    }),
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
