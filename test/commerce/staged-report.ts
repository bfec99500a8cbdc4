/**
 * A staged stock report of creator `c1` (by default a scheduled sync's figure
 * of 1), as the staging holds it: for the tests of window cutting, the index
 * and the staging.
 */
import type { StagedContender } from '../../src/commerce/conflicts/index.js';

/**
 * A staged report at `atMs` of product `entityId`, from `source` (its clock's node `sourceId`).
 *
 * @example
 * ```ts
 * dueWindow([staged('a', 0), staged('b', 5_000)], 6_000, 5_000, 1_000);
 * ```
 */
export function staged(
  eventId: string,
  atMs: number,
  entityId = 'p1',
  { source = 'scheduled_sync', sourceId = 's', quantity = 1 } = {},
): StagedContender {
  return {
    eventId,
    creatorId: 'c1',
    entityType: 'inventory',
    entityId,
    atMs,
    contender: {
      entityType: 'inventory',
      entityId,
      source,
      sourceId,
      eventId,
      hlc: { wallMs: atMs, logical: 0, node: sourceId },
      changes: { quantity },
    },
  };
}
