/**
 * The specification's periodic functions as schedules for the engine's
 * scheduler: `sync-inventory-levels` every 5 minutes (and by hand), reading
 * TikTok Shop's stock as scheduled-sync contenders when it can, the
 * monthly archival of old log partitions, and the daily pruning of the
 * access audit (entries older than 90 days by default). Each job acts as a
 * system principal named after its schedule (`system:schedule:<name>`),
 * recorded in the events it writes with who asked for a manual run. Pass them to
 * `createSyncEngine`'s `schedules`; one host of many runs each due time
 * once. (The same sync on inventory events is `createCommerce({ inventorySync })`.)
 */
import { actorOf, systemPrincipal } from '../access/acting-principal.js';
import {
  accessAuditRetentionSchedule,
  type AccessAuditRetentionOptions,
} from '../scheduling/access-audit-retention.js';
import type { ScheduleDefinition } from '../scheduling/schedule-definition.js';
import type { Commerce } from './create-commerce.js';
import { reportTikTokStock, type TikTokStockFeed } from './inventory/tiktok-stock-report.js';

/** Name of the inventory sync schedule (also its manual-trigger route's). */
export const SYNC_INVENTORY_SCHEDULE = 'sync-inventory-levels';
/** Name of the monthly log archival schedule. */
export const ARCHIVE_LOG_SCHEDULE = 'archive-event-log';

/**
 * The archival cutoff of a run due at `dueAt` keeping `keepMonths` months:
 * midnight UTC on the 1st of the month `keepMonths` before the run's UTC
 * month. The log's partitions are UTC months, so the computation is in UTC
 * whatever the process's time zone (`TZ`) or the schedule's: a run due at
 * 03:00 UTC on 1 March keeping 2 archives the months ending by 1 January.
 *
 * @example
 * ```ts
 * archiveCutoff(new Date('2026-03-01T03:00:00Z'), 2).toISOString(); // '2026-01-01T00:00:00.000Z'
 * ```
 */
export function archiveCutoff(dueAt: Date, keepMonths: number): Date {
  return new Date(Date.UTC(dueAt.getUTCFullYear(), dueAt.getUTCMonth() - keepMonths, 1));
}

/**
 * Options of {@link commerceSchedules}.
 *
 * @example
 * ```ts
 * const options: CommerceSchedulesOptions = {
 *   creatorIds: ['creator-1'],
 *   inventoryEveryMs: 5 * 60_000,
 *   archive: { cron: '0 3 1 * *', timeZone: 'UTC', keepMonths: 24 },
 * };
 * ```
 */
export interface CommerceSchedulesOptions {
  /**
   * The creators whose inventory is synced: a list, or a function read at
   * each run. Default: every creator with a row in `inventory_levels`.
   */
  creatorIds?: readonly string[] | (() => readonly string[] | Promise<readonly string[]>);
  /** Interval of `sync-inventory-levels`. Default 300 000 ms (5 minutes). */
  inventoryEveryMs?: number;
  /**
   * Monthly archival of whole old months of the log (`store.archive`), or
   * `false` to leave it out. Default: 03:00 UTC on the 1st, months older
   * than the store's default cutoff (two years).
   */
  archive?: false | { cron?: string; timeZone?: string; keepMonths?: number };
  /**
   * Daily pruning of `commerce.accessAudit` (`prune-access-audit`), or
   * `false` to leave it out. Default: 03:30 UTC, entries older than 90 days.
   */
  accessAuditRetention?: false | Omit<AccessAuditRetentionOptions, 'audit'>;
  /**
   * Read TikTok Shop's stock at each sync and report each figure that differs
   * from `on_hand` to `resolve-sync-conflicts` as the `scheduled_sync` source
   * (priority 5), when the commerce runs it (`conflicts`) and the port has
   * `getInventory`. TikTok counts units available, so on hand is its figure
   * plus what commerce holds reserved. Default: the feed of
   * `createCommerce({ inventorySync })`, if any.
   */
  tiktok?: TikTokStockFeed;
}

