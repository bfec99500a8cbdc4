/**
 * The processing state that goes with an event store: its schema's tables on
 * PostgreSQL and PGlite, the in-process state of a memory store — and likewise
 * a projection's rows and the partitions' coordination. The one place
 * processing looks at `store.sql` to pick its adapters
 * (`test/processing/no-sql-branches.test.ts` keeps it so).
 */
import type { EventStore } from '../../store/types.js';
import { memoryStoreState } from '../memory-state.js';
import {
  memoryCoordination,
  sqlCoordination,
  type PartitionCoordination,
} from '../partitions/partition-coordination.js';
import type { ProjectionDefinition } from '../projection/definition.js';
import {
  memoryProjectionSetStorage,
  sqlProjectionSetStorage,
  type ProjectionSetStorage,
} from '../projection-set/projection-set-storage.js';
import {
  memoryProjectionStorage,
  sqlProjectionStorage,
  type ProjectionStorage,
} from '../projection/projection-storage.js';
import { memoryProcessingState } from './memory-processing-state.js';
import type { ProcessingState } from './processing-state.js';
import { sqlProcessingState } from './sql-processing-state.js';

const states = new WeakMap<EventStore, ProcessingState>();

/**
 * The {@link ProcessingState} of `store`, the same object on every call, so
 * processors on one memory store share their checkpoints and dead letters.
 *
 * @example
 * ```ts
 * const letters = await processingStateOf(store).deadLetters.list({ processor: 'projection:totals' });
 * ```
 */
export function processingStateOf(store: EventStore): ProcessingState {
  let state = states.get(store);
  if (!state) {
    state = store.sql
      ? sqlProcessingState(store.sql, store.schema)
      : // Unfenced, as before the port: the in-memory store's processors write
        // read models that cannot roll back, so a fence checked after the work
        // would only apply a batch twice (two engines on one memory store,
        // each with its own tables, share a processor name).
        memoryProcessingState(memoryStoreState(store), { fence: false });
    states.set(store, state);
  }
  return state;
}

/**
 * Where a projection of `definition` on `store` keeps its rows: a table in the
 * store's schema, or a map of its own on a memory store.
 *
 * @example
 * ```ts
 * const rows = await projectionStorageOf(store, orderTotals).table().all();
 * ```
 */
export function projectionStorageOf(store: EventStore, definition: ProjectionDefinition): ProjectionStorage {
  return store.sql
    ? sqlProjectionStorage(store.sql, store.schema, definition)
    : memoryProjectionStorage(definition);
}

/**
 * Where a projection set named `name` on `store` keeps its tables: in the
 * store's schema, or maps of its own on a memory store.
 *
 * @example
 * ```ts
 * const rows = await projectionSetStorageOf(store, 'shop', [orders, orderStats]).table('orders').all();
 * ```
 */
export function projectionSetStorageOf(
  store: EventStore,
  name: string,
  definitions: readonly ProjectionDefinition[],
): ProjectionSetStorage {
  return store.sql
    ? sqlProjectionSetStorage(store.sql, store.schema, name, definitions)
    : memoryProjectionSetStorage(definitions);
}

/**
 * What partitioned processors on `store` share: SQL tables, or the in-memory store's state.
 *
 * @example
 * ```ts
 * const members = await partitionCoordinationOf(store).heartbeat('projection:totals', owner, 20_000);
 * ```
 */
export function partitionCoordinationOf(store: EventStore): PartitionCoordination {
  return store.sql
    ? sqlCoordination(store.sql, store.schema, processingStateOf(store))
    : memoryCoordination(store, processingStateOf(store));
}
