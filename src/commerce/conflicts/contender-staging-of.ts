/**
 * The one place `resolve-sync-conflicts` looks at the store's SQL port: it
 * picks the staging adapter that goes with the store.
 */
import type { EventStore } from '../../store/types.js';
import type { ContenderStaging } from './contender-staging.js';
import { MemoryContenderStaging } from './memory-contender-staging.js';
import { SqlContenderStaging } from './sql-contender-staging.js';

// In memory the staging lives as long as the store, so a restarted processor finds its open windows.
const memoryStagings = new WeakMap<EventStore, MemoryContenderStaging>();

/**
 * The staging of waiting reports for `store`: its `<schema>.sync_contenders`
 * on PostgreSQL/PGlite, else the store's one in-memory staging.
 *
 * @example
 * ```ts
 * const staging = contenderStagingOf(store);
 * await staging.migrate();
 * ```
 */
export function contenderStagingOf(store: EventStore): ContenderStaging {
  if (store.sql) return new SqlContenderStaging(store.sql, store.schema);
  let staging = memoryStagings.get(store);
  if (!staging) memoryStagings.set(store, (staging = new MemoryContenderStaging()));
  return staging;
}
