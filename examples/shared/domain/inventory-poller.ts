/**
 * The demo's inventory poller: reads the shop's stock from the TikTok Shop
 * Open API every interval and appends `inventory.stock_updated` for each
 * product whose `inventory_levels.on_hand` differs from what TikTok implies.
 * TikTok's `total_available_quantity` already excludes the units of paid,
 * unshipped orders, which commerce holds as `reserved`; so units on hand are
 * TikTok's count plus what commerce reserves, and `available` (on hand minus
 * reserved) follows TikTok's. Reporting TikTok's count as on hand would take
 * every in-flight order off twice, and allocations would fail for stock that
 * exists. (The library has no Open API inventory reader:
 * `syncInventoryLevels` recomputes derived columns from the log, it does not
 * fetch stock.) A poll that fails appends `system.sync_failure_detected`
 * once per failure streak and `system.recovery_completed` when polls work
 * again. When the commerce runs `resolve-sync-conflicts` (`conflicts` option),
 * the count is reported as `inventory.stock_reported` from `tiktok_webhook`
 * (a poll of TikTok Shop has TikTok's priority, 10) and competes with the
 * other sources' figures instead of overwriting them; a product without a
 * stock level yet is seeded directly.
 */
import type { Commerce } from '@creatorflow/sync/commerce';
import { commerceEvent } from '@creatorflow/sync/commerce';
import { inventoryStream } from '@creatorflow/sync/commerce';
import type { EngineWorker } from '@creatorflow/sync';
import type { TikTokShopHttpClient } from '@creatorflow/sync/commerce';
import type { EventStore } from '@creatorflow/sync';
import { stockReportEvent } from '@creatorflow/sync/commerce';
import { COMMERCE_ROLES } from '@creatorflow/sync/commerce';
import { actorMetadata, actorOf, systemPrincipal } from '@creatorflow/sync/access';
import { fetchInventory } from './tiktok-inventory.js';

const OPERATION = 'poll_tiktok_inventory';
/** The poller is a job: it writes as its system principal, recorded in each event's metadata. */
const ACTOR = actorMetadata(actorOf(systemPrincipal('inventory-poller')));

/** Options of {@link inventoryPoller}. */
export interface InventoryPollerOptions {
  client: TikTokShopHttpClient;
  commerce: Commerce;
  creatorId: string;
  /** Low-stock threshold per seller SKU; the commerce default when absent. */
  thresholds?: Readonly<Record<string, number>>;
  /** Poll interval, ms. Default 1,000. */
  intervalMs?: number;
  /** Told after each poll (for the health monitor). */
  onPoll?: (result: { ok: boolean; at: number }) => void;
}

/**
 * Create the poller. `start` resolves after the first poll, so the products
 * have stock levels before the first order is allocated.
 *
 * @example
 * ```ts
 * const poller = inventoryPoller({ client, commerce, creatorId: 'c1' });
 * await poller.start({ store, sql, schema });
 * ```
 */
export function inventoryPoller(options: InventoryPollerOptions): EngineWorker {
  const { commerce, creatorId } = options;
  const reader = commerce.as({
    userId: 'service:inventory-poller',
    tenantIds: [creatorId],
    roles: [COMMERCE_ROLES.service],
  });
  // The last (TikTok count, on_hand seen) appended per product: skips a
  // repeat while the read model has not folded the previous append yet.
  const appended = new Map<string, string>();
  let failingSince: number | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function reconcile(store: EventStore): Promise<void> {
    const stock = await fetchInventory(options.client);
    // The poller reads as a service of its one creator: the scoped reader returns no one else's rows.
    const levels = await reader.rows('inventory_levels');
    const byProduct = new Map(levels.map((r) => [String(r.product_id), r]));
    for (const s of stock) {
      const row = byProduct.get(s.productId);
      const current = row === undefined ? undefined : Number(row.on_hand);
      const quantity = s.quantity + Math.max(0, Number(row?.reserved ?? 0));
      if (current === quantity) continue;
      const seen = `${quantity}:${current ?? 'none'}`;
      if (appended.get(s.productId) === seen) continue;
      const threshold = options.thresholds?.[s.sku];
      // A product commerce has never seen is seeded at once (nothing to compete with yet, and
      // the first orders need stock); after that TikTok's count is one contender among others.
      const event =
        commerce.conflicts && row !== undefined
          ? stockReportEvent({
              creatorId,
              productId: s.productId,
              sku: s.sku,
              quantity,
              source: 'tiktok_webhook',
              sourceId: OPERATION,
              reportedAt: new Date().toISOString(), // when the poll saw the count
              ...(threshold === undefined ? {} : { threshold }),
            })
          : commerceEvent('inventory.stock_updated', {
              creatorId,
              productId: s.productId,
              sku: s.sku,
              quantity,
              ...(current === undefined || current < 0 ? {} : { previousQuantity: current }),
              reason: 'sync',
              ...(threshold === undefined ? {} : { threshold }),
            });
      await store.append(inventoryStream(creatorId, s.productId), [event], {
        aggregateType: 'inventory',
        // Hosts that see the same counts write once.
        idempotencyKey: `inventory-poll:${creatorId}:${s.productId}:${s.updateTime}:${seen}`,
        metadata: { source: OPERATION, ...ACTOR },
      });
      appended.set(s.productId, seen);
    }
  }

  async function poll(store: EventStore): Promise<void> {
    const at = Date.now();
    try {
      await reconcile(store);
      if (failingSince !== null) {
        await store.append('system-inventory-poll', [
          commerceEvent('system.recovery_completed', {
            component: 'inventory_sync',
            operation: OPERATION,
            downtimeMs: Math.max(0, at - failingSince),
            creatorId,
          }),
        ]);
        failingSince = null;
      }
      options.onPoll?.({ ok: true, at });
    } catch (err) {
      options.onPoll?.({ ok: false, at });
      if (failingSince !== null) return;
      failingSince = at;
      const message = err instanceof Error ? err.message : String(err);
      await store
        .append('system-inventory-poll', [
          commerceEvent('system.sync_failure_detected', {
            component: 'inventory_sync',
            operation: OPERATION,
            errorCode: 'INVENTORY_POLL_FAILED',
            message: message.slice(0, 2000),
            creatorId,
          }),
        ])
        .catch(() => undefined);
    }
  }

  return {
    name: 'inventory_poller',
    async start({ store }) {
      await poll(store);
      const loop = () => {
        running = poll(store).finally(() => {
          running = null;
          if (timer !== null) timer = setTimeout(loop, options.intervalMs ?? 1000);
        });
      };
      timer = setTimeout(loop, options.intervalMs ?? 1000);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
