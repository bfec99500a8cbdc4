/**
 * The one poll loop of the library, in the manner of pg-boss's `Worker`: run a
 * turn (fetch and handle), then go on at once, or wait on a notification or the
 * interval, whichever comes first; stop cleanly, waiting for the turn in
 * flight; turn failures go to `onError`, never out as unhandled rejections.
 */
import { WakeableSleep } from './wakeable-sleep.js';

/** A pause before the next turn. */
export interface PollWait {
  /** At most this long; `Infinity` waits for a wake (or `stop()`) only. */
  ms: number;
  /** Whether a {@link PollLoop.wake} ends it early (default true). A wake during a pause that ignores it is kept for later. */
  wakeable?: boolean;
}

/** What follows a turn: `'again'` (more is waiting), a {@link PollWait}, or `'stop'`. */
export type PollOutcome = 'again' | 'stop' | PollWait;

/**
 * Options of {@link PollLoop}.
 *
 * @example
 * ```ts
 * const options: PollLoopOptions = {
 *   turn: async () => ((await fetchAndHandle()) > 0 ? 'again' : { ms: 1_000 }),
 *   onError: (err) => { log.error({ err }, 'poll failed'); },
 * };
 * ```
 */
export interface PollLoopOptions {
  /** One turn: fetch and handle. */
  turn: () => Promise<PollOutcome>;
  /**
   * A turn threw: report it, and say what follows (default: wait
   * `errorBackoffMs`, not cut short by wakes). Not called for a turn that
   * fails after `stop()`: stopping ends work in flight.
   */
  onError: (err: unknown) => PollOutcome | void;
  /** Pause after a failed turn when `onError` names none (default 1 000 ms). */
  errorBackoffMs?: number;
  /** Let the process exit during a pause, as an unref'd timer does (default false). */
  unref?: boolean;
}

/**
 * Options of {@link PollLoop.start}.
 *
 * @example
 * ```ts
 * // A ticker: the first turn one interval after start, as setInterval would.
 * const options: PollStartOptions = { first: { ms: 15_000 } };
 * ```
 */
export interface PollStartOptions {
  /** A pause before the first turn (default none: the first turn runs at once). */
  first?: PollWait;
}

/**
 * Runs turns until stopped.
 *
 * @example
 * ```ts
 * const loop = new PollLoop({
 *   turn: async () => ((await fetchAndHandle()) > 0 ? 'again' : { ms: 1_000 }),
 *   onError: (err) => log.error({ err }, 'poll failed'),
 * });
 * store.wakeups.subscribe(() => loop.wake());
 * loop.start();
 * // …
 * await loop.stop();
 * ```
 */
export class PollLoop {
  readonly #turn: PollLoopOptions['turn'];
  readonly #onError: PollLoopOptions['onError'];
  readonly #errorBackoffMs: number;
  readonly #unref: boolean;
  readonly #pause = new WakeableSleep();
  #running = false;
  #done: Promise<void> | undefined;

  constructor(options: PollLoopOptions) {
    this.#turn = options.turn;
    this.#onError = options.onError;
    this.#errorBackoffMs = options.errorBackoffMs ?? 1_000;
    this.#unref = options.unref ?? false;
  }

  /** True from `start()` until `stop()` or a turn's `'stop'`. */
  get running(): boolean {
    return this.#running;
  }

  /** Start turning in the background (once; a stopped loop stays stopped). */
  start(options: PollStartOptions = {}): void {
    if (this.#done) return;
    this.#running = true;
    this.#done = this.#run(options.first);
  }

  /** A notification: end the current wakeable pause, or skip the next one. */
  wake(): void {
    this.#pause.wake();
  }

  /** Stop: end the current pause, let the turn in flight finish, resolve when the loop has returned. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#pause.stop();
    await this.#done;
  }

  async #run(first: PollWait | undefined): Promise<void> {
    if (first) await this.#sleep(first);
    while (this.#running) {
      // A wake that came before this turn's fetch is answered by the fetch itself.
      this.#pause.clear();
      let next: PollOutcome | void;
      try {
        next = await this.#turn();
      } catch (err) {
        if (!this.#running) break;
        next = this.#failed(err);
      }
      if (next === 'stop') break;
      if (next === 'again' || !this.#running) continue;
      await this.#sleep(next);
    }
    this.#running = false;
  }

  #sleep(wait: PollWait): Promise<void> {
    return this.#pause.sleep(wait.ms, { wakeable: wait.wakeable ?? true, unref: this.#unref });
  }

  #failed(err: unknown): PollOutcome {
    const backoff: PollWait = { ms: this.#errorBackoffMs, wakeable: false };
    try {
      return this.#onError(err) ?? backoff;
    } catch {
      return backoff; // a reporter that throws must not end the loop
    }
  }
}
