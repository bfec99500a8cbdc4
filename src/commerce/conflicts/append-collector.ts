/**
 * The appends of a settle pass's round, gathered while its windows are built
 * and written by one `EventStore.appendMany`: one transaction for every due
 * window (its outcome events, audit rows and staging delete) instead of one
 * per group-commit flush they happened to be spread over.
 */
import type { AppendOptions, AppendRequest, AppendResult, EventStore, NewEvent } from '../../store/types.js';

interface Collected {
  request: AppendRequest;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Collects appends until {@link AppendCollector.flush}, then writes them
 * together; each caller gets its own result or error. An append made after
 * the flush goes to the store alone.
 *
 * @example
 * ```ts
 * const collector = new AppendCollector(store);
 * const settling = windows.map((w) => resolver.resolve(w, { append: collector.append }));
 * await collector.flush();
 * const outcomes = await Promise.allSettled(settling);
 * ```
 */
export class AppendCollector {
  readonly #store: EventStore;
  readonly #collected: Collected[] = [];
  #flushed = false;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** `EventStore.append`'s signature: resolves once the flush wrote it. */
  readonly append = (
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> => {
    if (this.#flushed) return this.#store.append(streamId, events, options);
    return new Promise<AppendResult>((resolve, reject) => {
      const request: AppendRequest =
        options === undefined ? { streamId, events } : { streamId, events, options };
      this.#collected.push({ request, resolve, reject });
    });
  };

  /** Write what was collected, in one `appendMany`, and settle each caller. */
  async flush(): Promise<void> {
    this.#flushed = true;
    const collected = this.#collected.splice(0);
    if (collected.length === 0) return;
    let outcomes: PromiseSettledResult<AppendResult>[];
    try {
      outcomes = await this.#store.appendMany(collected.map((c) => c.request));
    } catch (error) {
      for (const c of collected) c.reject(error);
      return;
    }
    collected.forEach((c, i) => {
      const outcome = outcomes[i];
      if (outcome?.status === 'fulfilled') c.resolve(outcome.value);
      else c.reject(outcome ? outcome.reason : new Error('appendMany returned no outcome for an append'));
    });
  }
}
