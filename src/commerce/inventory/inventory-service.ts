/**
 * Reservations: allocate an order's lines against available stock, release
 * what an order still holds. Reservations live in the order's stream, so the
 * outstanding units of an order are read from one stream and every release
 * is guarded by optimistic concurrency (never released twice).
 */
import { actorMetadata, type ActorRef } from '../../access/acting-principal.js';
import { assertActor } from '../../access/actor-check.js';
import { isConcurrencyError } from '../../core/errors.js';
import type { RetryPolicy } from '../../runtime/retry-policy.js';
import { withRetry } from '../../runtime/with-retry.js';
import type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  JoinedWrite,
  NewEvent,
} from '../../store/types.js';
import { commerceEvent, type EventPayload } from '../events/catalog.js';
import type { RELEASE_REASONS } from '../events/inventory-events.js';
import { InsufficientStockError, type StockShortfall } from '../errors.js';
import type { ReadModelSet } from '../read-models/read-model-set.js';
import { toNumber } from '../read-models/row-values.js';
import { emptyHoldings, foldHoldings, type OrderHoldings } from './order-holdings.js';
import { STOCK_GUARD_METADATA } from './stock-guard.js';
import { orderStream } from './streams.js';

/** Why units are released. */
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/** One line to allocate. */
export interface AllocationLine {
  productId: string;
  quantity: number;
}

/**
 * Options of {@link InventoryService}.
 *
 * @example
 * ```ts
 * const inventory = new InventoryService({ store, readModels: commerce.readModels });
 * ```
 */
export interface InventoryServiceOptions {
  store: EventStore;
  readModels: ReadModelSet;
}

/**
 * Allocation and release of stock for orders. It checks no principal (the
 * sagas and the inventory handler that call it act for no request), but every
 * write names its actor (`actor`, recorded as metadata `actor` and `userId`):
 * a missing one throws `PRINCIPAL_MISSING`, a malformed or forged one
 * `PRINCIPAL_INVALID`, before anything is read or written.
 *
 * @example
 * ```ts
 * const inventory = new InventoryService({ store, readModels });
 * const actor = systemActor('restock-import');
 * await inventory.allocate({ creatorId: 'c1', orderId: 'o1', lines: [{ productId: 'p1', quantity: 2 }], actor });
 * await inventory.release({ creatorId: 'c1', orderId: 'o1', reason: 'cancelled', actor });
 * ```
 */
export class InventoryService {
  readonly #store: EventStore;
  readonly #readModels: ReadModelSet;

  constructor(options: InventoryServiceOptions) {
    this.#store = options.store;
    this.#readModels = options.readModels;
  }

