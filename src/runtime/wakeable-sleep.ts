/**
 * The pause of every poll loop (pg-boss's worker in miniature): wait for the
 * poll interval or a notification, whichever comes first, and stop cleanly. A
 * wake that arrives while the loop is busy is remembered, so the next pause
 * returns at once and no notification is lost between two reads.
 */

interface Pause {
  finish: () => void;
  wakeable: boolean;
}

/** Options of {@link WakeableSleep.sleep}. */
export interface SleepOptions {
  /** Whether a wake ends this pause (default true). A wake during a pause that ignores it is remembered. */
  wakeable?: boolean;
  /** Whether the pause's timer may let the process exit (default false). */
  unref?: boolean;
}

/**
 * A pause a notification can cut short.
 *
 * @example
 * ```ts
 * const pause = new WakeableSleep();
 * store.wakeups.subscribe(() => pause.wake());
 * while (running) {
 *   const page = await readNext();
 *   if (page.events.length === 0) await pause.sleep(1_000);
 * }
 * // stop(): pause.stop() ends the current pause and every later one at once.
 * ```
 */
export class WakeableSleep {
  #current: Pause | undefined;
  #pending = false;
  #stopped = false;

  /** True when a wake arrived that no pause has consumed yet. */
  get pending(): boolean {
    return this.#pending;
  }

  /**
   * Wait `ms`, or less if {@link wake} (when `wakeable`) or {@link stop} is
   * called. `Infinity` waits for one of those only (no timer).
   */
  sleep(ms: number, options: SleepOptions = {}): Promise<void> {
    const wakeable = options.wakeable ?? true;
    if (this.#stopped) return Promise.resolve();
    if (wakeable && this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const pause: Pause = {
        wakeable,
        finish: () => {
          clearTimeout(timer);
          if (this.#current === pause) this.#current = undefined;
          resolve();
        },
      };
      // setTimeout would fire at once for a delay past 2^31 − 1 ms.
      if (Number.isFinite(ms)) {
        timer = setTimeout(pause.finish, ms);
        if (options.unref) timer.unref?.();
      }
      this.#current = pause;
    });
  }

  /** End the current wakeable pause, or remember the wake for the next one. */
  wake(): void {
    if (this.#current?.wakeable) this.#current.finish();
    else this.#pending = true;
  }

  /** Forget a remembered wake (the loop is about to read anyway). */
  clear(): void {
    this.#pending = false;
  }

  /** End the current pause and make every later one return at once. */
  stop(): void {
    this.#stopped = true;
    this.#current?.finish();
  }
}
