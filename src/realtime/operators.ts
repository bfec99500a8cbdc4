/**
 * The time-based parts of the delta stream as RxJS operators (marble-tested).
 */
import {
  type OperatorFunction,
  type SchedulerLike,
  Observable,
  type Subscription,
  asyncScheduler,
  buffer,
  connect,
  filter,
  map,
  throttleTime,
} from 'rxjs';
import type { RowChange } from '../core/row-change.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { ChannelDefinition } from './channels.js';
import { type Delta, mergeDeltas } from '../core/delta.js';
import { type ChangeBatch, foldChanges } from './fold.js';

/** A subscriber's deltas of one or more batches, keyed by key id, and the cursor of the last batch. */
export interface DeltaBatch {
  cursor: LogCheckpoint;
  deltas: Map<string, Delta>;
}

/**
 * Fold one channel's row changes per key into batches, at most one batch per
 * `windowMs`: the first change after a quiet window goes out on the
 * scheduler's next turn (with the rest of its synchronous burst — a
 * processor's batch emits its changes together), and changes that follow
 * within `windowMs` of the last batch wait for the end of that window. An
 * idle channel adds no wait and runs no timer; a busy one emits one batch per
 * window, as a fixed window would.
 *
 * @example
 * ```ts
 * changes.pipe(filter((c) => c.table === ch.name), coalesceChanges(ch, 100)).subscribe(fanOut);
 * ```
 */
export function coalesceChanges(
  channel: ChannelDefinition,
  windowMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<RowChange, ChangeBatch> {
  return (source) =>
    new Observable<ChangeBatch>((subscriber) => {
      let pending: RowChange[] = [];
      let timer: Subscription | null = null;
      let lastEmitAt = Number.NEGATIVE_INFINITY;
      const flush = () => {
        timer = null;
        const window = pending;
        pending = [];
        lastEmitAt = scheduler.now();
        const batch = foldChanges(channel, window);
        if (batch !== null) subscriber.next(batch);
      };
      const input = source.subscribe({
        next: (change) => {
          pending.push(change);
          if (timer !== null) return;
          timer = scheduler.schedule(flush, Math.max(0, lastEmitAt + windowMs - scheduler.now()));
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          timer?.unsubscribe();
          if (pending.length > 0) flush();
          subscriber.complete();
        },
      });
      return () => {
        input.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

/**
 * Merge two delta batches (the later one's cursor), key by key.
 *
 * @example
 * ```ts
 * mergeDeltaBatches(a, b).cursor === b.cursor
 * ```
 */
export function mergeDeltaBatches(earlier: DeltaBatch, later: DeltaBatch): DeltaBatch {
  const deltas = new Map(earlier.deltas);
  for (const [keyId, delta] of later.deltas) {
    const seen = deltas.get(keyId);
    if (seen) deltas.delete(keyId); // re-insert so the map keeps the order of last change
    deltas.set(keyId, seen ? mergeDeltas(seen, delta) : delta);
  }
  return { cursor: later.cursor, deltas };
}

/**
 * Throttle a subscriber's batches to at most one per `ms` without losing any:
 * the first batch goes out at once, batches arriving inside the interval are
 * merged and sent at its end.
 *
 * @example
 * ```ts
 * deltaBatches.pipe(throttleBatches(1000)).subscribe(send);
 * ```
 */
export function throttleBatches(
  ms: number,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<DeltaBatch, DeltaBatch> {
  return (source) =>
    source.pipe(
      connect((shared) =>
        shared.pipe(
          // `buffer` subscribes to `shared` before its notifier does, so a batch is
          // always in the buffer when the throttle fires for it.
          buffer(shared.pipe(throttleTime(ms, scheduler, { leading: true, trailing: true }))),
        ),
      ),
      filter((batches) => batches.length > 0),
      map((batches) => batches.reduce(mergeDeltaBatches)),
    );
}
