/**
 * The fake TikTok Shop: orders, their statuses and stock levels. `tick(now)`
 * advances time and returns the notifications the shop (and its carrier)
 * would send; the simulator posts them as signed webhooks.
 */
import { CATALOG, VIRAL_PRODUCT_ID, type Product } from './catalog.js';
import { between, pickWeighted, type Random } from './random.js';

/** Statuses an order goes through in the simulator. */
export const SIM_ORDER_STATUSES = [
  'UNPAID',
  'AWAITING_SHIPMENT',
  'AWAITING_COLLECTION',
  'IN_TRANSIT',
  'DELIVERED',
  'COMPLETED',
  'CANCELLED',
] as const;
/** One of {@link SIM_ORDER_STATUSES}. */
export type SimOrderStatus = (typeof SIM_ORDER_STATUSES)[number];

/** One order of the fake shop. */
export interface SimOrder {
  id: string;
  status: SimOrderStatus;
  product: Product;
  quantity: number;
  total: number;
  createdAt: number;
  updatedAt: number;
  trackingNumber: string;
  /** When the next transition happens (ms). */
  nextAt: number;
  /** Cancelled by the buyer after payment instead of being delivered. */
  willCancel: boolean;
}

/** A notification to post. */
export type Notification =
  | { kind: 'order_status'; order: SimOrder; status: SimOrderStatus }
  | { kind: 'tracking'; order: SimOrder; status: 'label_created' | 'picked_up' | 'in_transit' | 'delivered' }
  | { kind: 'product_status'; product: Product; status: string };

/** Knobs of the traffic. */
export interface TrafficOptions {
  /** New orders per second in normal traffic. Default 2. */
  rate?: number;
  /** The viral spike starts this long after the first tick (ms). Default 15,000. */
  viralAfterMs?: number;
  /** How long the spike lasts (ms). Default 30,000. */
  viralDurationMs?: number;
  /** Order-rate multiplier during the spike. Default 4. */
  viralMultiplier?: number;
  /** Share of paid orders the buyer cancels. Default 0.1. */
  cancelRate?: number;
  /** Multiplies every status delay (0.5 = twice as fast). Default 1. */
  pace?: number;
  /** Multiplies the catalogue's starting stock (and restocks). Default 1. */
  stockScale?: number;
}

const MAX_ORDERS_KEPT = 5_000;

/**
 * The fake shop.
 *
 * @example
 * ```ts
 * const shop = new FakeShop(seededRandom(1), { rate: 5 });
 * const notifications = shop.tick(Date.now());
 * ```
 */
export class FakeShop {
  readonly orders = new Map<string, SimOrder>();
  readonly #stock = new Map<string, { quantity: number; updatedAt: number; restockAt: number | null }>();
  readonly #random: Random;
  readonly #o: Required<TrafficOptions>;
  #startedAt: number | null = null;
  #lastTick: number | null = null;
  #orderDebt = 0;
  #nextOrder = 0;

