import { EventTypeRegistry } from './event-registry.js';
import { MemoryEventStore } from './memory-event-store.js';
import { PostgresEventStore } from './postgres/postgres-event-store.js';
import { resolveStoreConfig, type EventStoreConfig } from './store-config.js';
import type { EventStore } from './types.js';

/**
 * Create an event store: on PostgreSQL when `sql` is given (`fromPg(pool)` or
 * `fromPglite(db)`), in memory otherwise. Call `migrate()` before use.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * import { createEventStore } from '@creatorflow/sync';
 * import { fromPglite } from '@creatorflow/sync/pglite';
 *
 * const store = createEventStore({ sql: fromPglite(new PGlite()), schema: 'creatorflow' });
 * await store.migrate();
 * const r = await store.append('order-42', [{ type: 'order.received_from_tiktok', data: { total: 25 } }], {
 *   aggregateType: 'order', expectedVersion: 'no_stream', idempotencyKey: 'tts-123',
 * });
 * console.log(r.nextVersion, r.positions);
 * ```
 */
export function createEventStore(config: EventStoreConfig = {}): EventStore {
  const resolved = resolveStoreConfig(config);
  const registry = new EventTypeRegistry(resolved.strict);
  for (const [type, schema] of Object.entries(config.eventTypes ?? {})) registry.register(type, schema);
  const now = config.now ?? (() => new Date());
  return config.sql
    ? new PostgresEventStore(config.sql, resolved, registry, now)
    : new MemoryEventStore(resolved, registry, now);
}
