/**
 * Delivery of events to a processor's handler: a page as one batch, fenced on
 * the checkpoint stored last; when the batch fails, event by event with
 * retries, dead-lettering what keeps failing; redrives of dead letters.
 *
 * A page with nothing for the handler (every event filtered out) moves the
 * processor's position but not, at once, its stored checkpoint: most pages of
 * a processor that takes a few event types are such pages, and a statement per
 * page for each of them was most of a host's transactions. The stored
 * checkpoint catches up with the next handled batch (its fenced update moves
 * it from the stored one past the skipped events too), or after
 * `skippedCheckpointMs` ({@link Delivery.skippedDue}), or at stop. A crash
 * before that reads the skipped events again and skips them again: they had
 * no effects to repeat.
 *
 * At-least-once batches defer their checkpoint the same way: a batch whose
 * handler sends no write with the checkpoint (`ctx.withCheckpoint`) moves the
 * position, and the stored checkpoint follows with the next write fenced on
 * it (a `withCheckpoint` batch, a retried event, a dead letter), after
 * `skippedCheckpointMs`, once `batchSize` handled events are waiting, or at
 * stop. A handler that decided nothing no longer costs a statement a batch;
 * a crash delivers those batches again, as at-least-once allows.
 */
import { compareCheckpoints, type LogCheckpoint } from '../core/checkpoint.js';
import { traceStage } from '../core/stage-trace.js';
import { isConnectionFailure, isTransientFailure } from '../runtime/classify-failure.js';
import { isRetryableStoreError } from '../core/errors.js';
import { withRetry } from '../runtime/with-retry.js';
import type { StoredEvent } from '../store/types.js';
import type { DeadLetter } from './dead-letter-queue.js';
import { isCheckpointMovedError, isLeaseLostError, ProcessorDeadLetteredError } from './errors.js';
import type { ProcessorContext } from './processor-context.js';
import type { ProcessorLease } from './processor-lease.js';
import type { ProgressObserver } from './processor-observer.js';
import type { HandlerContext, PostCommit } from './processor-options.js';
import type { CheckpointWrite } from './state/processing-state.js';

/** The signal a redrive's handler gets: a redrive is not leased. */
const UNLEASED: AbortSignal = new AbortController().signal;

type Work = (ctx: HandlerContext) => Promise<void | PostCommit> | void | PostCommit;

/**
 * Hands pages and dead letters to the handler and stores the checkpoint through
 * the processing state.
 *
 * @example
 * ```ts
 * delivery.position = await state.loadCheckpoint(name, initial);
 * await delivery.processPage(page.events, page.checkpoint);
 * ```
 */
export class Delivery {
  readonly #ctx: ProcessorContext;
  readonly #lease: ProcessorLease;
  readonly #observer: ProgressObserver;
  #position: LogCheckpoint | undefined;
  /** The checkpoint stored last (the fence of the next commit); behind `#position` after skipped pages. */
  #stored: LogCheckpoint | undefined;
  /** When `#stored` last caught up with `#position` (performance.now()). */
  #storedAt = 0;
  /** Events handled in at-least-once batches since `#stored` (their checkpoint deferred). */
  #deferredEvents = 0;
  /**
   * The checkpoint a commit whose answer was lost would have stored, until a
   * reload shows it stored (it committed) or a commit of ours fenced on an
   * earlier one succeeds (it did not).
   */
  #unknownCommit: LogCheckpoint | undefined;

  constructor(ctx: ProcessorContext, lease: ProcessorLease, observer: ProgressObserver) {
    this.#ctx = ctx;
    this.#lease = lease;
    this.#observer = observer;
  }

  /** The checkpoint this instance processes from (only while it holds the lease; undefined: reload it). */
  get position(): LogCheckpoint | undefined {
    return this.#position;
  }

  /** Set to the checkpoint stored now (loaded), or undefined to reload it. */
  set position(checkpoint: LogCheckpoint | undefined) {
    this.#stored = checkpoint;
    this.#storedAt = performance.now();
    this.#deferredEvents = 0;
    this.#advance(checkpoint);
    // What the store holds now is ours: a lease this instance takes back resumes from it.
    if (checkpoint !== undefined) this.#lease.noteOwnCheckpoint(checkpoint);
    const unknown = this.#unknownCommit;
    if (checkpoint !== undefined && unknown !== undefined && compareCheckpoints(checkpoint, unknown) >= 0) {
      this.#unknownCommit = undefined;
      this.#ctx.events.emit('processor:commit_recovered', { processor: this.#ctx.name, checkpoint: unknown });
    }
  }

