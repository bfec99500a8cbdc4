/**
 * A checkpointed processor of the global log: reads batches from its checkpoint,
 * runs its handler and stores the new checkpoint — in the same transaction
 * (exactly-once) or after the handler succeeded (at-least-once) — wakes on the
 * store's notifications and polls as a backstop, holds a lease so one instance
 * runs it at a time, retries failures and dead-letters what keeps failing.
 */
import { EventEmitter } from 'eventemitter3';
import type { Subscription } from 'rxjs';
import { isSyncError } from '../core/errors.js';
import {
  compareCheckpoints,
  parseCheckpoint,
  START_CHECKPOINT,
  type LogCheckpoint,
} from '../core/checkpoint.js';
import type { ReadAllResult, StoredEvent } from '../store/types.js';
import {
  advanceCheckpoint,
  loadCheckpoint,
  lockCheckpointRow,
  readCheckpoint,
  saveCheckpoint,
} from './checkpoint-store.js';
import type { DeadLetter, DeadLetterQueue } from './dead-letter-queue.js';
import {
  isCheckpointMovedError,
  isLeaseLostError,
  ProcessingNotFoundError,
  ProcessorDeadLetteredError,
  ProcessorRetiredError,
  ProcessorRunningError,
  ProcessorStoppedError,
  ProcessorWaitTimeoutError,
} from './errors.js';
import { initialCheckpoint } from './initial-checkpoint.js';
import { isConnectionFailure } from '../runtime/classify-failure.js';
import { LeaseKeeper } from '../runtime/lease-keeper.js';
import { WakeableSleep } from '../runtime/wakeable-sleep.js';
import { sqlLeases } from './lease.js';
import { memoryProcessingState } from './memory-state.js';
import { deadLetterQueueOf } from './store-dead-letters.js';
import { migrateProcessing } from './migrate-processing.js';
import type { ProcessorEventMap, ProcessorLag } from './processor-events.js';
import {
  resolveProcessorOptions,
  type HandlerContext,
  type PostCommit,
  type ProcessorOptions,
  type ResolvedProcessorOptions,
} from './processor-options.js';
import { withRetry } from '../runtime/with-retry.js';

/** The signal handlers get without a lease: nothing can take the work away. */
const UNLEASED: AbortSignal = new AbortController().signal;

/** Result of {@link Processor.redrive}. */
export interface RedriveResult {
  /** Dead-letter ids handled successfully (and removed). */
  redriven: string[];
  /** Dead-letter ids that failed again (kept, attempts increased). */
  failed: string[];
}

/**
 * Create a processor; call `start()` to run it.
 *
 * @example
 * ```ts
 * const alerts = createProcessor({
 *   store, name: 'low-stock-alerts', eventTypes: ['inventory.stock_updated'],
 *   handle: async (event, { tx }) => { await tx?.query('insert into alerts …', [event.data]); },
 * });
 * alerts.on('error', (err) => log.error(err));
 * await alerts.start();
 * await alerts.whenCaughtUp();
 *
 * // On a typed store, `eventTypes` narrows the handler's event:
 * createProcessor({ store: tasks, name: 'titles', eventTypes: ['task.created'], handle: (e) => console.log(e.data.title) });
 * ```
 */
export function createProcessor<E extends StoredEvent = StoredEvent, T extends E['type'] = E['type']>(
  options: ProcessorOptions<E, T>,
): Processor {
  // The handler is typed by the store's catalog and `eventTypes`; the processor reads any event.
  return new Processor(options as unknown as ProcessorOptions);
}

