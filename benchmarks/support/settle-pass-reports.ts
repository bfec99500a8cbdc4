/**
 * The stock reports of `conflicts.settle_pass` (and its probe): per product,
 * `reports` figures 200 ms apart from four sources, 90 % agreeing with the
 * product's true stock, 7 % one unit lower, 3 % random.
 */
import { stockReportEvent, type StockReported } from '../../src/commerce/conflicts/report-events.js';
import type { SyncConflictProcessor } from '../../src/commerce/conflicts/sync-conflict-processor.js';
import { inventoryStream } from '../../src/commerce/inventory/streams.js';
import type { EventStore } from '../../src/store/index.js';
import { prng } from './stats.js';

const SOURCES: StockReported['source'][] = [
  'tiktok_webhook',
  'manual_admin',
  'automated_system',
  'scheduled_sync',
];

/**
 * A function that appends one window's reports of every product from `fromMs`
 * on and waits until `resolve-sync-conflicts` has staged them (seeded: the
 * same figures every run).
 *
 * @example
 * ```ts
 * const stage = settlePassReports(bench.store, conflicts, 500, 20);
 * await stage(Date.now() - 120_000);
 * ```
 */
export function settlePassReports(
  store: EventStore,
  conflicts: Pick<SyncConflictProcessor, 'whenCaughtUp'>,
  entities: number,
  reports: number,
): (fromMs: number) => Promise<void> {
  const rand = prng(11);
  const creatorId = 'bench-creator';
  const truth = Array.from({ length: entities }, () => 100 + Math.floor(rand() * 100));
  return async (fromMs) => {
    const appends: Promise<unknown>[] = [];
    for (let p = 0; p < entities; p++) {
      for (let j = 0; j < reports; j++) {
        const r = rand();
        const quantity = r < 0.9 ? truth[p]! : r < 0.97 ? truth[p]! - 1 : Math.floor(rand() * 300);
        const source = SOURCES[j % SOURCES.length]!;
        appends.push(
          store.append(inventoryStream(creatorId, `p${p}`), [
            stockReportEvent({
              creatorId,
              productId: `p${p}`,
              quantity,
              source,
              sourceId: source,
              reportedAt: new Date(fromMs + j * 200).toISOString(),
            }),
          ]),
        );
      }
    }
    await Promise.all(appends);
    await conflicts.whenCaughtUp({ timeoutMs: 120_000 });
  };
}