  /** True when skipped pages (or deferred at-least-once batches) moved the position past the stored checkpoint. */
  get skipped(): boolean {
    return this.#position !== this.#stored;
  }

  /**
   * Milliseconds until the skipped pages' checkpoint should be stored (0: now),
   * or undefined when nothing is skipped.
   */
  skippedDue(now = performance.now()): number | undefined {
    if (!this.skipped) return undefined;
    return Math.max(0, this.#storedAt + this.#ctx.o.skippedCheckpointMs - now);
  }

  /** Store the position reached through skipped pages (fenced, like any commit). */
  async storeSkipped(): Promise<void> {
    if (this.skipped && this.#position !== undefined)
      await this.#commit(this.#position, 0, () => undefined, false);
  }

  /** Deliver one page read after {@link position}, then stand at `pageCheckpoint`. */
  async processPage(events: readonly StoredEvent[], pageCheckpoint: LogCheckpoint): Promise<void> {
    const { eventTypes: types, filter } = this.#ctx.o;
    const relevant =
      types || filter
        ? events.filter((e) => (!types || types.has(e.type)) && (!filter || filter(e)))
        : events;
    if (relevant.length === 0) {
      // Nothing for the handler: only the position moves; the stored checkpoint follows later
      // (at once with skippedCheckpointMs 0: one fenced update, no transaction around it).
      if (this.#ctx.o.skippedCheckpointMs === 0)
        await this.#commit(pageCheckpoint, 0, () => undefined, false);
      else this.#advance(pageCheckpoint);
      return;
    }
    try {
      await this.#commit(
        pageCheckpoint,
        relevant.length,
        (ctx) => this.#ctx.o.batch(relevant, { ...ctx, page: events }),
        undefined,
        this.#mayDefer(relevant.length),
      );
      traceStage(`processor.applied:${this.#ctx.name}`, () => relevant.map((e) => e.aggregateId));
      return;
    } catch (err) {
      if (isCheckpointMovedError(err) || isLeaseLostError(err) || !this.#ctx.running) throw err;
      // The batch failed as a whole: go event by event to find (and retry) the culprit.
    }
    for (const event of relevant) await this.#processOne(event);
    if (this.#position !== pageCheckpoint) await this.#commit(pageCheckpoint, 0, () => undefined, false);
  }

  /**
   * Run a dead letter through the handler once; a success removes it (with the
   * handler's effects, exactly-once). Throws `ProcessingNotFoundError` when it is gone.
   */
  async redrive(letter: DeadLetter, attempt: number): Promise<void> {
    const { o, state, name } = this.#ctx;
    const post = await state.redriveDeadLetter(
      name,
      letter.id,
      (tx) =>
        Promise.resolve(
          o.batch([letter.event], { ...(tx ? { tx } : {}), processor: name, attempt, signal: UNLEASED }),
        ),
      { atomic: o.delivery === 'exactly-once' },
    );
    this.#runPost(post);
  }

  async #processOne(event: StoredEvent): Promise<void> {
    const { o, name, events } = this.#ctx;
    const policy = o.retry;
    try {
      await withRetry(
        (attempt) => this.#commit(event.checkpoint, 1, (ctx) => o.batch([event], { ...ctx, attempt })),
        policy,
        {
          signal: this.#ctx.stopSignal,
          shouldRetry: (err) => !isCheckpointMovedError(err) && !isLeaseLostError(err) && this.#ctx.running,
          onFailedAttempt: ({ error, attempt }) => {
            if (!isCheckpointMovedError(error) && !isLeaseLostError(error) && attempt < policy.attempts) {
              events.emit('processor:retry', { processor: name, event, error, attempt });
            }
          },
        },
      );
    } catch (error) {
      if (isCheckpointMovedError(error) || isLeaseLostError(error) || !this.#ctx.running) throw error;
      // The database went away or aborted the transaction for its own reasons (a
      // deadlock, a lock or statement timeout), or the store gave a retryable
      // answer: not the event's fault, so never dead-letter it for that. The
      // loop backs off and reads the page again from the stored checkpoint.
      if (isTransientFailure(error, { network: false }) || isRetryableStoreError(error)) throw error;
      await this.#deadLetter(event, error);
    }
  }

  async #deadLetter(event: StoredEvent, error: unknown): Promise<void> {
    const { name, state, events } = this.#ctx;
    const attempts = this.#ctx.o.retry.attempts;
    let letter: DeadLetter | undefined;
    // The dead letter is our own write, never the handler's: it always commits with the checkpoint.
    await this.#commit(
      event.checkpoint,
      0,
      async (ctx) => {
        letter = await state.deadLetters.add({ processor: name, event, error, attempts }, ctx.tx);
      },
      true,
    );
    const deadLetterId = letter!.id;
    events.emit('processor:dead_lettered', { processor: name, event, error, attempts, deadLetterId });
    const failure = new ProcessorDeadLetteredError({
      processor: name,
      eventId: event.id,
      eventType: event.type,
      attempts,
      deadLetterId,
      cause: error,
    });
    this.#ctx.fail(failure, 'event dead-lettered', {
      eventId: event.id,
      eventType: event.type,
      deadLetterId,
    });
  }

