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
}

/**
 * Gathers items into batches flushed one at a time.
 *
 * @example
 * ```ts
 * const writes = new Batcher((items) => store.record(owner, items), { maxBatch: 500 });
 * const [applied] = [await writes.push(write)];
 * ```
 */
export class Batcher<T, R> {
  readonly #flush: (items: T[]) => Promise<R[]>;
  readonly #maxBatch: number;
  #queue: Pending<T, R>[] = [];
  #running: Promise<void> | undefined;

  constructor(flush: (items: T[]) => Promise<R[]>, options: BatcherOptions) {
    this.#flush = flush;
    this.#maxBatch = options.maxBatch;
  }

  /** Queue an item; resolves with its result once its batch is flushed. */
  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let the callers of this tick join the first batch.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        await this.#flushBatch(batch);
      }
    } finally {
      this.#running = undefined;
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
