/**
 * A fixed-interval ticker on the one poll loop: `work` every `intervalMs`, not
 * woken early; a failed turn is reported and waits one interval too. The
 * process may exit during a pause (unref'd). Monitoring's samplers and
 * evaluators share it instead of each building the same loop.
 */
import { PollLoop } from './poll-loop.js';

/**
 * Starts `work` every `intervalMs` (the first turn at `firstMs`, default one
 * interval); stop it with the returned loop's `stop()`.
 *
 * @example
 * ```ts
 * const loop = everyInterval(60_000, () => refresh(), (err) => log.error({ err }, 'refresh failed'));
 * await loop.stop();
 * ```
 */
export function everyInterval(
  intervalMs: number,
  work: () => Promise<unknown>,
  onError: (err: unknown) => void,
  firstMs = intervalMs,
): PollLoop {
  const every = { ms: intervalMs, wakeable: false };
  const loop = new PollLoop({
    turn: async () => {
      await work();
      return every;
    },
    onError: (err) => {
      onError(err);
      return every;
    },
    unref: true,
  });
  loop.start({ first: { ms: firstMs, wakeable: false } });
  return loop;
}
