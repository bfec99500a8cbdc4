/**
 * Group commit for saga writes: calls made while a flush is in flight are
 * gathered and flushed together (one statement, one commit), while each caller
 * still gets its own result. When a whole batch fails, its items are retried
 * one by one so a bad item fails only its own caller.
 */

interface Pending<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Most items per flush. */
  maxBatch: number;
  /** Flushes in flight at once (each on its own connection). Default 1. */
  maxInFlight?: number;
}

/**
 * Gathers items into batches; at most `maxInFlight` flushes run at once and
 * whatever arrives meanwhile waits for the next one.
 *
 * @example
 * ```ts
 * const writes = new Batcher((items) => store.record(owner, items), { maxBatch: 500 });
 * const applied = await writes.push(write);
 * ```
 */
export class Batcher<T, R> {
  readonly #flush: (items: T[]) => Promise<R[]>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #queue: Pending<T, R>[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idleWaiters: (() => void)[] = [];

  constructor(flush: (items: T[]) => Promise<R[]>, options: BatcherOptions) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch;
    this.#maxInFlight = options.maxInFlight ?? 1;
  }

  /** Queue an item; resolves with its result once its batch is flushed. */
  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // Let the callers of this tick join the same batch.
      queueMicrotask(() => {
        this.#scheduled = false;
        this.#fill();
      });
    });
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #fill(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight += 1;
      void this.#flushBatch(batch).finally(() => {
        this.#inFlight -= 1;
        this.#fill();
        if (this.#queue.length === 0 && this.#inFlight === 0) {
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
        }
      });
    }
  }

  async #flushBatch(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.#flush(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i] as R));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          const [result] = await this.#flush([p.item]);
          p.resolve(result as R);
        } catch (itemErr) {
          p.reject(itemErr);
        }
      }
    }
  }
}
