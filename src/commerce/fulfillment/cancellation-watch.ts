/**
 * Whether an order was cancelled, read from where the last look stopped. A
 * stream is append-only and gapless, so "no `order.cancelled` up to version
 * v" stays true for good: a look reads only the events after the version the
 * previous one reached (or this process's own append of events that are no
 * cancellation), and still sees a cancellation committed just before it.
 */
import { LRUCache } from 'lru-cache';
import type { AppendResult, EventStore, NewEvent } from '../../store/types.js';

/** Streams remembered per process; the oldest is forgotten first (its next look reads it whole). */
const MAX_STREAMS = 10_000;

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
  /** Stream → the version up to which it holds no cancellation. */
  readonly #clean = new LRUCache<string, number>({ max: MAX_STREAMS });

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** True when the stream holds an `order.cancelled`, as of now. */
  async isCancelled(streamId: string): Promise<boolean> {
    const from = this.#clean.get(streamId) ?? 0;
    const { events } = await this.#store.readStream(streamId, { fromVersion: from + 1 });
    if (events.some((e) => e.type === 'order.cancelled')) return true;
    // Only versions actually read count: the stream's own version may be ahead of a capped read.
    this.#advance(streamId, from, events.at(-1)?.version ?? from);
    return false;
  }

  /**
   * This process appended `events` (`result` of that append, a replayed one
   * too: it names the same events). When they follow what was looked at
   * already and none is a cancellation, the next look starts after them.
   */
  appended(streamId: string, result: AppendResult, events: readonly NewEvent[]): void {
    const from = this.#clean.get(streamId);
    if (from === undefined || events.some((e) => e.type === 'order.cancelled')) return;
    if (result.nextVersion - events.length <= from) this.#advance(streamId, from, result.nextVersion);
  }

  #advance(streamId: string, from: number, to: number): void {
    this.#clean.set(streamId, Math.max(from, to));
  }
}
