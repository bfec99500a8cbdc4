/**
 * Group commit: concurrent requests are gathered and written by one flush (one
 * statement or transaction, one fsync) while each caller still gets its own
 * result or error. The event store's appends and the saga runner's writes both
 * go through it.
 */

/** The outcome of one request inside a flush. */
export type FlushOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

/** Writes a batch; returns one outcome per request, in order. Throwing fails the whole batch. */
export type FlushFn<Request, Result> = (batch: readonly Request[]) => Promise<FlushOutcome<Result>[]>;

/** Options of {@link GroupCommitter}. */
export interface GroupCommitOptions {
  /** Most requests per flush. Default 500. */
  maxBatch?: number | undefined;
  /** Flushes allowed in flight at once (each holds a connection). Default 2. */
  maxInFlight?: number | undefined;
  /**
   * When a flush of several requests throws, flush each of them alone, in
   * order, so a bad request fails only its own caller. Default false: every
   * caller of the batch gets the error (for a flush that isolates failures
   * itself, as the event store's does by bisection).
   */
  isolateFailures?: boolean | undefined;
}

interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * A batcher with no timer: a request is flushed at once when a flush slot is
 * free, and otherwise joins the next flush. Under load batches grow by
 * themselves; an idle writer adds no latency.
 *
 * @example
 * ```ts
 * const writes = new GroupCommitter(
 *   async (batch) => (await store.record(owner, batch)).map((value) => ({ ok: true, value })),
 *   { maxBatch: 500, isolateFailures: true },
 * );
 * const applied = await writes.submit(write);
 * ```
 */
export class GroupCommitter<Request, Result> {
  readonly #flush: FlushFn<Request, Result>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #isolateFailures: boolean;
  #queue: Pending<Request, Result>[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(flush: FlushFn<Request, Result>, options: GroupCommitOptions = {}) {
    this.#flush = flush;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.#isolateFailures = options.isolateFailures ?? false;
  }

  /** Queue a request; resolves with its own result once its flush committed. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // One microtask lets the requests of a synchronous burst share a flush.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    // Spread the queue over the free slots: callers released together by one
    // flush come back together, and one big batch would leave the other
    // connections idle while it commits.
    const free = this.#maxInFlight - this.#inFlight;
    if (free <= 0 || this.#queue.length === 0) return;
    const size = Math.min(this.#maxBatch, Math.ceil(this.#queue.length / free));
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, size);
      this.#inFlight++;
      void this.#run(batch);
    }
  }

  async #run(batch: Pending<Request, Result>[]): Promise<void> {
    try {
      await this.#settle(batch);
    } finally {
      this.#inFlight--;
      if (this.#queue.length > 0) this.#pump();
      else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #settle(batch: Pending<Request, Result>[]): Promise<void> {
    let outcomes: FlushOutcome<Result>[];
    try {
      outcomes = await this.#flush(batch.map((p) => p.request));
    } catch (err) {
      if (!this.#isolateFailures || batch.length === 1) {
        for (const pending of batch) pending.reject(err);
        return;
      }
      for (const pending of batch) await this.#settle([pending]);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (!outcome) pending.reject(new Error('group commit returned no outcome for a request'));
      else if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}

/**
 * Adapt a flush that returns one plain result per request (and throws on any
 * failure) to a {@link FlushFn}.
 *
 * @example
 * ```ts
 * new GroupCommitter(allSucceed((batch) => store.insert(batch)), { isolateFailures: true });
 * ```
 */
export function allSucceed<Request, Result>(
  flush: (batch: Request[]) => Promise<Result[]>,
): FlushFn<Request, Result> {
  return async (batch) => (await flush([...batch])).map((value) => ({ ok: true, value }));
}
