/**
 * The demo's feed of competing stock counts: every interval it reads the
 * shop's other systems' counts (warehouse, ERP export, an admin's count) from
 * the simulator (`GET /sim/stock_counts`, beside the mock Open API) and
 * reports each as `inventory.stock_reported` with its own source and time, so
 * `resolve-sync-conflicts` settles them against TikTok's figures by source
 * priority — or hands them to the manual queue. Runs only when the commerce
 * resolves conflicts (`conflicts` option), on one host at a time.
 */
import { z } from 'zod';
import type { Commerce, TikTokShopHttpClient } from '@creatorflow/sync/commerce';
import { inventoryStream, stockReportEvent } from '@creatorflow/sync/commerce';
import type { EngineWorker, EventStore } from '@creatorflow/sync';
import { actorMetadata, actorOf, systemPrincipal } from '@creatorflow/sync/access';

const countsResponse = z.looseObject({
  counts: z.array(
    z.looseObject({
      seq: z.int().positive(),
      id: z.string().min(1),
      source: z.enum(['automated_system', 'scheduled_sync', 'manual_admin']),
      sourceId: z.string().min(1),
      productId: z.string().min(1),
      sellerSku: z.string().min(1),
      quantity: z.int().min(0),
      countedAt: z.number(),
    }),
  ),
});

/** The feed is a job: it writes as its system principal (each count's own source stays in its data). */
const ACTOR = actorMetadata(actorOf(systemPrincipal('stock-counts-feed')));

/** Options of {@link stockCountsFeed}. */
export interface StockCountsFeedOptions {
  client: TikTokShopHttpClient;
  commerce: Commerce;
  creatorId: string;
  /** Poll interval, ms. Default 1,000. */
  intervalMs?: number;
}

/**
 * Create the feed worker.
 *
 * @example
 * ```ts
 * const feed = stockCountsFeed({ client, commerce, creatorId: 'c1' });
 * await feed.start({ store, sql, schema });
 * ```
 */
export function stockCountsFeed(options: StockCountsFeedOptions): EngineWorker {
  const { commerce, creatorId } = options;
  let after = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function poll(store: EventStore): Promise<void> {
    if (!commerce.conflicts) return;
    const { counts } = countsResponse.parse(
      await options.client.request({
        method: 'GET',
        path: '/sim/stock_counts',
        query: { after },
        idempotent: true,
      }),
    );
    for (const c of counts) {
      await store.append(
        inventoryStream(creatorId, c.productId),
        [
          stockReportEvent({
            creatorId,
            productId: c.productId,
            sku: c.sellerSku,
            quantity: c.quantity,
            source: c.source,
            sourceId: c.sourceId,
            reportedAt: new Date(c.countedAt).toISOString(),
          }),
        ],
        // Hosts that read the same count write it once.
        {
          aggregateType: 'inventory',
          idempotencyKey: `stock-count:${c.id}`,
          metadata: { source: c.sourceId, ...ACTOR },
        },
      );
      after = Math.max(after, c.seq);
    }
  }

  return {
    name: 'stock_counts_feed',
    async start({ store }) {
      const loop = () => {
        running = poll(store)
          // A failed read is tried again next interval (counts are kept by the simulator).
          .catch(() => undefined)
          .finally(() => {
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