/** See {@link createProcessor}. */
export class Processor extends EventEmitter<ProcessorEventMap> {
  readonly name: string;
  readonly #o: ResolvedProcessorOptions;
  readonly #dlq: DeadLetterQueue;
  #keeper: LeaseKeeper | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #abort = new AbortController();
  #wakeups: Subscription | undefined;
  #lagTimer: ReturnType<typeof setInterval> | undefined;
  /** The checkpoint this instance processes from (only while it holds the lease). */
  #checkpoint: LogCheckpoint | undefined;
  /** The latest checkpoint known to be stored, by this instance or another. */
  #observed: LogCheckpoint | undefined;
  #pendingSince: Date | undefined;
  #caughtUp = false;
  #verifyLease = false;
  /** When a standby may next try to take the lease (`performance.now()`). */
  #nextAcquireAt = 0;
  /** The loop's pause: the poll interval, cut short by a store wake-up or stop(). */
  #pause = new WakeableSleep();
  #waiters: { head: LogCheckpoint; resolve: () => void }[] = [];
  #migrated = false;
  #ahead: { after: LogCheckpoint; page: Promise<ReadAllResult> } | undefined;

  constructor(options: ProcessorOptions) {
    super();
    this.#o = resolveProcessorOptions(options);
    this.name = this.#o.name;
    const { store } = this.#o;
    this.#dlq = deadLetterQueueOf(store);
  }

