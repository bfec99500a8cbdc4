/**
 * Reading the shop's stock from the TikTok Shop Open API (Search Inventory,
 * 202309), validated at the boundary by the library's parser (the same one
 * the TikTok port's `getInventory` uses); the demo's poller reads through
 * its HTTP client directly, every second.
 */
import { parseTikTokInventory, type TikTokShopHttpClient } from '@creatorflow/sync/commerce';

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
  return parseTikTokInventory(
    // A search: safe to send again after a 5xx or a lost answer.
    await client.request({
      method: 'POST',
      path: '/product/202309/inventory/search',
      body: {},
      idempotent: true,
    }),
  );
}
