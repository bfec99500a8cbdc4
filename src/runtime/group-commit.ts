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
  /**
   * The least work (see `sizeOf`) a flush is given when the queue is split
   * over several free slots: a queue of less than twice this goes out as one
   * flush. Each flush costs both processes a round trip and a transaction,
   * which on a busy or virtualised machine cost more than the small requests
   * a flush carries; only a queue with enough work to keep several flushes
   * busy is worth splitting. Default 1 (the queue is spread evenly over every
   * free slot).
   */
  minSplitSize?: number | undefined;
}

/** Options of a {@link GroupCommitter} whose requests name what they lock. */
export interface KeyedGroupCommitOptions<Request> extends GroupCommitOptions {
  /**
   * The keys (rows, streams) a request locks while its flush runs. A queued
   * unit sharing a key with a flush in flight is held back until that flush
   * ends, instead of waiting in the database on its lock with a connection
   * and a flush slot; a later unit sharing a key with a held one is held
   * too, so each key's requests are flushed in submission order. Units on
   * other keys pass held ones, and units sharing a key may still share one
   * flush. Default: no keys, nothing is held.
   */
  keysOf?: ((request: Request) => Iterable<string>) | undefined;
  /** The work of a request, for `minSplitSize` (the event store's: its events). Default 1. */
  sizeOf?: ((request: Request) => number) | undefined;
}

/** A queued unit: one request, or several that must share one flush. */
interface Pending<Request, Result> {
  requests: readonly Request[];
  /** What its requests lock (see `keysOf`); empty without `keysOf`. */
  keys: readonly string[];
  /** The work of its requests (see `sizeOf`). */
  size: number;
  /** Called once with one outcome per request. */
  settle(outcomes: readonly FlushOutcome<Result>[]): void;
}