/** What one run of `sync-inventory-levels` did (kept in the run's history). */
export interface InventorySyncRunSummary {
  creators: number;
  /** SKU figures read from TikTok Shop. */
  read: number;
  /** Stock figures read from TikTok Shop and reported as scheduled-sync contenders. */
  reported: number;
  products: number;
  lowStock: number;
  anomalies: number;
}

/**
 * The commerce schedules for `createSyncEngine({ schedules })`.
 *
 * @example
 * ```ts
 * let commerce!: Commerce;
 * const engine = createSyncEngine({
 *   sql,
 *   readModels: (store) => [(commerce = createCommerce({ store, readModels: 'async' })).readModels],
 *   schedules: () => commerceSchedules(commerce, { creatorIds: ['creator-1'] }),
 * });
 * await engine.start();
 * await engine.scheduler.trigger(SYNC_INVENTORY_SCHEDULE); // on demand
 * ```
 */
export function commerceSchedules(
  commerce: Commerce,
  options: CommerceSchedulesOptions = {},
): ScheduleDefinition[] {
  const creators = async (): Promise<readonly string[]> => {
    const given = options.creatorIds;
    if (given === undefined) {
      const rows = await commerce.readModels.unscopedRows('inventory_levels');
      return [...new Set(rows.map((r) => String(r.creator_id)))].sort();
    }
    return typeof given === 'function' ? given() : given;
  };
  const feed = options.tiktok ?? commerce.inventorySync?.feed;
  const schedules: ScheduleDefinition[] = [
    {
      name: SYNC_INVENTORY_SCHEDULE,
      every: options.inventoryEveryMs ?? 5 * 60_000,
      // Recomputing as of now covers every missed interval at once.
      missed: 'latest',
      retry: { attempts: 3, minTimeoutMs: 1_000, maxTimeoutMs: 30_000 },
      run: async ({ signal, runId, requestedBy }): Promise<InventorySyncRunSummary> => {
        // The run acts as the schedule; a manual run also records who asked.
        const principal = systemPrincipal(`schedule:${SYNC_INVENTORY_SCHEDULE}`, requestedBy ?? undefined);
        const summary: InventorySyncRunSummary = {
          creators: 0,
          read: 0,
          reported: 0,
          products: 0,
          lowStock: 0,
          anomalies: 0,
        };
        for (const creatorId of await creators()) {
          signal.throwIfAborted();
          if (feed && commerce.conflicts) {
            const report = await reportTikTokStock({
              store: commerce.store,
              readModels: commerce.readModels,
              feed,
              creatorId,
              // A retried or taken-over run reports each figure once.
              keyOf: (productId) => `scheduled-sync:${runId}:${creatorId}:${productId}`,
              signal,
              actor: actorOf(principal),
            });
            summary.read += report.read;
            summary.reported += report.reported;
          }
          const result = await commerce.syncInventoryLevels(creatorId, principal);
          summary.creators++;
          summary.products += result.products;
          summary.lowStock += result.lowStock;
          summary.anomalies += result.anomalies;
        }
        return summary;
      },
    },
  ];
  if (options.archive !== false) {
    const archive = options.archive ?? {};
    schedules.push({
      name: ARCHIVE_LOG_SCHEDULE,
      cron: archive.cron ?? '0 3 1 * *',
      timeZone: archive.timeZone ?? 'UTC',
      missed: 'latest',
      run: async ({ dueAt }) => {
        const keep = archive.keepMonths;
        const olderThan = keep === undefined ? undefined : archiveCutoff(dueAt, keep);
        const months = await commerce.store.archive(olderThan ? { olderThan } : {});
        return { archived: months };
      },
    });
  }
  if (options.accessAuditRetention !== false) {
    schedules.push(
      accessAuditRetentionSchedule({ ...options.accessAuditRetention, audit: commerce.accessAudit }),
    );
  }
  return schedules;
}
