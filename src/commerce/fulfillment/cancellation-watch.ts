/**
 * Whether an order was cancelled, read from where the last look stopped. A
 * stream is append-only and gapless, so "no `order.cancelled` up to version
 * v" stays true for good: a look reads only the events after the version the
 * previous one reached (or this process's own append of events that are no
 * cancellation), and still sees a cancellation committed just before it.
 * Each look also folds the order's holdings up to that version, so the
 * shipment can release exactly what the order holds without reading again.
 */
import { LRUCache } from 'lru-cache';
import type { AppendResult, EventStore, NewEvent, StoredEvent } from '../../store/types.js';
import {
  copyHoldings,
  emptyHoldings,
  foldHoldings,
  type OrderHoldings,
} from '../inventory/order-holdings.js';

/** Streams remembered per process; the oldest is forgotten first (its next look reads it whole). */
const MAX_STREAMS = 10_000;

/** A stream as far as it was looked at: every event up to `version` folded, none a cancellation. */
interface Clean {
  version: number;
  holdings: OrderHoldings;
}

/** What a look found. */
export interface OrderLook {
  cancelled: boolean;
  /** The version read up to (the stream's version as of the look). */
  version: number;
  /** What the order holds at `version` (a copy: the caller may keep it). */
  holdings: OrderHoldings;
}

/**
 * Cancellation checks of order streams, each reading only the stream's tail.
 *
 * @example
 * ```ts
 * const watch = new CancellationWatch(store);
 * if (await watch.isCancelled(orderStream('c1', 'o1'))) return;
 * watch.appended(orderStream('c1', 'o1'), await store.append(orderStream('c1', 'o1'), events), events);
 * ```
 */
export class CancellationWatch {
  readonly #store: EventStore;
  readonly #clean = new LRUCache<string, Clean>({ max: MAX_STREAMS });

  constructor(store: EventStore) {
    this.#store = store;
  }

  /**
   * Known from elsewhere (a saga's state, the page that triggered it): the
   * stream holds no cancellation and no inventory event up to `version`. The
   * next look reads only what comes after (unless it knows more already).
   */
  seed(streamId: string, version: number | undefined): void {
    if (version !== undefined && version > 0) this.#advance(streamId, { version, holdings: emptyHoldings() });
  }

  /**
   * The version up to which the stream is known to hold no cancellation and
   * no inventory event (what {@link seed} takes back), or undefined.
   */
  cleanThrough(streamId: string): number | undefined {
    const known = this.#clean.get(streamId);
    if (known === undefined || known.holdings.held.size > 0 || known.holdings.shipped.size > 0)
      return undefined;
    return known.version;
  }

  /** True when the stream holds an `order.cancelled`, as of now. */
  async isCancelled(streamId: string): Promise<boolean> {
    return (await this.look(streamId)).cancelled;
  }

  /** Read the stream's tail: whether it is cancelled, and its version and holdings as of now. */
  async look(streamId: string): Promise<OrderLook> {
    const known = this.#clean.get(streamId) ?? { version: 0, holdings: emptyHoldings() };
    const { events } = await this.#store.readStream(streamId, { fromVersion: known.version + 1 });
    // Only versions actually read count: the stream's own version may be ahead of a capped read.
    const version = events.at(-1)?.version ?? known.version;
    const holdings = foldHoldings(copyHoldings(known.holdings), events);
    const cancelled = events.some((e) => e.type === 'order.cancelled');
    if (!cancelled) this.#advance(streamId, { version, holdings });
    return { cancelled, version, holdings: copyHoldings(holdings) };
  }

  /**
   * This process appended `events` (`result` of that append). When they
   * directly follow what was looked at already and none is a cancellation,
   * the next look starts after them. A replayed append is not folded: the
   * events stored may differ from the ones given now (the next look reads them).
   */
  appended(streamId: string, result: AppendResult, events: readonly NewEvent[]): void {
    const known = this.#clean.get(streamId);
    if (known === undefined || events.some((e) => e.type === 'order.cancelled')) return;
    if (result.nextVersion <= known.version) return;
    const first = result.nextVersion - events.length + 1;
    if (result.duplicate || first !== known.version + 1) return;
    this.#advance(streamId, {
      version: result.nextVersion,
      holdings: foldHoldings(copyHoldings(known.holdings), events),
    });
  }

  /** Remember `next` unless a concurrent look got further already. */
  #advance(streamId: string, next: Clean): void {
    const current = this.#clean.get(streamId);
    if (current === undefined || current.version < next.version) this.#clean.set(streamId, next);
  }
}

/**
 * The version of the last of `history` (a stream from version 1 on, e.g. a
 * saga trigger's `streamInPage()`) when none of it is a cancellation or an
 * inventory event: what {@link CancellationWatch.seed} takes. Undefined
 * otherwise, or without a history.
 *
 * @example
 * ```ts
 * cleanVersionOf(undefined); // undefined
 * ```
 */
export function cleanVersionOf(history: readonly StoredEvent[] | undefined): number | undefined {
  if (history === undefined || history.length === 0) return undefined;
  const clean = history.every((e) => !DIRTY.has(e.type));
  return clean ? history.at(-1)!.version : undefined;
}

/** Event types a clean stream prefix holds none of. */
const DIRTY: ReadonlySet<string> = new Set(['order.cancelled', 'inventory.reserved', 'inventory.released']);