  /**
   * Whether a batch of `handled` events may leave its checkpoint unstored:
   * at-least-once, deferral on, and fewer than `batchSize` handled events
   * waiting with it (a crash delivers at most that many again).
   */
  #mayDefer(handled: number): boolean {
    const { delivery, skippedCheckpointMs, batchSize } = this.#ctx.o;
    return (
      delivery === 'at-least-once' && skippedCheckpointMs > 0 && this.#deferredEvents + handled < batchSize
    );
  }

  /** Move the position (not the stored checkpoint); the holder's progress as its observers see it. */
  #advance(checkpoint: LogCheckpoint | undefined): void {
    this.#position = checkpoint;
    if (checkpoint !== undefined) this.#observer.observe(checkpoint);
  }

  /**
   * Run `work` and store `next`, fenced on the checkpoint stored last: atomically
   * (`atomic`, the default for exactly-once), or `work` first and then the
   * checkpoint (at-least-once). Nothing is stored once the lease tenure the work
   * started in has ended: the handler's `ctx.signal` says so, and a
   * `LeaseLostError` replaces whatever the handler threw. `deferred`
   * (at-least-once): unless the handler sends a write with the checkpoint,
   * only the position moves ({@link Delivery.skipped}).
   */
  async #commit(
    next: LogCheckpoint,
    handled: number,
    work: Work,
    atomic = this.#ctx.o.delivery === 'exactly-once',
    deferred = false,
  ): Promise<void> {
    const { name, state, events } = this.#ctx;
    const started = performance.now(); // the batch's handler time, for 'processor:batch'
    const expected = this.#stored!;
    const signal = this.#lease.signal;
    const leased = () => this.#lease.assertTenure(signal);
    leased();
    let wrote = false;
    const post = await this.#commitOrNote(next, () =>
      state.commit(
        name,
        expected,
        next,
        async (tx, withCheckpoint) => {
          try {
            const result = await work({
              ...(tx ? { tx } : {}),
              // Not ours to store once the lease tenure has ended.
              ...(withCheckpoint
                ? {
                    withCheckpoint: leasedWrite(withCheckpoint, leased, () => {
                      wrote = true;
                    }),
                  }
                : {}),
              processor: name,
              attempt: 1,
              signal,
            });
            leased(); // finished after the lease was lost: not ours to commit
            return result;
          } catch (err) {
            leased(); // a handler that stopped on ctx.signal failed because of the lease, not the event
            throw err;
          }
        },
        { atomic, deferred },
      ),
    );
    if (deferred && !wrote) {
      this.#deferredEvents += handled;
      this.#advance(next);
    } else {
      this.position = next;
      this.#lease.noteCommitted(next);
    }
    this.#runPost(post);
    if (handled > 0 || next !== expected) {
      const durationMs = performance.now() - started;
      events.emit('processor:batch', { processor: name, events: handled, checkpoint: next, durationMs });
    }
  }

  /**
   * Run a commit; one whose answer is lost may have stored `next` (the loop
   * reloads the checkpoint, and the setter tells). One that succeeds was
   * fenced on the checkpoint before: an earlier lost one did not commit.
   */
  async #commitOrNote(
    next: LogCheckpoint,
    commit: () => Promise<void | PostCommit>,
  ): Promise<void | PostCommit> {
    try {
      const post = await commit();
      this.#unknownCommit = undefined;
      return post;
    } catch (err) {
      if (isConnectionFailure(err, { network: false })) this.#unknownCommit = next;
      throw err;
    }
  }

  #runPost(post: void | PostCommit): void {
    if (typeof post !== 'function') return;
    try {
      post();
    } catch (err) {
      this.#ctx.fail(err, 'post-commit callback failed');
    }
  }
}

/**
 * `write`, refused (`LeaseLostError`) once the lease tenure its batch started
 * in has ended; `sent` is called as it goes out (the checkpoint moves with it).
 */
function leasedWrite(write: CheckpointWrite, leased: () => void, sent: () => void): CheckpointWrite {
  return async (text, params) => {
    leased();
    sent();
    return write(text, params);
  };
}
