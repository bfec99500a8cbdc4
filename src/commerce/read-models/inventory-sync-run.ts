/**
 * The event that records a `sync-inventory-levels` run, which the
 * `inventory_levels` projection folds: it recomputes the derived columns of
 * every product of the run's creator as of the run's instant, so a rebuild
 * from the log gives the same rows the run left.
 */
import type { StoredEvent } from '../../store/types.js';
import type { EventPayload } from '../events/catalog.js';
import { toMs } from './row-values.js';
import { SYNC_OPERATION_METADATA } from './sync-operations.js';

/** The operation name recorded in `sync_operations`. */
export const SYNC_INVENTORY_OPERATION = 'sync_inventory_levels';

/**
 * The creator and instant of a sync run's `system.health_check_completed`
 * (component `inventory_sync`, metadata `syncOperation: 'sync_inventory_levels'`,
 * with a `creatorId`), or null for any other event.
 *
 * @example
 * ```ts
 * const run = inventorySyncRunOf(event);
 * if (run) console.log(run.creatorId, new Date(run.asOfMs));
 * ```
 */
export function inventorySyncRunOf(event: StoredEvent): { creatorId: string; asOfMs: number } | null {
  if (event.type !== 'system.health_check_completed') return null;
  if (event.metadata[SYNC_OPERATION_METADATA] !== SYNC_INVENTORY_OPERATION) return null;
  const d = event.data as EventPayload<'system.health_check_completed'>;
  const asOfMs = toMs(d.checkedAt);
  if (d.component !== 'inventory_sync' || d.creatorId === undefined || asOfMs === null) return null;
  return { creatorId: d.creatorId, asOfMs };
}