  constructor(random: Random, options: TrafficOptions = {}) {
    this.#random = random;
    this.#o = {
      rate: options.rate ?? 2,
      viralAfterMs: options.viralAfterMs ?? 15_000,
      viralDurationMs: options.viralDurationMs ?? 30_000,
      viralMultiplier: options.viralMultiplier ?? 4,
      cancelRate: options.cancelRate ?? 0.1,
      pace: options.pace ?? 1,
      stockScale: options.stockScale ?? 1,
    };
    for (const p of CATALOG) {
      this.#stock.set(p.id, { quantity: this.#restockSize(p), updatedAt: 0, restockAt: null });
    }
  }

  /** Let time pass without new orders (the sender is backed up): no burst afterwards. */
  skipTo(now: number): void {
    this.#lastTick = now;
  }

  /** Change the order rate (0 stops new orders; existing ones go on). */
  setRate(rate: number): void {
    this.#o.rate = rate;
  }

  /** Units on hand of a product and when they last changed (ms). */
  stock(productId: string): { quantity: number; updatedAt: number } | undefined {
    const s = this.#stock.get(productId);
    return s && { quantity: s.quantity, updatedAt: s.updatedAt };
  }

  /** True while the viral spike runs. */
  isViral(now: number): boolean {
    if (this.#startedAt === null) return false;
    const t = now - this.#startedAt - this.#o.viralAfterMs;
    return t >= 0 && t < this.#o.viralDurationMs;
  }

  /** Advance to `now`: new orders, status transitions, restocks. */
  tick(now: number): Notification[] {
    this.#startedAt ??= now;
    const elapsed = this.#lastTick === null ? 0 : Math.max(0, now - this.#lastTick);
    this.#lastTick = now;
    const out: Notification[] = [];
    const viral = this.isViral(now);
    this.#orderDebt += (elapsed / 1000) * this.#o.rate * (viral ? this.#o.viralMultiplier : 1);
    while (this.#orderDebt >= 1) {
      this.#orderDebt -= 1;
      const order = this.#place(now, viral);
      if (order) out.push({ kind: 'order_status', order, status: 'UNPAID' });
    }
    for (const order of this.orders.values()) {
      if (order.nextAt <= now) out.push(...this.#advance(order, now));
    }
    out.push(...this.#restock(now));
    this.#forgetOld();
    return out;
  }

  #delay(min: number, max: number): number {
    return between(this.#random, min, max) * this.#o.pace;
  }

  #place(now: number, viral: boolean): SimOrder | undefined {
    const inStock = CATALOG.filter((p) => (this.#stock.get(p.id)?.quantity ?? 0) > 0);
    const product =
      viral && this.#random() < 0.8 && inStock.some((p) => p.id === VIRAL_PRODUCT_ID)
        ? CATALOG.find((p) => p.id === VIRAL_PRODUCT_ID)
        : pickWeighted(this.#random, inStock, (p) => p.weight);
    if (!product) return undefined;
    const quantity = 1 + Math.floor(this.#random() * (viral && product.id === VIRAL_PRODUCT_ID ? 3 : 2));
    this.#nextOrder++;
    const id = `57${String(now).slice(-9)}${String(this.#nextOrder).padStart(6, '0')}`;
    const order: SimOrder = {
      id,
      status: 'UNPAID',
      product,
      quantity,
      total: Math.round(product.price * quantity * 100) / 100,
      createdAt: now,
      updatedAt: now,
      trackingNumber: `1ZSIM${id.slice(-10)}`,
      nextAt: now + this.#delay(300, 1000),
      willCancel: this.#random() < this.#o.cancelRate,
    };
    this.orders.set(id, order);
    return order;
  }

  #advance(order: SimOrder, now: number): Notification[] {
    const set = (status: SimOrderStatus, next: number): Notification => {
      order.status = status;
      order.updatedAt = now;
      order.nextAt = next;
      return { kind: 'order_status', order, status };
    };
    switch (order.status) {
      case 'UNPAID': {
        const stock = this.#stock.get(order.product.id)!;
        if (stock.quantity < order.quantity) return [set('CANCELLED', Infinity)];
        stock.quantity -= order.quantity;
        stock.updatedAt = now;
        return [set('AWAITING_SHIPMENT', now + this.#delay(1500, 4000))];
      }
      case 'AWAITING_SHIPMENT': {
        if (order.willCancel) {
          const stock = this.#stock.get(order.product.id)!;
          stock.quantity += order.quantity;
          stock.updatedAt = now;
          return [set('CANCELLED', Infinity)];
        }
        return [
          set('AWAITING_COLLECTION', now + this.#delay(1500, 3500)),
          { kind: 'tracking', order, status: 'label_created' },
        ];
      }
      case 'AWAITING_COLLECTION':
        return [
          set('IN_TRANSIT', now + this.#delay(2000, 5000)),
          { kind: 'tracking', order, status: 'picked_up' },
        ];
      case 'IN_TRANSIT':
        return [
          set('DELIVERED', now + this.#delay(1000, 2000)),
          { kind: 'tracking', order, status: 'delivered' },
        ];
      case 'DELIVERED':
        return [set('COMPLETED', Infinity)];
      default:
        return [];
    }
  }

  #restock(now: number): Notification[] {
    const out: Notification[] = [];
    for (const product of CATALOG) {
      const s = this.#stock.get(product.id)!;
      if (s.restockAt === null && s.quantity < product.threshold / 2) {
        s.restockAt = now + this.#delay(10_000, 16_000);
        if (s.quantity === 0) out.push({ kind: 'product_status', product, status: 'SOLD_OUT' });
      } else if (s.restockAt !== null && s.restockAt <= now) {
        s.quantity += this.#restockSize(product);
        s.updatedAt = now;
        s.restockAt = null;
        out.push({ kind: 'product_status', product, status: 'ACTIVATE' });
      }
    }
    return out;
  }

  #restockSize(product: Product): number {
    return Math.max(1, Math.round(product.initialStock * this.#o.stockScale));
  }

  #forgetOld(): void {
    if (this.orders.size <= MAX_ORDERS_KEPT) return;
    for (const [id, order] of this.orders) {
      if (this.orders.size <= MAX_ORDERS_KEPT) break;
      if (order.nextAt === Infinity) this.orders.delete(id);
    }
  }
}
