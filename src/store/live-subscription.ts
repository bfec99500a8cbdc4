/**
 * `subscribe()` for any store: read the log from a checkpoint, then follow it,
 * woken by notifications and by a backstop poll. Reads are serialised per
 * subscriber, so events arrive once each, in commit order. A database that is
 * unreachable for a while delays the stream; it does not end it. Closing
 * the store completes it (its wake-ups complete), leaving no timer behind.
 */
import { Observable, type Subscription } from 'rxjs';
import { InvalidArgumentError, isSyncError } from '../core/errors.js';
import { isConnectionFailure } from '../runtime/classify-failure.js';
import { PollLoop, type PollOutcome, type PollWait } from '../runtime/poll-loop.js';
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
    let closed = false;
    // Without a poll interval only wake-ups (and a failed read's retry) read again.
    const idle: PollWait = { ms: pollMs > 0 ? pollMs : Number.POSITIVE_INFINITY };

    /** Read to the end of the log; a wake-up during the read makes the loop read again at once. */
    const readToEnd = async (): Promise<PollOutcome> => {
      checkpoint ??= await source.headCheckpoint();
      for (;;) {
        const page = await source.readAll({ after: checkpoint, limit: batchSize });
        for (const event of page.events) {
          if (closed) return 'stop';
          subscriber.next(event);
        }
        checkpoint = page.checkpoint;
        if (page.events.length < batchSize || closed) return closed ? 'stop' : idle;
      }
    };

    const loop = new PollLoop({
      turn: readToEnd,
      onError: (err): PollOutcome => {
        if (closed) return 'stop';
        if (isSyncError(err) && err.code === 'STORE_CLOSED') {
          subscriber.complete();
          return 'stop';
        }
        // The database restarting or a connection breaking: the next wake-up,
        // poll or retry reads again from the same checkpoint (reads have no effects).
        if (isConnectionFailure(err, { network: false })) return { ms: Math.min(RETRY_MS, idle.ms) };
        subscriber.error(err);
        return 'stop';
      },
      unref: true,
    });

    const wake: Subscription = source.wakeups.subscribe({
      next: () => loop.wake(),
      // The store closed: nothing more will be appended through it.
      complete: () => {
        closed = true;
        subscriber.complete();
        void loop.stop();
      },
    });
    if (!closed) loop.start();
    return () => {
      closed = true;
      wake.unsubscribe();
      void loop.stop();
    };
  });
}
