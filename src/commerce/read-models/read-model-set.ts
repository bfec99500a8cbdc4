/**
 * The commerce read models as one projection set: the processing module's
 * {@link ProjectionSet}, its tenant the creator an event is about (each
 * creator's rows change one transaction at a time).
 */
import type { SqlQueryable } from '../../core/sql-client.js';
import {
  PROJECTION_SET_MODES,
  ProjectionSet,
  type ProjectionSetEventMap,
  type ProjectionSetMode,
  type ProjectionSetOptions,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';

// The row pseudo-events are the set's; commerce's definitions name them from here.
export { rowChangeOf, rowEventType } from '../../processing/index.js';

/** The creator an event is about (`'*'` for system-wide events): the tenant of its rows. */
function creatorOf(event: StoredEvent): string {
  const id = (event.data as { creatorId?: unknown } | null)?.creatorId;
  return typeof id === 'string' ? id : '*';
}

/** Where the set runs (see `PROJECTION_SET_MODES`). */
export const READ_MODEL_MODES = PROJECTION_SET_MODES;
/** One of {@link READ_MODEL_MODES}. */
export type ReadModelMode = ProjectionSetMode;

/** Events of a read-model set. */
export type ReadModelSetEventMap = ProjectionSetEventMap;

/**
 * Options of {@link ReadModelSet}: a projection set's, the tenant fixed to the creator.
 *
 * @example
 * ```ts
 * const set = new ReadModelSet({
 *   store, name: 'shop', definitions: [orders, orderMetrics], // orderMetrics folds row:orders
 *   mode: 'async', batchSize: 200,
 *   guards: [noNegativeStock], guardTables: ['inventory_levels'],
 * });
 * ```
 */
export type ReadModelSetOptions = Omit<ProjectionSetOptions, 'tenantOf'>;

/**
 * The commerce read models kept in step (a {@link ProjectionSet} by creator).
 *
 * @example
 * ```ts
 * const set = new ReadModelSet({ store, name: 'commerce', definitions: [orders, orderMetrics] });
 * set.changes.subscribe((c) => console.log(c.table, c.operation));
 * await set.start();
 * ```
 */
export class ReadModelSet extends ProjectionSet {
  constructor(options: ReadModelSetOptions) {
    super({ ...options, tenantOf: creatorOf });
  }

  /**
   * Take, until the end of `tx`, the locks that serialize changes to these
   * creators' rows (see `ProjectionSet.lockTenants`).
   *
   * @example
   * ```ts
   * await sql.transaction(async (tx) => { await set.lockCreators(tx, ['c1']); … });
   * ```
   */
  lockCreators(tx: SqlQueryable, creatorIds: readonly string[]): Promise<void> {
    return this.lockTenants(tx, creatorIds);
  }
}
