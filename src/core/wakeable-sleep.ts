/**
 * A poll loop's pause that a notification can cut short. A wake that arrives
 * while the loop is busy is remembered, so the next pause returns at once and
 * no notification is lost between two reads.
 */
export class WakeableSleep {
  #wake: (() => void) | undefined;
  #pending = false;

  /** Wait `ms`, or less if {@link wake} is called. */
  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** End the current pause, or the next one if none is running. */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
