/**
 * `subscribe()` for any store: read the log from a checkpoint, then follow it,
 * woken by notifications and by a backstop poll. Reads are serialised per
 * subscriber, so events arrive once each, in commit order. A database that is
 * unreachable for a while delays the stream; it does not end it. Closing
 * the store completes it (its wake-ups complete), leaving no timer behind.
 */
import { Observable, type Subscription } from 'rxjs';
import { InvalidArgumentError, isSyncError } from '../core/errors.js';
import { isTransientSqlError } from '../core/sql-errors.js';
import { isCheckpoint, START_CHECKPOINT, type LogCheckpoint } from '../core/checkpoint.js';
import type { ReadAllResult, StoredEvent, SubscribeOptions } from './types.js';

/** Delay before reading again after the database was unreachable, ms. */
const RETRY_MS = 1000;

/** What a live subscription needs from a store. */
export interface LogSource {
  readAll(options: { after: LogCheckpoint; limit: number }): Promise<ReadAllResult>;
  headCheckpoint(): Promise<LogCheckpoint>;
  readonly wakeups: Observable<void>;
}

/**
 * Follow the global log from `options.after`.
 *
 * @example
 * ```ts
 * followLog(store, { after: 'start' }).subscribe((event) => console.log(event.type));
 * ```
 */
export function followLog(
  source: LogSource,
  options: SubscribeOptions,
  defaultPollMs: number,
): Observable<StoredEvent> {
  const after = options.after ?? 'start';
  if (after !== 'start' && after !== 'end' && !isCheckpoint(after)) {
    throw new InvalidArgumentError(
      `subscribe: after must be 'start', 'end' or a checkpoint, got ${String(after)}`,
    );
  }
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollIntervalMs ?? defaultPollMs;

  return new Observable<StoredEvent>((subscriber) => {
    let checkpoint: LogCheckpoint | undefined =
      after === 'start' ? START_CHECKPOINT : after === 'end' ? undefined : after;
    let reading = false;
    let again = false;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;

    const pump = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        checkpoint ??= await source.headCheckpoint();
        do {
          again = false;
          for (;;) {
            const page = await source.readAll({ after: checkpoint, limit: batchSize });
            for (const event of page.events) {
              if (closed) return;
              subscriber.next(event);
            }
            checkpoint = page.checkpoint;
            if (page.events.length < batchSize || closed) break;
          }
        } while (again && !closed);
      } catch (err) {
        if (closed) return;
        if (isSyncError(err) && err.code === 'STORE_CLOSED') {
          subscriber.complete();
          return;
        }
        // The database restarting or a connection breaking: the next wake-up or
        // poll reads again from the same checkpoint (reads have no effects).
        if (isTransientSqlError(err))
          retry ??= setTimeout(() => ((retry = undefined), void pump()), RETRY_MS);
        else subscriber.error(err);
      } finally {
        reading = false;
      }
    };

    const wake: Subscription = source.wakeups.subscribe({
      next: () => void pump(),
      // The store closed: nothing more will be appended through it.
      complete: () => {
        closed = true;
        subscriber.complete();
      },
    });
    const timer = pollMs > 0 ? setInterval(() => void pump(), pollMs) : undefined;
    timer?.unref?.();
    void pump();
    return () => {
      closed = true;
      wake.unsubscribe();
      if (timer) clearInterval(timer);
      if (retry) clearTimeout(retry);
    };
  });
}
