/**
 * The inventory sync worker (the specification's `sync-inventory-levels`):
 * polls TikTok Shop's inventory and appends `inventory.stock_updated` when a
 * SKU's level changed. Idempotency keys make concurrent hosts harmless.
 */
import { commerceEvent } from '../../../src/commerce/events/index.js';
import type { EngineWorker } from '../../../src/engine.js';
import type { TikTokShopHttpClient } from '../../../src/ingest/index.js';
import { fetchInventory } from './tiktok-orders.js';

/** Options of {@link inventorySyncWorker}. */
export interface InventorySyncOptions {
  client: TikTokShopHttpClient;
  creatorId: string;
  /** Low-stock threshold per SKU (default 20). */
  thresholds?: Readonly<Record<string, number>>;
  /** Poll interval, ms. Default 1,000. */
  intervalMs?: number;
  /** Told after each poll (for health). */
  onSync?: (result: { ok: boolean; at: number; error?: unknown }) => void;
}

/**
 * Create the worker.
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, workers: [inventorySyncWorker({ client, creatorId: 'c1' })] });
 * ```
 */
export function inventorySyncWorker(options: InventorySyncOptions): EngineWorker {
  const known = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  return {
    name: 'inventory_sync',
    start({ store }) {
      const poll = async () => {
        try {
          for (const s of await fetchInventory(options.client)) {
            const previous = known.get(s.sku);
            if (previous === s.quantity) continue;
            const threshold = options.thresholds?.[s.sku] ?? 20;
            await store.append(
              `inventory-${s.sku}`,
              [
                commerceEvent(
                  'inventory.stock_updated',
                  {
                    creatorId: options.creatorId,
                    productId: s.productId,
                    sku: s.sku,
                    quantity: s.quantity,
                    ...(previous === undefined ? {} : { previousQuantity: previous }),
                    reason: 'sync',
                    threshold,
                  },
                  { metadata: { sku: s.sku } },
                ),
              ],
              {
                aggregateType: 'inventory',
                idempotencyKey: `inventory-sync:${s.sku}:${s.updateTime}:${s.quantity}`,
                metadata: { source: 'inventory_sync' },
              },
            );
            known.set(s.sku, s.quantity);
          }
          options.onSync?.({ ok: true, at: Date.now() });
        } catch (error) {
          options.onSync?.({ ok: false, at: Date.now(), error });
        }
      };
      const loop = () => {
        running = poll().finally(() => {
          running = null;
          if (timer !== null) timer = setTimeout(loop, options.intervalMs ?? 1000);
        });
      };
      timer = setTimeout(loop, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