  /** The dead letters of every processor on this store (use `list({ processor: name })`). */
  get deadLetters(): DeadLetterQueue {
    return this.#dlq;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** True while this instance holds the lease (always true without leasing). */
  get leaseHeld(): boolean {
    return this.#keeper ? this.#keeper.held : this.#running;
  }

  /** The latest checkpoint known for this processor (undefined before it is loaded). */
  get checkpoint(): LogCheckpoint | undefined {
    return this.#observed;
  }

  /** Create the processing tables (done by `start()` too). */
  async migrate(): Promise<void> {
    const { sql, schema } = this.#o.store;
    if (sql && !this.#migrated) await migrateProcessing(sql, schema);
    this.#migrated = true;
  }

  /** Start processing in the background; failures are reported as `'error'` events. */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.migrate();
    const { store, lease } = this.#o;
    this.#running = true;
    this.#abort = new AbortController();
    this.#pause = new WakeableSleep();
    this.#nextAcquireAt = 0;
    if (store.sql && lease !== false) {
      this.#keeper = new LeaseKeeper({
        leases: sqlLeases(store.sql, store.schema),
        name: `processor:${this.name}`,
        ttlMs: lease.ttlMs,
        renewIntervalMs: lease.renewIntervalMs,
        ...(lease.owner !== undefined ? { owner: lease.owner } : {}),
        // Aborts the running handler's ctx.signal too; the loop notices and turns standby.
        onLost: (error) =>
          this.emit('processor:lease_lost', {
            processor: this.name,
            owner: error.owner,
            reason: error.reason,
          }),
        onError: (err) => this.#fail(err, 'lease renewal failed'),
      });
    }
    this.#wakeups = store.wakeups.subscribe({
      next: () => this.#pause.wake(),
      error: (err) => this.#fail(err, 'wake-ups failed'),
    });
    if (this.#o.lagIntervalMs > 0) {
      this.#lagTimer = setInterval(() => {
        this.lag().then(
          (lag) => this.emit('processor:lag', lag),
          (err: unknown) => this.#fail(err, 'lag check failed'),
        );
      }, this.#o.lagIntervalMs);
      this.#lagTimer.unref?.();
    }
    // Take the lease and fix the starting checkpoint before returning, so a
    // `startFrom: 'end'` processor sees every event appended after start().
    try {
      if (await this.#holdLease()) this.#setCheckpoint(await this.#loadCheckpoint());
    } catch (err) {
      // The loop tries again, and reports a retired checkpoint when it stops.
      if (!(err instanceof ProcessorRetiredError)) this.#fail(err, 'start failed');
    }
    this.#loop = this.#run();
  }

  /** Finish the current batch, stop, and release the lease so another instance takes over at once. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort(new ProcessorStoppedError(this.name));
    this.#pause.stop();
    await this.#loop;
    this.#wakeups?.unsubscribe();
    if (this.#lagTimer) clearInterval(this.#lagTimer);
    this.#lagTimer = undefined;
    await this.#keeper?.release().catch((err: unknown) => this.#fail(err, 'lease release failed'));
    this.#keeper = undefined;
    this.#checkpoint = undefined;
  }

  /**
   * Resolve once this processor has processed everything that was in the log when
   * called, or up to `to` (by this instance or, for a standby, by the holder of the lease).
   *
   * @example
   * ```ts
   * await store.append('order-1', events);
   * await processor.whenCaughtUp({ timeoutMs: 10_000 });
   * ```
   */
  async whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint } = {}): Promise<void> {
    // `to` (e.g. an append's checkpoint) avoids the head lagging behind another session's open transaction.
    const head = options.to ?? (await this.#o.store.headCheckpoint());
    if (this.#observed !== undefined && compareCheckpoints(this.#observed, head) >= 0) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = { head, resolve };
      this.#waiters.push(waiter);
      if (options.timeoutMs !== undefined) {
        const timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new ProcessorWaitTimeoutError(this.name, head, options.timeoutMs!));
        }, options.timeoutMs);
        timer.unref?.();
        waiter.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      }
    });
  }

  /**
   * How far behind the head of the log this processor is, now.
   *
   * @example
   * ```ts
   * const { events, ms } = await processor.lag();
   * ```
   */
  async lag(): Promise<ProcessorLag> {
    const head = await this.#o.store.headCheckpoint();
    const checkpoint = this.#observed ?? (await this.#storedCheckpoint()) ?? START_CHECKPOINT;
    const behind = compareCheckpoints(checkpoint, head) < 0;
    const events = behind
      ? Math.max(1, parseCheckpoint(head).globalPosition - parseCheckpoint(checkpoint).globalPosition)
      : 0;
    const ms = behind && this.#pendingSince ? Math.max(0, Date.now() - this.#pendingSince.getTime()) : 0;
    return { processor: this.name, events, ms, checkpoint, head };
  }

  /**
   * Move the stored checkpoint (only while stopped), e.g. to replay from the start.
   *
   * @example
   * ```ts
   * await processor.seek(START_CHECKPOINT);
   * ```
   */
  async seek(checkpoint: LogCheckpoint): Promise<void> {
    if (this.#running) throw new ProcessorRunningError(this.name, 'seeking');
    parseCheckpoint(checkpoint);
    const { store } = this.#o;
    if (store.sql) {
      await this.migrate();
      await saveCheckpoint(store.sql, store.schema, this.name, checkpoint);
    } else memoryProcessingState(store).checkpoints.set(this.name, checkpoint);
    this.#observed = checkpoint;
  }

  /**
   * Run dead-lettered events of this processor through the handler again (each
   * with the retry policy); a success removes the dead letter in the same
   * transaction as the handler's effects. Redriven events run out of log order.
   *
   * @example
   * ```ts
   * const { redriven, failed } = await processor.redrive();
   * ```
   */
  async redrive(options: { ids?: readonly string[] } = {}): Promise<RedriveResult> {
    await this.migrate();
    const letters: DeadLetter[] = [];
    if (options.ids) {
      for (const id of options.ids) {
        const letter = await this.#dlq.get(id);
        if (letter?.processor === this.name) letters.push(letter);
      }
    } else letters.push(...(await this.#dlq.list({ processor: this.name, limit: 10_000 })));
    const result: RedriveResult = { redriven: [], failed: [] };
    for (const letter of letters) {
      try {
        await withRetry((attempt) => this.#redriveOne(letter, attempt), this.#o.retry, {
          shouldRetry: (err) => !(err instanceof ProcessingNotFoundError),
        });
        result.redriven.push(letter.id);
      } catch (err) {
        if (err instanceof ProcessingNotFoundError) continue; // redriven elsewhere meanwhile
        await this.#dlq.recordFailure(letter.id, err, this.#o.retry.attempts);
        result.failed.push(letter.id);
      }
    }
    return result;
  }

  async #redriveOne(letter: DeadLetter, attempt: number): Promise<void> {
    const { store } = this.#o;
    const notFound = () => new ProcessingNotFoundError(`Dead letter ${letter.id} no longer exists`);
    let post: void | PostCommit;
    if (store.sql && this.#o.delivery === 'exactly-once') {
      post = await store.sql.transaction(async (tx) => {
        // Serialize with the live batches (which lock this row first) so both never
        // read-modify-write the same read-model rows at once.
        await lockCheckpointRow(tx, store.schema, this.name);
        if (!(await this.#dlq.remove(letter.id, tx))) throw notFound();
        return this.#o.batch([letter.event], { tx, processor: this.name, attempt, signal: UNLEASED });
      });
    } else {
      // In memory, or at-least-once: no transaction around the handler, so a crash
      // before the removal redrives the letter again.
      if (!(await this.#dlq.get(letter.id))) throw notFound();
      post = await this.#o.batch([letter.event], { processor: this.name, attempt, signal: UNLEASED });
      await this.#dlq.remove(letter.id);
    }
    this.#runPost(post);
  }

  // ---- the loop ----

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        if (!(await this.#holdLease())) {
          // Follow the holder's checkpoint at the poll interval (so whenCaughtUp on a
          // standby resolves promptly), and wake when the next attempt to take over is
          // due, so a dead holder's lease is taken one acquire interval after it expired at most.
          await this.#observeStandby();
          const untilAttempt = Math.max(1, Math.ceil(this.#nextAcquireAt - performance.now()));
          await this.#idle(Math.min(this.#o.pollIntervalMs, untilAttempt), false);
          continue;
        }
        if (this.#checkpoint === undefined) this.#setCheckpoint(await this.#loadCheckpoint());
        this.#pause.clear();
        const page = await this.#read(this.#checkpoint!);
        if (page.events.length === 0) {
          this.#markCaughtUp();
          await this.#idle(this.#o.pollIntervalMs, true);
          continue;
        }
        this.#caughtUp = false;
        this.#pendingSince = page.events[0]!.processedAt;
        // A full page means more is waiting: read the next page while this one is applied.
        if (page.events.length === this.#o.batchSize) this.#prefetch(page.checkpoint);
        await this.#processPage(page.events, page.checkpoint);
      } catch (err) {
        if (!this.#running) break;
        if (isCheckpointMovedError(err)) {
          // Another holder or a rebuild moved it: reload, and make sure the lease is still ours.
          this.#checkpoint = undefined;
          this.#verifyLease = true;
          continue;
        }
        if (isLeaseLostError(err)) {
          // Reported as processor:lease_lost by the keeper; the batch was not committed.
          this.#checkpoint = undefined;
          continue;
        }
        // A commit whose outcome is unknown may have moved the checkpoint: read it again.
        if (isConnectionFailure(err, { network: false })) this.#checkpoint = undefined;
        this.#fail(err, 'batch failed');
        if (isSyncError(err) && (err.code === 'STORE_CLOSED' || err.code === 'PROCESSOR_RETIRED')) {
          void this.stop(); // nothing more to do; stop() waits for this loop to return
          break;
        }
        await this.#idle(this.#o.errorBackoffMs, false);
      }
    }
  }

  /** The page after `checkpoint`: the prefetched one when it matches, else a fresh read. */
  async #read(checkpoint: LogCheckpoint): Promise<ReadAllResult> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead && ahead.after === checkpoint) return ahead.page;
    return this.#o.store.readAll({ after: checkpoint, limit: this.#o.batchSize });
  }

  #prefetch(after: LogCheckpoint): void {
    const page = this.#o.store.readAll({ after, limit: this.#o.batchSize });
    page.catch(() => undefined); // a failed prefetch is reported when its page is used
    this.#ahead = { after, page };
  }

  async #holdLease(): Promise<boolean> {
    const keeper = this.#keeper;
    if (!keeper) return true;
    if (keeper.held && !this.#verifyLease) return true;
    if (!keeper.held && performance.now() < this.#nextAcquireAt) return false;
    this.#verifyLease = false;
    const before = keeper.held ? keeper.signal : undefined;
    // A failure while held ends the tenure inside the keeper, which reports processor:lease_lost.
    const ok = await keeper.tryAcquire();
    if (!ok && this.#o.lease !== false)
      this.#nextAcquireAt = performance.now() + this.#o.lease.acquireIntervalMs;
    if (ok && keeper.signal !== before) {
      this.#checkpoint = undefined; // someone else may have moved it while we were standby
      this.emit('processor:lease_acquired', { processor: this.name, owner: keeper.owner });
    }
    if (!ok) this.#checkpoint = undefined;
    return ok;
  }

  async #observeStandby(): Promise<void> {
    const stored = await this.#storedCheckpoint();
    if (stored !== null) this.#setObserved(stored);
  }

  async #storedCheckpoint(): Promise<LogCheckpoint | null> {
    const { store } = this.#o;
    if (!store.sql) return memoryProcessingState(store).checkpoints.get(this.name) ?? null;
    await this.migrate();
    return readCheckpoint(store.sql, store.schema, this.name);
  }

  async #loadCheckpoint(): Promise<LogCheckpoint> {
    const { store, startFrom } = this.#o;
    if (this.#o.requireCheckpoint) {
      // Never create it: the row's absence is the fence that retires an old partition layout.
      const stored = await this.#storedCheckpoint();
      if (stored === null) throw new ProcessorRetiredError(this.name);
      return stored;
    }
    const initial = () => initialCheckpoint(store, startFrom);
    if (store.sql) return loadCheckpoint(store.sql, store.schema, this.name, initial);
    const checkpoints = memoryProcessingState(store).checkpoints;
    const stored = checkpoints.get(this.name) ?? (await initial());
    checkpoints.set(this.name, stored);
    return stored;
  }

  async #processPage(events: readonly StoredEvent[], pageCheckpoint: LogCheckpoint): Promise<void> {
    const { eventTypes: types, filter } = this.#o;
    const relevant =
      types || filter
        ? events.filter((e) => (!types || types.has(e.type)) && (!filter || filter(e)))
        : events;
    try {
      await this.#commit(pageCheckpoint, relevant.length, (ctx) =>
        relevant.length > 0 ? this.#o.batch(relevant, ctx) : undefined,
      );
      return;
    } catch (err) {
      if (isCheckpointMovedError(err) || isLeaseLostError(err) || !this.#running) throw err;
      // The batch failed as a whole: go event by event to find (and retry) the culprit.
    }
    for (const event of relevant) await this.#processOne(event);
    if (this.#checkpoint !== pageCheckpoint) await this.#commit(pageCheckpoint, 0, () => undefined);
  }

  async #processOne(event: StoredEvent): Promise<void> {
    const policy = this.#o.retry;
    try {
      await withRetry(
        (attempt) => this.#commit(event.checkpoint, 1, (ctx) => this.#o.batch([event], { ...ctx, attempt })),
        policy,
        {
          signal: this.#abort.signal,
          shouldRetry: (err) => !isCheckpointMovedError(err) && !isLeaseLostError(err) && this.#running,
          onFailedAttempt: ({ error, attempt }) => {
            if (!isCheckpointMovedError(error) && !isLeaseLostError(error) && attempt < policy.attempts) {
              this.emit('processor:retry', { processor: this.name, event, error, attempt });
            }
          },
        },
      );
    } catch (error) {
      if (isCheckpointMovedError(error) || isLeaseLostError(error) || !this.#running) throw error;
      // The database went away, not the event: never dead-letter it for that. The
      // loop backs off and reads the page again from the stored checkpoint.
      if (isConnectionFailure(error, { network: false })) throw error;
      let letter: DeadLetter | undefined;
      // The dead letter is our own write, never the handler's: it always commits with the checkpoint.
      await this.#commit(
        event.checkpoint,
        0,
        async (ctx) => {
          letter = await this.#dlq.add(
            { processor: this.name, event, error, attempts: policy.attempts },
            ctx.tx,
          );
        },
        true,
      );
      this.emit('processor:dead_lettered', {
        processor: this.name,
        event,
        error,
        attempts: policy.attempts,
        deadLetterId: letter!.id,
      });
      const failure = new ProcessorDeadLetteredError({
        processor: this.name,
        eventId: event.id,
        eventType: event.type,
        attempts: policy.attempts,
        deadLetterId: letter!.id,
        cause: error,
      });
      this.#fail(failure, 'event dead-lettered', {
        eventId: event.id,
        eventType: event.type,
        deadLetterId: letter!.id,
      });
    }
  }

  /**
   * Report a background failure: logged at `error` (so it is seen even with no
   * listener) and emitted as `'error'`. eventemitter3 does not throw on an
   * `'error'` nobody listens to, so the host process never crashes from it;
   * a listener that throws is logged too, and the loop goes on.
   */
  #fail(err: unknown, msg: string, fields: Record<string, unknown> = {}): void {
    const component = `processor:${this.name}`;
    this.#o.logger.error({ component, ...fields, err }, msg);
    try {
      this.emit('error', err);
    } catch (thrown) {
      this.#o.logger.error({ component, err: thrown }, "an 'error' listener threw");
    }
  }

  /**
   * Run `work` and store `next`, fenced on the checkpoint we started from: atomically
   * (`inTransaction`, the default for exactly-once), or `work` first and then the
   * checkpoint (at-least-once). Nothing is stored once the lease tenure the work
   * started in has ended: the handler's `ctx.signal` says so, and a
   * `LeaseLostError` replaces whatever the handler threw.
   */
  async #commit(
    next: LogCheckpoint,
    handled: number,
    work: (ctx: HandlerContext) => Promise<void | PostCommit> | void | PostCommit,
    inTransaction = this.#o.delivery === 'exactly-once',
  ): Promise<void> {
    const { store } = this.#o;
    const started = performance.now(); // the batch's handler time, for 'processor:batch'
    const expected = this.#checkpoint!;
    const keeper = this.#keeper;
    const signal = keeper ? keeper.signal : UNLEASED;
    const leased = () => keeper?.assertTenure(signal);
    leased();
    const run = async (ctx: HandlerContext) => {
      try {
        const post = await work(ctx);
        leased(); // finished after the lease was lost: not ours to commit
        return post;
      } catch (err) {
        leased(); // a handler that stopped on ctx.signal failed because of the lease, not the event
        throw err;
      }
    };
    let post: void | PostCommit;
    if (store.sql && inTransaction) {
      post = await store.sql.transaction(async (tx) => {
        // Fence and advance first (one round trip); a failing handler rolls both back.
        await advanceCheckpoint(tx, store.schema, this.name, expected, next);
        return run({ tx, processor: this.name, attempt: 1, signal });
      });
    } else if (store.sql) {
      // No transaction is open while the handler runs, so its own writes (appends
      // through the store) get a connection — on PGlite, the only one. The fenced
      // update comes after; when it fails the events are delivered again.
      post = await run({ processor: this.name, attempt: 1, signal });
      await advanceCheckpoint(store.sql, store.schema, this.name, expected, next);
    } else {
      const checkpoints = memoryProcessingState(store).checkpoints;
      post = await run({ processor: this.name, attempt: 1, signal });
      checkpoints.set(this.name, next);
    }
    this.#setCheckpoint(next);
    this.#runPost(post);
    if (handled > 0 || next !== expected) {
      const durationMs = performance.now() - started;
      this.emit('processor:batch', { processor: this.name, events: handled, checkpoint: next, durationMs });
    }
  }

  #runPost(post: void | PostCommit): void {
    if (typeof post !== 'function') return;
    try {
      post();
    } catch (err) {
      this.#fail(err, 'post-commit callback failed');
    }
  }

  #setCheckpoint(checkpoint: LogCheckpoint): void {
    this.#checkpoint = checkpoint;
    this.#setObserved(checkpoint);
  }

  #setObserved(checkpoint: LogCheckpoint): void {
    this.#observed = checkpoint;
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => compareCheckpoints(checkpoint, w.head) >= 0);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  #markCaughtUp(): void {
    this.#pendingSince = undefined;
    if (this.#caughtUp) return;
    this.#caughtUp = true;
    this.emit('processor:caught_up', { processor: this.name, checkpoint: this.#checkpoint! });
  }

  /** Wait `ms`, or less when stopped or (if `wakeable`) when a wake-up arrives. */
  #idle(ms: number, wakeable: boolean): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return this.#pause.sleep(ms, { wakeable });
  }
}
