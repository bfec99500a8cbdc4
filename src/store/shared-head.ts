/**
 * One head read (or reader-lag read) for every caller of a store instance. A process runs many
 * processors and projections on one store; each waits for catch-up (often
 * once per batch) and reports its lag every few seconds, and each used to
 * read the head on its own (about a millisecond of database time a read).
 *
 * Two kinds of callers share the reads:
 * - exact ones (`whenCaughtUp`) need a read sent after they asked: it sees
 *   every commit before the call. Those asked for in the same turn share one,
 *   sent once the turn's microtasks have run.
 * - approximate ones (lag reports) take the last read if it was sent at most
 *   `maxAgeMs` ago and no wake-up (a commit of this process, or another's
 *   notification) came since; otherwise they ask for an exact one.
 *
 * `readerLag()` is shared the same way (`SharedHead<ReaderLag>`): the engine's
 * health and the metrics sampler ask for it together, every few seconds.
 */
import type { LogCheckpoint } from '../core/checkpoint.js';

/** The longest a lag report reuses a head read, ms (when no wake-up came since). */
export const SHARED_HEAD_MAX_AGE_MS = 1_000;

/** A head read sent at `sentAt` (performance.now()) in wake-up generation `generation`. */
interface HeadRead<T> {
  sentAt: number;
  generation: number;
  value: Promise<T>;
}

/**
 * Shares head reads (any value read from the log's head: the committed
 * checkpoint, the reader lag) between the callers of one store instance.
 *
 * @example
 * ```ts
 * const head = new SharedHead(() => reader.committedHead(), () => wakeups.generation);
 * const target = await head.read(); // sent after this call
 * const forLag = await head.read({ maxAgeMs: 1_000 }); // may be the last read
 * ```
 */
export class SharedHead<T = LogCheckpoint> {
  readonly #query: () => Promise<T>;
  readonly #generation: () => number;
  /** The read the current turn's exact callers wait for (not sent yet). */
  #turn: Promise<T> | undefined;
  #last: HeadRead<T> | undefined;

  /** `generation`: the store's wake-up count (`Wakeups.generation`); a new wake-up retires the last read. */
  constructor(query: () => Promise<T>, generation: () => number) {
    this.#query = query;
    this.#generation = generation;
  }

  /** The head from a read sent after this call, or (`maxAgeMs`) a recent one still current. */
  read(options: { maxAgeMs?: number } = {}): Promise<T> {
    const last = this.#last;
    if (
      options.maxAgeMs !== undefined &&
      last &&
      last.generation === this.#generation() &&
      performance.now() - last.sentAt <= options.maxAgeMs
    )
      return last.value;
    this.#turn ??= new Promise<T>((resolve, reject) => {
      afterMicrotasks(() => {
        this.#turn = undefined;
        const read: HeadRead<T> = {
          sentAt: performance.now(),
          generation: this.#generation(),
          value: this.#query(),
        };
        this.#last = read;
        read.value.then(resolve, (err: unknown) => {
          if (this.#last === read) this.#last = undefined;
          reject(err);
        });
      });
    });
    return this.#turn;
  }

  /** Forget the last read (the log changed under it: archive, restore). */
  forget(): void {
    this.#last = undefined;
  }
}

/** Run `fn` once the microtasks queued so far (and those they queue) have run. */
function afterMicrotasks(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}
