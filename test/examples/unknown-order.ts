/**
 * An order the fake shop does not know, for receiver-level tests (its
 * webhooks exercise intake without the fulfillment saga finding it).
 */
import type { SimOrder } from '../../examples/simulator/fake-shop.js';

/**
 * A one-unit order with the given TikTok order id.
 *
 * @example
 * ```ts
 * buildWebhook(target, { kind: 'order_status', order: unknownOrder('900000000000000001'), status: 'UNPAID' }, Date.now());
 * ```
 */
export function unknownOrder(id: string): SimOrder {
  return {
    id,
    status: 'UNPAID',
    product: {
      id: 'p-test',
      skuId: 's-test',
      sellerSku: 'TEST-SKU',
      name: 'Test',
      price: 1,
      initialStock: 1,
      threshold: 1,
      weight: 1,
    },
    quantity: 1,
    total: 1,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    trackingNumber: `1ZTEST${id.slice(-6)}`,
    nextAt: Infinity,
    willCancel: false,
  };
}
