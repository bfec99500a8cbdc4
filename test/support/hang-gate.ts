/**
 * The switch shared by the hanging test doubles: while on, calls wait
 * without reaching what they wrap; `resume()` sends the held calls and lets
 * new ones through.
 */

/** A hang switch. */
export class HangGate {
  #hanging = false;
  #waiting: (() => void)[] = [];

  /** Whether calls are held now. */
  get hanging(): boolean {
    return this.#hanging;
  }

  /** From now on, calls passed to {@link hold} wait. */
  hang(): void {
    this.#hanging = true;
  }

  /** Send the held calls and let new ones through. */
  resume(): void {
    this.#hanging = false;
    const resumed = this.#waiting;
    this.#waiting = [];
    for (const go of resumed) go();
  }

  /**
   * Run `call` once the gate is resumed.
   *
   * @example
   * ```ts
   * const gate = new HangGate(); gate.hang();
   * const pending = gate.hold(() => store.heartbeat(owner, ids, ttl)); // waits for gate.resume()
   * ```
   */
  hold<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(call);
  }
}