  /**
   * Check available stock for every line and, if all fit, append
   * `order.inventory_allocated` and one `inventory.reserved` per product in
   * one append. Throws {@link InsufficientStockError} otherwise (products
   * without an `inventory_levels` row have no stock).
   *
   * The check before the append gives a fast, clear answer but can race with
   * another allocation; the append itself is checked again in its transaction
   * (see `stock-guard.ts`; with async read models against an inline copy of
   * `inventory_levels`), so of concurrent allocations for the last units only
   * those that fit are written, the others throw {@link InsufficientStockError}
   * and write nothing.
   *
   * A repeated call (a retry) returns what the order holds already. Without an
   * `idempotencyKey` the order's stream is read first to find out; with one the
   * repeated append is answered by the key (nothing is written twice) and the
   * stream is read only when the stock looks short — the first call's
   * reservations may be what took it. So with a key, units the order holds
   * from anything other than this call are not looked for.
   *
   * `completeWith` (a saga step's `StepContext.completeWith`) is given what
   * the call returns when it appends, before the append, and its options go
   * into the append: the step's completion commits in the append's statement.
   * A call that returns without appending (held already) never calls it.
   */
  async allocate(request: {
    creatorId: string;
    orderId: string;
    lines: readonly AllocationLine[];
    idempotencyKey?: string;
    /** Who allocates (required: `PRINCIPAL_MISSING` / `PRINCIPAL_INVALID`). */
    actor: ActorRef;
    metadata?: EventMetadata;
    /** Options committed in the append's statement, given what the call returns (`StepContext.completeWith`). */
    completeWith?: (allocated: AllocationLine[]) => Pick<AppendOptions, 'joined'>;
  }): Promise<AllocationLine[]> {
    const { creatorId, orderId } = request;
    const metadata = actingMetadata(request, 'InventoryService.allocate');
    const wanted = new Map<string, number>();
    for (const line of request.lines)
      wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
    const allocations = [...wanted].map(([productId, quantity]) => ({ productId, quantity }));
    // Allocated already (a retry after the append went through): our own reservations are not a
    // shortfall. With a key the append answers a retry itself (the first append's result), so the
    // order's stream is read only when the stock looks short, which our own reservation may explain.
    const keyed = request.idempotencyKey !== undefined;
    const alreadyHeld = async () => heldLines(await this.held(creatorId, orderId));
    if (!keyed) {
      const held = await alreadyHeld();
      if (held.length > 0) return held;
    }
    // The rows the guard judges: current with every committed append in both modes.
    const levels = await this.#readModels
      .guardedTable('inventory_levels')
      .load(allocations.map((a) => ({ creator_id: creatorId, product_id: a.productId })));
    const byProduct = new Map(
      [...levels.values()].map((r) => [String(r['product_id']), toNumber(r['available'])]),
    );
    const shortfalls: StockShortfall[] = allocations
      .map((a) => ({
        productId: a.productId,
        requested: a.quantity,
        available: byProduct.get(a.productId) ?? 0,
      }))
      .filter((s) => s.available < s.requested);
    if (shortfalls.length > 0) {
      const held = keyed ? await alreadyHeld() : [];
      if (held.length > 0) return held;
      throw new InsufficientStockError(orderId, shortfalls);
    }
    const events: NewEvent[] = [
      commerceEvent('order.inventory_allocated', { creatorId, orderId, allocations }),
      ...allocations.map((a) =>
        commerceEvent(
          'inventory.reserved',
          { creatorId, orderId, ...a },
          { metadata: { [STOCK_GUARD_METADATA]: true } },
        ),
      ),
    ];
    // What this call returns is known before its append, so a step's completion can go in it.
    await this.#store.append(orderStream(creatorId, orderId), events, {
      aggregateType: 'order',
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      metadata,
      ...request.completeWith?.(allocations),
    });
    return allocations;
  }

  /**
   * Reserve an allocation that has no reservations yet (an
   * `order.inventory_allocated` written by someone else than {@link allocate}).
   */
  async reserveAllocation(
    payload: EventPayload<'order.inventory_allocated'>,
    actor: ActorRef,
    extra?: EventMetadata,
  ): Promise<number> {
    const { creatorId, orderId } = payload;
    const metadata = actingMetadata({ actor, metadata: extra }, 'InventoryService.reserveAllocation');
    const done = await this.#withStream(creatorId, orderId, async ({ held }) => {
      if (held.size > 0) return { events: [], result: 0 };
      const events = payload.allocations.map((a) =>
        commerceEvent('inventory.reserved', { creatorId, orderId, ...a }),
      );
      return { events, result: events.length, metadata };
    });
    return done.result;
  }

  /**
   * Release every unit the order still holds (reserved minus released), one
   * `inventory.released` per product. Returns the units released (0 when
   * nothing was held — a second release is a no-op).
   */
  async release(request: {
    creatorId: string;
    orderId: string;
    reason: ReleaseReason;
    /** Who releases (required: `PRINCIPAL_MISSING` / `PRINCIPAL_INVALID`). */
    actor: ActorRef;
    metadata?: EventMetadata;
  }): Promise<number> {
    const { creatorId, orderId, reason } = request;
    const metadata = actingMetadata(request, 'InventoryService.release');
    const done = await this.#withStream(creatorId, orderId, async ({ held }) => ({
      events: releaseEvents(creatorId, orderId, held, reason),
      result: unitsOf(held),
      metadata,
    }));
    return done.result;
  }

  /**
   * Put back on the shelf what the order's shipment took (units released as
   * `fulfilled` and not returned yet), one `inventory.released` with reason
   * `returned` per product: a cancelled order whose parcel comes back. Returns
   * the units returned (0 when nothing had shipped — a second call is a no-op).
   */
  async returnShipped(request: {
    creatorId: string;
    orderId: string;
    /** Who returns the units (required: `PRINCIPAL_MISSING` / `PRINCIPAL_INVALID`). */
    actor: ActorRef;
    metadata?: EventMetadata;
  }): Promise<number> {
    const { creatorId, orderId } = request;
    const metadata = actingMetadata(request, 'InventoryService.returnShipped');
    const done = await this.#withStream(creatorId, orderId, async ({ shipped }) => ({
      events: releaseEvents(creatorId, orderId, shipped, 'returned'),
      result: unitsOf(shipped),
      metadata,
    }));
    return done.result;
  }

  /**
   * Append `events` (an order's shipment: `order.shipped`) and, in the same
   * append, the release of every unit the order holds, one
   * `inventory.released` per product with `reason`: what the shipment takes
   * is exactly what the order holds at that version, and the inventory
   * handler, seeing the release written with the shipment, reads and
   * releases nothing more. `known` (the stream's version and holdings as the
   * caller folded them, e.g. the fulfillment saga's cancellation watch) saves
   * the read; after a concurrent write the stream is read again and the
   * release decided anew. Returns the append's result and the units released
   * (by this call: 0 when the key's earlier append is replayed).
   *
   * @example
   * ```ts
   * await inventory.appendWithRelease({
   *   creatorId: 'c1', orderId: 'o1', reason: 'fulfilled', idempotencyKey: 'ship:o1', actor,
   *   events: [commerceEvent('order.shipped', { creatorId: 'c1', orderId: 'o1', provider: 'shippo' })],
   * });
   * ```
   */
  async appendWithRelease(request: {
    creatorId: string;
    orderId: string;
    events: readonly NewEvent[];
    reason: ReleaseReason;
    idempotencyKey?: string;
    /** Who ships (required: `PRINCIPAL_MISSING` / `PRINCIPAL_INVALID`). */
    actor: ActorRef;
    metadata?: EventMetadata;
    known?: { version: number; holdings: OrderHoldings };
    /** Committed in the append's statement (a saga step's completion, `StepContext.completeWith`). */
    joined?: JoinedWrite;
  }): Promise<{ units: number; append: AppendResult }> {
    const { creatorId, orderId, reason } = request;
    const metadata = actingMetadata(request, 'InventoryService.appendWithRelease');
    const done = await this.#withStream(
      creatorId,
      orderId,
      async ({ held }) => ({
        events: [...request.events, ...releaseEvents(creatorId, orderId, held, reason)],
        result: unitsOf(held),
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
        metadata,
        ...(request.joined === undefined ? {} : { joined: request.joined }),
      }),
      request.known,
    );
    const append = done.append!; // the shipment's events are never empty
    return { units: append.duplicate ? 0 : done.result, append };
  }

  /** Units the creator's order holds per product (reserved minus released). */
  async held(creatorId: string, orderId: string): Promise<Map<string, number>> {
    return (await this.#read(creatorId, orderId)).holdings.held;
  }

  async #read(creatorId: string, orderId: string): Promise<{ version: number; holdings: OrderHoldings }> {
    const { version, events } = await this.#store.readStream(orderStream(creatorId, orderId));
    return { version, holdings: foldHoldings(emptyHoldings(), events) };
  }

  /**
   * Decide on the order stream as read (or as `known`), append at that
   * version; on a concurrent write read it again and decide anew.
   */
  async #withStream<T>(
    creatorId: string,
    orderId: string,
    decide: (holdings: OrderHoldings) => Promise<{
      events: NewEvent[];
      result: T;
      idempotencyKey?: string;
      metadata?: EventMetadata;
      joined?: JoinedWrite;
    }>,
    known?: { version: number; holdings: OrderHoldings },
  ): Promise<{ result: T; append?: AppendResult }> {
    let given = known;
    return withRetry(
      async () => {
        const state = given ?? (await this.#read(creatorId, orderId));
        given = undefined; // a retry follows a concurrent write: read again
        const decision = await decide(state.holdings);
        if (decision.events.length === 0) return { result: decision.result };
        const append = await this.#store.append(orderStream(creatorId, orderId), decision.events, {
          aggregateType: 'order',
          expectedVersion: state.version,
          ...(decision.idempotencyKey === undefined ? {} : { idempotencyKey: decision.idempotencyKey }),
          ...(decision.metadata === undefined ? {} : { metadata: decision.metadata }),
          ...(decision.joined === undefined ? {} : { joined: decision.joined }),
        });
        return { result: decision.result, append };
      },
      REREAD_ON_CONFLICT,
      { shouldRetry: isConcurrencyError },
    );
  }
}

