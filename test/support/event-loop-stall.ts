/**
 * An event-loop stall with an answer already waiting, as after CPU starvation
 * or a long GC: the answer arrives as I/O (a socket's reply comes in the poll
 * phase), then the process stays busy past a deadline, so Node next runs the
 * overdue timers before it reads that answer.
 */
import { stat } from 'node:fs';

/** Keep the process busy (no timer, no I/O runs) until `until` (`performance.now()`). */
export function stallUntil(until: number): void {
  for (;;) if (performance.now() >= until) return;
}

/**
 * Resolve with `value` through an I/O callback, stalling the process until
 * `until` in the check phase first (on every engine: an in-memory answer comes
 * in a microtask, a socket's in the poll phase), so the next phase is the timers'.
 *
 * @example
 * ```ts
 * return answerAfterStall(held, deadline + 100); // the fence timer is overdue when `held` is read
 * ```
 */
export function answerAfterStall<T>(value: T, until: number, onAnswered?: () => void): Promise<T> {
  return new Promise<T>((resolve) => {
    setImmediate(() => {
      stat(process.cwd(), () => {
        resolve(value);
        onAnswered?.();
      });
      stallUntil(until);
    });
  });
}
