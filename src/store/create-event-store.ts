import type { ZodType } from 'zod';
import { EventTypeRegistry } from './event-registry.js';
import { MemoryEventStore } from './memory-event-store.js';
import { PostgresEventStore } from './postgres/postgres-event-store.js';
import { resolveStoreConfig, type EventStoreConfig } from './store-config.js';
import type { EventOf, UntypedEvents } from './define-events.js';
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
 *
 * // Typed: only the catalog's events, payloads checked at compile time and on append.
 * const tasks = createEventStore({ events: defineEvents({ 'task.created': z.object({ title: z.string() }) }) });
 * await tasks.append('task-1', [{ type: 'task.created', data: { title: 'Ship' } }]);
 * ```
 */
export function createEventStore<M extends UntypedEvents = UntypedEvents>(
  config: EventStoreConfig<M> = {},
): EventStore<EventOf<M>> {
  const resolved = resolveStoreConfig(config);
  const registry = new EventTypeRegistry(resolved.strict);
  const schemas = {
    ...config.eventTypes,
    ...(config.events?.schemas as Record<string, ZodType> | undefined),
  };
  for (const [type, schema] of Object.entries(schemas)) registry.register(type, schema);
  const now = config.now ?? (() => new Date());
  const store: EventStore = config.sql
    ? new PostgresEventStore(config.sql, resolved, registry, now)
    : new MemoryEventStore(resolved, registry, now);
  // The implementations store any event; the catalog's schemas (registered above) hold them to `M`.
  return store as unknown as EventStore<EventOf<M>>;
}
