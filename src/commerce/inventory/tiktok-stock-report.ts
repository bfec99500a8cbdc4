/**
 * TikTok Shop's stock read through the port and reported to
 * `resolve-sync-conflicts` as scheduled-sync contenders (priority 5): what
 * `sync-inventory-levels` does on its schedule and on inventory events.
 */
import { actorMetadata, type ActorRef } from '../../access/acting-principal.js';
import { assertActor } from '../../access/actor-check.js';
import type { EventStore } from '../../store/types.js';
import { stockReportEvent } from '../conflicts/report-events.js';
import type { TikTokShopClient } from '../ports/tiktok-shop-client.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { inventoryStream } from './streams.js';

/** The `sourceId` (and metadata `source`) of the figures `sync-inventory-levels` reports. */
export const SYNC_INVENTORY_SOURCE = 'sync-inventory-levels';

/**
 * Where `sync-inventory-levels` reads real stock: the TikTok port (its
 * `getInventory`) and the shop of each creator (no shop: nothing is read).
 *
 * @example
 * ```ts
 * const feed: TikTokStockFeed = {
 *   client: new FakeTikTokShopClient(),
 *   shopOf: (creatorId) => (creatorId === 'creator-1' ? 'shop-1' : undefined),
 * };
 * ```
 */
export interface TikTokStockFeed {
  client: TikTokShopClient;
  shopOf: (creatorId: string) => string | undefined;
}

/** What one read of TikTok's stock did. */
export interface TikTokStockReportResult {
  /** SKU figures TikTok answered. */
  read: number;
  /** Figures that differed from `on_hand`, reported as contenders. */
  reported: number;
}

/**
 * Options of {@link reportTikTokStock}.
 *
 * @example
 * ```ts
 * await reportTikTokStock({ store, readModels, feed, creatorId: 'c1', productIds: ['p1'],
 *   keyOf: (productId) => `scheduled-sync:${runId}:c1:${productId}`, actor: systemActor('stock-read') });
 * ```
 */
export interface TikTokStockReportOptions {
  store: EventStore;
  readModels: ReadModelSet;
  feed: TikTokStockFeed;
  creatorId: string;
  /** Only these products (default every product TikTok lists for the shop). */
  productIds?: readonly string[];
  /** Idempotency key of a product's report: a retried run reports each figure once. */
  keyOf: (productId: string) => string;
  signal?: AbortSignal;
  /**
   * Who reads and reports (the schedule's or the trigger's system principal),
   * recorded in the metadata. Required: a missing one throws
   * `PRINCIPAL_MISSING`, a malformed or forged one `PRINCIPAL_INVALID`,
   * before TikTok is asked or anything is written.
   */
  actor: ActorRef;
}

/**
 * Read a creator's stock from TikTok Shop and report each figure that differs
 * from `on_hand` as `inventory.stock_reported` from `scheduled_sync`. TikTok
 * counts units available, so on hand is its figure plus what commerce holds
 * reserved. Needs `resolve-sync-conflicts` to settle the reports.
 *
 * @example
 * ```ts
 * const { read, reported } = await reportTikTokStock({ store, readModels, feed, creatorId: 'c1',
 *   keyOf: (p) => `scheduled-sync:${runId}:c1:${p}`, actor: systemActor('stock-read') });
 * ```
 */
export async function reportTikTokStock(options: TikTokStockReportOptions): Promise<TikTokStockReportResult> {
  assertActor(options.actor, 'reportTikTokStock');
  const { store, readModels, feed, creatorId, productIds, signal } = options;
  const shopId = feed.shopOf(creatorId);
  if (!feed.client.getInventory || shopId === undefined || productIds?.length === 0)
    return { read: 0, reported: 0 };
  const wanted = productIds && new Set(productIds);
  const stock = (
    await feed.client.getInventory({
      shopId,
      ...(productIds ? { productIds } : {}),
      ...(signal ? { signal } : {}),
    })
  ).filter((s) => !wanted || wanted.has(s.productId));
  // One read of the rows of the products TikTok answered for.
  const levels = await readModels
    .table('inventory_levels')
    .load(stock.map((s) => ({ creator_id: creatorId, product_id: s.productId })));
  const byProduct = new Map(
    [...(levels.values() as Iterable<InventoryLevelRow>)].map((r) => [String(r.product_id), r]),
  );
  const reportedAt = new Date().toISOString();
  let reported = 0;
  for (const s of stock) {
    signal?.throwIfAborted();
    const row = byProduct.get(s.productId);
    const quantity = s.quantity + Math.max(0, Number(row?.reserved ?? 0));
    if (row !== undefined && Number(row.on_hand) === quantity) continue;
    await store.append(
      inventoryStream(creatorId, s.productId),
      [
        stockReportEvent({
          creatorId,
          productId: s.productId,
          sku: s.sku,
          quantity,
          source: 'scheduled_sync',
          sourceId: SYNC_INVENTORY_SOURCE,
          reportedAt,
        }),
      ],
      {
        aggregateType: 'inventory',
        idempotencyKey: options.keyOf(s.productId),
        metadata: { source: SYNC_INVENTORY_SOURCE, ...actorMetadata(options.actor) },
      },
    );
    reported++;
  }
  return { read: stock.length, reported };
}
