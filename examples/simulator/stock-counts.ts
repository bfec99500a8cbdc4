/**
 * Stock figures from the shop's other systems, competing with TikTok's: a
 * warehouse system (`automated_system`, priority 6) and the ERP's scheduled
 * export (`scheduled_sync`, 5) count every product at the same moment, every
 * few seconds; the ERP is sometimes one unit short (a small discrepancy the
 * stock rule settles). Once, an admin's manual count (`manual_admin`, 7) of one
 * product is far off the warehouse's (more than 10 %): a conflict for the
 * manual queue. The host reads them from `GET /sim/stock_counts` (served
 * beside the mock Open API) and reports each as a contender.
 *
 * A count is what the shelf holds: the shop's available units plus those of
 * paid orders not yet collected (the host's reservations), the same figure the
 * host's TikTok poller reports.
 */
import { CATALOG } from './catalog.js';
import type { FakeShop } from './fake-shop.js';
import type { Random } from './random.js';

/** The sources that report counts. */
export const STOCK_COUNT_SOURCES = ['automated_system', 'scheduled_sync', 'manual_admin'] as const;

/** One reported count. */
export interface StockCount {
  /** Increasing from 1: a reader asks for the counts after the last one it saw. */
  seq: number;
  /** Unique id of the count (the host's idempotency key). */
  id: string;
  source: (typeof STOCK_COUNT_SOURCES)[number];
  sourceId: string;
  productId: string;
  sellerSku: string;
  quantity: number;
  /** When the source counted, ms. */
  countedAt: number;
}

/** Options of {@link StockCounts}. */
export interface StockCountsOptions {
  /** Warehouse and ERP count every this many ms. Default 4,000. */
  everyMs?: number;
  /** Chance that the ERP's count of a product is one unit short. Default 0.25. */
  driftRate?: number;
  /** The admin's miscount happens this long after the first tick, ms (-1: never). Default 9,000. */
  miscountAfterMs?: number;
}

const KEPT = 2_000;
/** Orders whose units are off TikTok's count but still on the shelf. */
const ON_SHELF = new Set(['AWAITING_SHIPMENT', 'AWAITING_COLLECTION']);

/**
 * The generator: call `tick(now)` as the shop ticks, read with `since(seq)`.
 *
 * @example
 * ```ts
 * const counts = new StockCounts(shop, seededRandom(1));
 * counts.tick(Date.now());
 * counts.since(0); // every count so far
 * ```
 */
export class StockCounts {
  readonly #shop: FakeShop;
  readonly #random: Random;
  readonly #everyMs: number;
  readonly #driftRate: number;
  readonly #miscountAfterMs: number;
  readonly #counts: StockCount[] = [];
  #seq = 0;
  #startedAt: number | null = null;
  #nextAt = 0;
  #miscounted = false;

  constructor(shop: FakeShop, random: Random, options: StockCountsOptions = {}) {
    this.#shop = shop;
    this.#random = random;
    this.#everyMs = options.everyMs ?? 4_000;
    this.#driftRate = options.driftRate ?? 0.25;
    this.#miscountAfterMs = options.miscountAfterMs ?? 9_000;
  }

  /** Units on the shelf per product. */
  shelf(): Map<string, number> {
    const units = new Map(CATALOG.map((p) => [p.id, this.#shop.stock(p.id)?.quantity ?? 0]));
    for (const o of this.#shop.orders.values())
      if (ON_SHELF.has(o.status)) units.set(o.product.id, (units.get(o.product.id) ?? 0) + o.quantity);
    return units;
  }

  /** Count what is due by `now`. */
  tick(now: number): void {
    this.#startedAt ??= now;
    if (now < this.#nextAt) return;
    this.#nextAt = now + this.#everyMs;
    const shelf = this.shelf();
    for (const p of CATALOG) {
      const units = shelf.get(p.id) ?? 0;
      this.#add({ source: 'automated_system', sourceId: 'warehouse-wms', product: p, quantity: units, now });
      const short = units > 0 && this.#random() < this.#driftRate ? 1 : 0;
      this.#add({
        source: 'scheduled_sync',
        sourceId: 'erp-export',
        product: p,
        quantity: units - short,
        now,
      });
    }
    const due = this.#miscountAfterMs >= 0 && now - this.#startedAt >= this.#miscountAfterMs;
    if (due && !this.#miscounted) {
      // An admin counts one shelf and misses half of it: too far off to settle automatically.
      this.#miscounted = true;
      const p = CATALOG[1] ?? CATALOG[0]!;
      const units = shelf.get(p.id) ?? 0;
      this.#add({
        source: 'manual_admin',
        sourceId: 'admin-ops',
        product: p,
        quantity: Math.floor(units / 2),
        now,
      });
    }
  }

  /** The counts after `seq`, oldest first. */
  since(seq: number): StockCount[] {
    return this.#counts.filter((c) => c.seq > seq);
  }

  #add(c: {
    source: StockCount['source'];
    sourceId: string;
    product: (typeof CATALOG)[number];
    quantity: number;
    now: number;
  }): void {
    const seq = ++this.#seq;
    this.#counts.push({
      seq,
      id: `${c.sourceId}-${c.product.id}-${c.now}-${seq}`,
      source: c.source,
      sourceId: c.sourceId,
      productId: c.product.id,
      sellerSku: c.product.sellerSku,
      quantity: Math.max(0, c.quantity),
      countedAt: c.now,
    });
    if (this.#counts.length > KEPT) this.#counts.splice(0, this.#counts.length - KEPT);
  }
}