/** Every key of the unit is in `keys` (a unit without keys is in none). */
function covers(keys: ReadonlySet<string>, pending: { keys: readonly string[] }): boolean {
  return pending.keys.length > 0 && pending.keys.every((key) => keys.has(key));
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
  readonly #minSplitSize: number;
  readonly #sizeOf: ((request: Request) => number) | undefined;
  readonly #keysOf: ((request: Request) => Iterable<string>) | undefined;
  /**
   * Queued units in submission order. The first `#heldCount` of them were
   * held back (a key in flight, or shared with an earlier held unit) since the
   * last flush ended: until one ends, a pump looks only at the units after
   * them, so a long queue behind a hot key is not rescanned per submission.
   */
  #queue: Pending<Request, Result>[] = [];
  #heldCount = 0;
  /** The keys of the held units. */
  readonly #heldKeys = new Set<string>();
  /** The keys of the flushes in flight, with how many of their units hold each. */
  readonly #busyKeys = new Map<string, number>();
  /** Requests in the queue (a unit of several counts each). */
  #queued = 0;
  /** Their work (see `sizeOf`). */
  #queuedSize = 0;
  #inFlight = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(flush: FlushFn<Request, Result>, options: KeyedGroupCommitOptions<Request> = {}) {
    this.#flush = flush;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.#isolateFailures = options.isolateFailures ?? false;
    this.#minSplitSize = Math.max(1, options.minSplitSize ?? 1);
    this.#sizeOf = options.sizeOf;
    this.#keysOf = options.keysOf;
  }

  /** Queue a request; resolves with its own result once its flush committed. */
  submit(request: Request): Promise<Result> {
    const requests = [request];
    return new Promise<Result>((resolve, reject) => {
      this.#enqueue({
        requests,
        keys: this.#keysOfAll(requests),
        size: this.#sizeOfAll(requests),
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
        keys: this.#keysOfAll(requests),
        size: this.#sizeOfAll(requests),
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
    this.#queuedSize += pending.size;
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

  #sizeOfAll(requests: readonly Request[]): number {
    const sizeOf = this.#sizeOf;
    if (sizeOf === undefined) return requests.length;
    let size = 0;
    for (const request of requests) size += sizeOf(request);
    return size;
  }

  #keysOfAll(requests: readonly Request[]): readonly string[] {
    const keysOf = this.#keysOf;
    if (keysOf === undefined) return [];
    if (requests.length === 1) return [...keysOf(requests[0]!)];
    const keys = new Set<string>();
    for (const request of requests) for (const key of keysOf(request)) keys.add(key);
    return [...keys];
  }

  #pump(): void {
    // Spread a long queue over the free slots: callers released together by
    // one flush come back together, and one big batch would leave the other
    // connections idle while it commits. A short one goes as one flush.
    const free = this.#maxInFlight - this.#inFlight;
    if (free <= 0 || this.#queue.length <= this.#heldCount) return;
    const flushes = Math.max(1, Math.min(free, Math.floor(this.#queuedSize / this.#minSplitSize)));
    const size = Math.min(this.#maxBatch, Math.ceil(this.#queued / flushes));
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > this.#heldCount) {
      const batch = this.#take(size);
      if (batch.length === 0) return; // every unit left is held back
      let count = 0;
      let work = 0;
      for (const pending of batch) {
        count += pending.requests.length;
        work += pending.size;
      }
      this.#queued -= count;
      this.#queuedSize -= work;
      this.#inFlight++;
      void this.#run(batch);
    }
  }

  /**
   * The next flush's units: whole units in submission order, the first one
   * that is not held always, then those that still fit in `size`. A unit is
   * held if a key of it is in flight or held already; it stays queued, ahead
   * of the units not looked at yet.
   */
  #take(size: number): Pending<Request, Result>[] {
    const queue = this.#queue;
    const batch: Pending<Request, Result>[] = [];
    const batchKeys = new Set<string>();
    let count = 0;
    let held = this.#heldCount;
    let next = held;
    // Look past at most this many held units: a queue of thousands behind
    // hot keys is not scanned whole for each flush (the units further back
    // wait for the ones ahead to go).
    const lookAhead = held + this.#maxBatch * this.#maxInFlight;
    for (; next < queue.length && held < lookAhead; next++) {
      const pending = queue[next]!;
      if (this.#isHeld(pending)) {
        queue[held++] = pending;
        for (const key of pending.keys) this.#heldKeys.add(key);
        continue;
      }
      const fits = count + pending.requests.length <= size;
      // A unit whose keys are all in this flush would be held behind it:
      // it joins the flush instead (up to maxBatch) rather than wait a round.
      const joins = !fits && count + pending.requests.length <= this.#maxBatch && covers(batchKeys, pending);
      if (batch.length > 0 && !fits && !joins) break;
      batch.push(pending);
      count += pending.requests.length;
      for (const key of pending.keys) batchKeys.add(key);
    }
    // Close the gaps the taken units left: held units first, then the rest.
    if (next > held) queue.splice(held, next - held);
    this.#heldCount = held;
    this.#holdKeys(batch, +1);
    return batch;
  }

  #isHeld(pending: Pending<Request, Result>): boolean {
    for (const key of pending.keys) if (this.#busyKeys.has(key) || this.#heldKeys.has(key)) return true;
    return false;
  }

  /** Mark the keys of a flush as in flight (+1) or no longer (-1); a key counts once per unit holding it. */
  #holdKeys(batch: readonly Pending<Request, Result>[], delta: 1 | -1): void {
    for (const pending of batch) {
      for (const key of pending.keys) {
        const holders = (this.#busyKeys.get(key) ?? 0) + delta;
        if (holders > 0) this.#busyKeys.set(key, holders);
        else this.#busyKeys.delete(key);
      }
    }
  }

  async #run(batch: Pending<Request, Result>[]): Promise<void> {
    try {
      await this.#settle(batch);
    } finally {
      this.#inFlight--;
      this.#holdKeys(batch, -1);
      // Keys came free: the held units are looked at again, in order.
      this.#heldCount = 0;
      this.#heldKeys.clear();
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
          keys: pending.keys,
          size: 1,
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
