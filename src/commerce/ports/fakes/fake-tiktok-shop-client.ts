/**
 * An in-process TikTok Shop for examples and tests.
 */
import { OrderInvalidError, ProviderRejectedError } from '../../errors.js';
import type {
  TikTokInventoryUpdate,
  TikTokOrderDetail,
  TikTokShippingUpdate,
  TikTokShopClient,
  TikTokSkuStock,
} from '../tiktok-shop-client.js';
import { FakeBehaviour, type FakeBehaviourOptions } from './fake-behaviour.js';

/**
 * Orders and stock seeded by the test or example; shipping updates recorded.
 *
 * @example
 * ```ts
 * const tiktok = new FakeTikTokShopClient();
 * tiktok.addOrder({ orderId: 'o1', status: 'AWAITING_SHIPMENT', lines: [{ productId: 'p1', quantity: 2 }],
 *   totalAmount: 40, currency: 'USD' });
 * ```
 */
export class FakeTikTokShopClient implements TikTokShopClient {
  readonly behaviour: FakeBehaviour;
  readonly orders = new Map<string, TikTokOrderDetail>();
  /** Shipping updates by order id (the last one wins, as on TikTok). */
  readonly shipping = new Map<string, TikTokShippingUpdate>();
  /** Stock per seller SKU, as `getInventory` answers it. */
  readonly stock = new Map<string, TikTokSkuStock>();

  constructor(options: FakeBehaviourOptions = {}) {
    this.behaviour = new FakeBehaviour('tiktok', options);
  }

  /** Seed an order. */
  addOrder(order: TikTokOrderDetail): this {
    this.orders.set(order.orderId, structuredClone(order));
    return this;
  }

  /** Set a SKU's available units (TikTok's `total_available_quantity`). */
  setStock(productId: string, sku: string, quantity: number): this {
    this.stock.set(sku, { productId, sku, quantity, updateTime: Math.floor(Date.now() / 1000), skuId: sku });
    return this;
  }

  /** Calls of `updateInventory` that TikTok acted on, in order (a lost reply included). */
  readonly inventoryWrites: Omit<TikTokInventoryUpdate, 'signal'>[] = [];

  /**
   * Set a SKU's available units, as TikTok's Update Inventory does: the SKU
   * (by its id, which is the seller SKU here) must exist on the product; a
   * negative or fractional figure is refused.
   */
  async updateInventory(update: TikTokInventoryUpdate): Promise<void> {
    await this.behaviour.call('updateInventory', update.signal);
    if (!Number.isInteger(update.quantity) || update.quantity < 0)
      throw new ProviderRejectedError('tiktok', 'updateInventory', `invalid quantity ${update.quantity}`);
    const sku = [...this.stock.values()].find(
      (s) => (s.skuId ?? s.sku) === update.skuId && s.productId === update.productId,
    );
    if (!sku)
      throw new ProviderRejectedError(
        'tiktok',
        'updateInventory',
        `unknown SKU ${update.skuId} of ${update.productId}`,
      );
    const { signal: _signal, ...recorded } = update;
    this.inventoryWrites.push(recorded);
    this.stock.set(sku.sku, { ...sku, quantity: update.quantity, updateTime: Math.floor(Date.now() / 1000) });
    this.behaviour.reply('updateInventory');
  }

  /** Calls of `getInventory`, in order (the products asked for, or null for the whole shop). */
  readonly inventoryReads: (readonly string[] | null)[] = [];

  async getInventory(request: {
    shopId: string;
    productIds?: readonly string[];
    signal?: AbortSignal;
  }): Promise<TikTokSkuStock[]> {
    this.inventoryReads.push(request.productIds ? [...request.productIds] : null);
    await this.behaviour.call('getInventory', request.signal);
    const wanted = request.productIds && new Set(request.productIds);
    return [...this.stock.values()].filter((s) => !wanted || wanted.has(s.productId)).map((s) => ({ ...s }));
  }

  async getOrder(request: {
    shopId: string;
    orderId: string;
    signal?: AbortSignal;
  }): Promise<TikTokOrderDetail> {
    await this.behaviour.call('getOrder', request.signal);
    const order = this.orders.get(request.orderId);
    if (!order) throw new OrderInvalidError(request.orderId, 'unknown to TikTok Shop');
    return structuredClone(order);
  }

  async updateShipping(update: TikTokShippingUpdate): Promise<void> {
    await this.behaviour.call('updateShipping', update.signal);
    const { signal: _signal, ...recorded } = update;
    this.shipping.set(update.orderId, recorded);
    const order = this.orders.get(update.orderId);
    if (order) order.status = 'AWAITING_COLLECTION';
  }
}
