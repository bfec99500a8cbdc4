/**
 * A host's pool with every connection busy: slow statements on each of its
 * connections and more queued behind them in the pool's FIFO, as under load.
 */
import type pg from 'pg';

/** The statements keeping a pool busy. */
export interface BusyPool {
  /** Resolves once every slow statement has come back. */
  done: Promise<void>;
  /** True until then. */
  readonly busy: boolean;
}

/**
 * Send `statements` × `pg_sleep(seconds)` through `pool` at once: the pool's
 * `max` run, the rest wait in its queue.
 *
 * @example
 * ```ts
 * const load = occupyPool(pool, 6, 1.5); // max 2: busy for about 4.5 s
 * await load.done;
 * ```
 */
export function occupyPool(pool: pg.Pool, statements: number, seconds: number): BusyPool {
  let busy = true;
  const sent = Array.from({ length: statements }, () => pool.query('SELECT pg_sleep($1)', [seconds]));
  const done = Promise.all(sent).then(() => {
    busy = false;
  });
  return {
    done,
    get busy() {
      return busy;
    },
  };
}
