/**
 * What an order's stream says about its stock, folded event by event: the
 * units it holds per product (reserved minus released) and the units its
 * shipment took and no return brought back. A fold, so a reader that has
 * folded up to version v can go on from v + 1 with the events after it.
 */
import type { RELEASE_REASONS } from '../events/inventory-events.js';

/** Units per product an order holds and has shipped. */
export interface OrderHoldings {
  /** Reserved minus released, per product (a product can reach 0). */
  held: Map<string, number>;
  /** Released as `fulfilled` minus `returned`, per product. */
  shipped: Map<string, number>;
}

/** An event as far as the fold looks at it (a stored event or one about to be appended). */
export interface HoldingsEvent {
  type: string;
  data: unknown;
}

/** Holdings of a stream with no inventory events yet. */
export function emptyHoldings(): OrderHoldings {
  return { held: new Map(), shipped: new Map() };
}

/**
 * Fold `events` (in version order) into `holdings`, in place; returns it.
 *
 * @example
 * ```ts
 * const { held } = foldHoldings(emptyHoldings(), (await store.readStream(orderStream('c1', 'o1'))).events);
 * ```
 */
export function foldHoldings(holdings: OrderHoldings, events: readonly HoldingsEvent[]): OrderHoldings {
  const add = (m: Map<string, number>, productId: string, n: number) =>
    m.set(productId, (m.get(productId) ?? 0) + n);
  for (const e of events) {
    if (e.type !== 'inventory.reserved' && e.type !== 'inventory.released') continue;
    const d = e.data as { productId: string; quantity: number; reason?: (typeof RELEASE_REASONS)[number] };
    if (e.type === 'inventory.reserved') add(holdings.held, d.productId, d.quantity);
    else if (d.reason === 'returned') add(holdings.shipped, d.productId, -d.quantity);
    else {
      add(holdings.held, d.productId, -d.quantity);
      if (d.reason === 'fulfilled') add(holdings.shipped, d.productId, d.quantity);
    }
  }
  return holdings;
}

/** A copy that later folds do not change. */
export function copyHoldings(holdings: OrderHoldings): OrderHoldings {
  return { held: new Map(holdings.held), shipped: new Map(holdings.shipped) };
}
