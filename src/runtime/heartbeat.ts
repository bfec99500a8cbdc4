/**
 * The one heartbeat of the library: renews leases on a timer. One beat is in
 * flight at a time (a hung renewal cannot pile up more), the next beat is timed
 * from when the last one was sent, and after a failed beat the next comes
 * sooner, so one lost round trip does not cost a lease.
 */

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  /** Time between the sending of two beats, in ms. */
  intervalMs: number;
  /**
   * One beat. `sentAt` is `performance.now()` just before it started: a lease
   * it renews lasts at least until `sentAt + ttl`. Resolve `false` to stop
   * beating (the lease is gone); throw to report a failure and beat again sooner.
   */
  beat: (sentAt: number) => Promise<boolean | void>;
  /** A beat threw (a database error). Default: ignored. */
  onError?: ((err: unknown) => void) | undefined;
  /** Delay after a failed beat. Default a quarter of the interval (at least 10 ms). */
  retryAfterFailureMs?: number | undefined;
}

/**
 * A timer that calls `beat` every `intervalMs` until stopped.
 *
 * @example
 * ```ts
 * const heartbeat = new Heartbeat({
 *   intervalMs: 2_000,
 *   beat: async () => renewLease(target, 6_000),
 *   onError: (err) => log.warn({ err }, 'renewal failed'),
 * });
 * heartbeat.start();
 * // …
 * heartbeat.stop();
 * ```
 */
export class Heartbeat {
  readonly intervalMs: number;
  readonly #beat: HeartbeatOptions['beat'];
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #retryAfterFailureMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** The generation whose beat is in flight, if any: a beat of an earlier run blocks no beat of this one. */
  #beating: number | undefined;
  /** Bumped by start() and stop(), so a beat of an earlier run schedules nothing. */
  #generation = 0;

  constructor(options: HeartbeatOptions) {
    this.intervalMs = options.intervalMs;
    this.#beat = options.beat;
    this.#onError = options.onError;
    this.#retryAfterFailureMs =
      options.retryAfterFailureMs ?? Math.max(10, Math.floor(options.intervalMs / 4));
  }

  /** True between start() and stop() (or a beat that resolved false). */
  get running(): boolean {
    return this.#running;
  }

  /** Start beating; the first beat comes after `firstDelayMs` (default one interval). Restarts a running heartbeat. */
  start(firstDelayMs: number = this.intervalMs): void {
    this.#generation += 1;
    this.#running = true;
    this.#schedule(firstDelayMs);
  }

  /** Stop beating; a beat in flight finishes but schedules no other. */
  stop(): void {
    this.#generation += 1;
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), Math.max(0, delayMs));
    this.#timer.unref?.();
  }

  async #run(): Promise<void> {
    const generation = this.#generation;
    if (this.#beating === generation || !this.#running) return;
    this.#beating = generation;
    const sentAt = performance.now();
    let next: number | undefined;
    try {
      const goOn = await this.#beat(sentAt);
      if (goOn !== false) next = sentAt + this.intervalMs - performance.now();
    } catch (err) {
      if (generation === this.#generation) {
        this.#onError?.(err);
        next = this.#retryAfterFailureMs;
      }
    } finally {
      if (this.#beating === generation) this.#beating = undefined;
    }
    if (generation !== this.#generation) return;
    if (next === undefined) this.#running = false;
    else this.#schedule(next);
  }
}