/** The metadata of a write by `actor` (checked first: nothing is written without one). */
function actingMetadata(
  request: { actor: ActorRef; metadata?: EventMetadata | undefined },
  what: string,
): EventMetadata {
  assertActor(request.actor, what);
  return { ...request.metadata, ...actorMetadata(request.actor) };
}

/**
 * Another write to the order stream moved its version: read it again and
 * decide anew, at once (waiting would not help), up to 10 times in all.
 */
const REREAD_ON_CONFLICT: Readonly<RetryPolicy> = Object.freeze({
  attempts: 10,
  minTimeoutMs: 0,
  maxTimeoutMs: 0,
  factor: 1,
  jitter: false,
});

/** One `inventory.released` per product the order holds units of. */
function releaseEvents(
  creatorId: string,
  orderId: string,
  held: ReadonlyMap<string, number>,
  reason: ReleaseReason,
): NewEvent[] {
  return [...held]
    .filter(([, quantity]) => quantity > 0)
    .map(([productId, quantity]) =>
      commerceEvent('inventory.released', { creatorId, orderId, productId, quantity, reason }),
    );
}

/** The units of a per-product count (positive entries only). */
function unitsOf(units: ReadonlyMap<string, number>): number {
  return [...units.values()].reduce((a, b) => a + Math.max(0, b), 0);
}

/** The lines an order holds units of. */
function heldLines(held: Map<string, number>): AllocationLine[] {
  return [...held].filter(([, q]) => q > 0).map(([productId, quantity]) => ({ productId, quantity }));
}
