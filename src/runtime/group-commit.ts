/**
 * Group commit: concurrent requests are gathered and written by one flush (one
 * statement or transaction, one fsync) while each caller still gets its own
 * result or error. The event store's appends and the saga runner's writes both
 * go through it.
 */

/** The outcome of one request inside a flush. */
export type FlushOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

/** The outcome of a request the flush gave none (a broken flush function). */
function missingOutcome<Result>(): FlushOutcome<Result> {
  return { ok: false, error: new Error('group commit returned no outcome for a request') };
}

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

/** A queued unit: one request, or several that must share one flush. */
interface Pending<Request, Result> {
  requests: readonly Request[];
  /** Called once with one outcome per request. */
  settle(outcomes: readonly FlushOutcome<Result>[]): void;
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
  /** Requests in the queue (a unit of several counts each). */
  #queued = 0;
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
      this.#enqueue({
        requests: [request],
        settle: ([outcome = missingOutcome<Result>()]) => {
          if (outcome.ok) resolve(outcome.value);
          else reject(outcome.error);
        },
      });
    });
  }

  /**
   * Queue several requests that must be written by one flush (never split
   * between flushes, whatever `maxBatch`; other requests may join it).
   * Resolves with one outcome per request, in order, once the flush ended:
   * a flush that throws fails every one of them (with `isolateFailures`,
   * each is then flushed alone).
   *
   * @example
   * ```ts
   * const outcomes = await writes.submitMany([first, second]);
   * if (!outcomes[1]!.ok) console.error(outcomes[1]!.error);
   * ```
   */
  submitMany(requests: readonly Request[]): Promise<FlushOutcome<Result>[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise<FlushOutcome<Result>[]>((resolve) => {
      this.#enqueue({
        requests: [...requests],
        settle: (outcomes) => resolve(requests.map((_, i) => outcomes[i] ?? missingOutcome<Result>())),
      });
    });
  }

  /** Resolves when nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(pending: Pending<Request, Result>): void {
    this.#queue.push(pending);
    this.#queued += pending.requests.length;
    this.#schedule();
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
    const size = Math.min(this.#maxBatch, Math.ceil(this.#queued / free));
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      // Whole units only: the first always, then those that still fit.
      const batch = [this.#queue.shift()!];
      let count = batch[0]!.requests.length;
      while (this.#queue.length > 0 && count + this.#queue[0]!.requests.length <= size) {
        const next = this.#queue.shift()!;
        count += next.requests.length;
        batch.push(next);
      }
      this.#queued -= count;
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
      outcomes = await this.#flush(batch.flatMap((p) => p.requests));
    } catch (err) {
      const requests = batch.reduce((n, p) => n + p.requests.length, 0);
      if (!this.#isolateFailures || requests === 1) {
        for (const pending of batch) pending.settle(pending.requests.map(() => ({ ok: false, error: err })));
        return;
      }
      // Each unit alone, then each request of a unit alone.
      if (batch.length > 1) for (const pending of batch) await this.#settle([pending]);
      else await this.#settleEach(batch[0]!);
      return;
    }
    let next = 0;
    for (const pending of batch) {
      pending.settle(outcomes.slice(next, next + pending.requests.length));
      next += pending.requests.length;
    }
  }

  /** The requests of one unit flushed one by one (a unit whose flush threw, with `isolateFailures`). */
  async #settleEach(pending: Pending<Request, Result>): Promise<void> {
    const outcomes: FlushOutcome<Result>[] = [];
    for (const request of pending.requests) {
      await this.#settle([
        {
          requests: [request],
          settle: ([outcome = missingOutcome<Result>()]) => outcomes.push(outcome),
        },
      ]);
    }
    pending.settle(outcomes);
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
