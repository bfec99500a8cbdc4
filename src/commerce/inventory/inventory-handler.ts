/**
 * The inventory handler: a processor of the global log that reserves stock on
 * allocation, releases it on cancellation unless the cancellation saga does
 * (and consumes it on shipment, unless the shipment's append released it), and
 * raises `inventory.low_stock_detected` / `inventory.reorder_triggered` when a
 * product's level calls for them.
 */
import { systemActor, type ActorRef } from '../../access/acting-principal.js';
import { actorFromMetadata } from '../../access/actor-check.js';
import type { Row } from '../../core/row-change.js';
import { createProcessor, type Processor, type ProcessorOptions } from '../../processing/index.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import type { EventPayload } from '../events/catalog.js';
import type { InventoryLevelRow } from '../read-models/inventory-levels.js';
import type { ResolvedInventoryOptions } from '../read-models/inventory-options.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import type { InventoryService } from './inventory-service.js';
import { stockAlertEvents } from './stock-alerts.js';
import { inventoryStream } from './streams.js';

/** The metadata `source` of the handler's events. */
export const INVENTORY_HANDLER_SOURCE = 'inventory_handler';

/** Event types the handler reads. */
export const INVENTORY_HANDLER_EVENTS = [
  'order.inventory_allocated',
  'order.cancelled',
  'order.shipped',
  'inventory.stock_updated',
  'inventory.reserved',
  'inventory.released',
] as const;

/**
 * Options of {@link createInventoryHandler}.
 *
 * @example
 * ```ts
 * const handler = createInventoryHandler({
 *   store, readModels, inventory, options: resolveInventoryOptions(),
 *   reader: { name: 'inventory_handler', batchSize: 100, lease: { ttlMs: 10_000 } },
 * });
 * ```
 */
export interface InventoryHandlerOptions {
  store: EventStore;
  readModels: ReadModelSet;
  inventory: InventoryService;
  options: ResolvedInventoryOptions;
  /**
   * Whether a cancelled order's reservations are released here (default true). Off
   * when the order-cancellation saga owns that release (and can undo it).
   */
  releaseOnCancel?: boolean;
  /**
   * Processor settings (name defaults to `'commerce_inventory_handler'`, batchSize to 200,
   * errorBackoffMs to 500).
   */
  reader?: Partial<
    Pick<ProcessorOptions, 'name' | 'batchSize' | 'pollIntervalMs' | 'errorBackoffMs' | 'retry' | 'lease'>
  >;
}

/** The handler's own actor, for what it does on an event that names none. */
const HANDLER_ACTOR = systemActor('inventory-handler');

/** Who a reaction to `event` acts for: the actor the event records, else the handler. */
function actingFor(event: StoredEvent): ActorRef {
  return actorFromMetadata(event.metadata).actor ?? HANDLER_ACTOR;
}

/**
 * Create the handler (call `start()` on it): a processor with
 * `delivery: 'at-least-once'`, since its effects are appends through the store,
 * which cannot run inside a checkpoint transaction (on PGlite they would wait on
 * it). Every effect is idempotent — idempotency keys, expected versions,
 * level-triggered alerts — so events delivered again change nothing.
 *
 * @example
 * ```ts
 * const handler = createInventoryHandler({ store, readModels, inventory, options: resolveInventoryOptions() });
 * await handler.start();
 * ```
 */
export function createInventoryHandler(options: InventoryHandlerOptions): Processor {
  const { store, readModels, inventory } = options;
  const { name = 'commerce_inventory_handler', ...reader } = options.reader ?? {};
  const metadata = { source: INVENTORY_HANDLER_SOURCE };
  return createProcessor({
    batchSize: 200,
    errorBackoffMs: 500,
    ...reader,
    store,
    name,
    eventTypes: INVENTORY_HANDLER_EVENTS,
    delivery: 'at-least-once',
    handleBatch: async (events) => {
      const touched = new Map<string, { creatorId: string; productId: string; cause: StoredEvent }>();
      const reservedAt = lastReservations(events);
      const releasedWith = shipmentsReleased(events);
      for (const [index, event] of events.entries()) {
        const caused = { ...metadata, causationId: event.id };
        switch (event.type) {
          case 'order.inventory_allocated':
            // allocate() appends the reservations with the allocation: when one of
            // this order follows in the batch, the order holds stock already, which
            // is all reserveAllocation would find out (by reading the stream).
            if ((reservedAt.get(orderKey(event.data)) ?? -1) > index) break;
            await inventory.reserveAllocation(
              event.data as EventPayload<'order.inventory_allocated'>,
              actingFor(event),
              caused,
            );
            break;
          case 'order.cancelled':
          case 'order.shipped': {
            if (event.type === 'order.cancelled' && options.releaseOnCancel === false) break;
            // The fulfillment saga releases what the order holds in the shipment's own append
            // (at the version it read): nothing is left to release, so the stream is not read.
            if (event.type === 'order.shipped' && releasedWith.has(versionKey(event, 0))) break;
            const d = event.data as EventPayload<'order.cancelled' | 'order.shipped'>;
            await inventory.release({
              creatorId: d.creatorId,
              orderId: d.orderId,
              reason: event.type === 'order.shipped' ? 'fulfilled' : 'cancelled',
              actor: actingFor(event),
              metadata: caused,
            });
            break;
          }
          default: {
            const d = event.data as { creatorId: string; productId: string };
            touched.set(JSON.stringify([d.creatorId, d.productId]), { ...d, cause: event });
          }
        }
      }
      if (touched.size === 0) return;
      // Inline read models are current already; async ones must catch up before we judge levels.
      await readModels.whenCaughtUp();
      const rows = await readModels
        .table('inventory_levels')
        .load([...touched.values()].map((t) => ({ creator_id: t.creatorId, product_id: t.productId })));
      for (const row of rows.values()) {
        const level = row as Row as InventoryLevelRow;
        const alerts = stockAlertEvents(level, options.options);
        if (alerts.length === 0) continue;
        const cause = touched.get(JSON.stringify([level.creator_id, level.product_id]))?.cause;
        await store.append(inventoryStream(level.creator_id, level.product_id), alerts, {
          aggregateType: 'inventory',
          metadata: { ...metadata, ...(cause ? { causationId: cause.id } : {}) },
          // A retried batch reaches the same decision for the same cause: write it once.
          ...(cause ? { idempotencyKey: `stock-alerts:${cause.id}` } : {}),
        });
      }
    },
  });
}

/** The order an event's payload names. */
function orderKey(data: unknown): string {
  const d = data as { creatorId: string; orderId: string };
  return JSON.stringify([d.creatorId, d.orderId]);
}

/** An event's stream and version, `offset` versions on. */
function versionKey(event: StoredEvent, offset: number): string {
  return `${event.aggregateId}@${event.version + offset}`;
}

/**
 * The shipments of the batch whose very next version is a `fulfilled`
 * release: written in the same append as the release of everything the order
 * held at that version (`InventoryService.appendWithRelease`, or a release of
 * an earlier delivery of this shipment), so there is nothing left to release.
 */
function shipmentsReleased(events: readonly StoredEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.type !== 'inventory.released') continue;
    if ((e.data as EventPayload<'inventory.released'>).reason === 'fulfilled') out.add(versionKey(e, -1));
  }
  return out;
}

/** The index of each order's last `inventory.reserved` in the batch. */
function lastReservations(events: readonly StoredEvent[]): Map<string, number> {
  const at = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.type === 'inventory.reserved') at.set(orderKey(e.data), i);
  });
  return at;
}
