/**
 * The work loop of a processor, one turn of the runtime's `PollLoop` at a
 * time: hold the lease (or follow the holder as a standby), load the
 * checkpoint, read the next page — prefetching the one after a full page —
 * and deliver it; wake on the store's notifications and poll as a backstop.
 * A page shorter than the batch size reached the head of the log as its read
 * saw it, so the loop waits for the next wake-up instead of reading again to
 * find an empty page: a commit after that read notifies, and a wake-up that
 * comes during a turn is kept for the pause after it. With `coalesceMs` a
 * short page that held events is followed by a pause no wake-up ends, so the
 * commits meanwhile are read as one page.
 */
import type { Subscription } from 'rxjs';
import type { LogCheckpoint } from '../core/checkpoint.js';
import { isSyncError } from '../core/errors.js';
import { traceStage } from '../core/stage-trace.js';
import { isConnectionFailure } from '../runtime/classify-failure.js';
import { PollLoop, type PollOutcome } from '../runtime/poll-loop.js';
import type { ReadAllResult } from '../store/types.js';
import { isCheckpointMovedError, isLeaseLostError, ProcessorRetiredError } from './errors.js';
import { initialCheckpoint } from './initial-checkpoint.js';
import type { ProcessorContext } from './processor-context.js';
import type { Delivery } from './processor-delivery.js';
import type { ProcessorLease } from './processor-lease.js';
import type { ProgressObserver } from './processor-observer.js';

/**
 * One run of a processor, from `start()` to `stop()`.
 *
 * @example
 * ```ts
 * const loop = new ProcessorLoop(ctx, lease, delivery, observer);
 * await loop.start(() => void processor.stop());
 * // …
 * await loop.stop();
 * ```
 */
export class ProcessorLoop {
  readonly #ctx: ProcessorContext;
  readonly #lease: ProcessorLease;
  readonly #delivery: Delivery;
  readonly #observer: ProgressObserver;
  readonly #poll: PollLoop;
  #wakeups: Subscription | undefined;
  #ahead: { after: LogCheckpoint; page: Promise<ReadAllResult> } | undefined;
  #onFinished: () => void = () => undefined;

  constructor(ctx: ProcessorContext, lease: ProcessorLease, delivery: Delivery, observer: ProgressObserver) {
    this.#ctx = ctx;
    this.#lease = lease;
    this.#delivery = delivery;
    this.#observer = observer;
    this.#poll = new PollLoop({
      turn: () => this.#turn(),
      onError: (err) => this.#failed(err),
      errorBackoffMs: ctx.o.errorBackoffMs,
    });
  }

  /**
   * Take the lease and fix the starting checkpoint before returning, so a
   * `startFrom: 'end'` processor sees every event appended after start(); then
   * run in the background. `onFinished` is called when the loop ends by itself
   * (the store closed, the processor was retired).
   */
  async start(onFinished: () => void): Promise<void> {
    this.#onFinished = onFinished;
    this.#wakeups = this.#ctx.o.store.wakeups.subscribe({
      next: () => this.#poll.wake(),
      error: (err) => this.#ctx.fail(err, 'wake-ups failed'),
    });
    try {
      if ((await this.#lease.hold()) !== 'standby') this.#delivery.position = await this.#load();
    } catch (err) {
      // The loop tries again, and reports a retired checkpoint when it stops.
      if (!(err instanceof ProcessorRetiredError)) this.#ctx.fail(err, 'start failed');
    }
    this.#poll.start();
  }

  /**
   * End the pause, let the batch in flight finish, stop following wake-ups,
   * and store the checkpoint of pages skipped since the last store (so the
   * next holder does not read them again).
   */
  async stop(): Promise<void> {
    await this.#poll.stop();
    this.#wakeups?.unsubscribe();
    this.#wakeups = undefined;
    // Unleased (lease: false, or a state without leases such as memory) it is ours to store.
    const holder = !this.#lease.leasing || this.#lease.held;
    if (holder && this.#delivery.skipped) {
      // A lost lease or a dropped connection only costs the next holder a re-read.
      await this.#delivery.storeSkipped().catch(() => undefined);
    }
  }

  async #turn(): Promise<PollOutcome> {
    const { o } = this.#ctx;
    const delivery = this.#delivery;
    const lease = await this.#lease.hold();
    if (lease !== 'held') delivery.position = undefined; // another may have moved it meanwhile
    if (lease === 'standby') {
      // Follow the holder's checkpoint at the poll interval (so whenCaughtUp on a
      // standby resolves promptly), and wake when the next attempt to take over is
      // due, so a dead holder's lease is taken one acquire interval after it expired at most.
      const stored = await this.#ctx.stored();
      if (stored !== null) this.#observer.observe(stored);
      return { ms: Math.min(o.pollIntervalMs, this.#lease.untilNextAttemptMs()), wakeable: false };
    }
    if (delivery.position === undefined) delivery.position = await this.#load();
    if (delivery.skippedDue() === 0) await delivery.storeSkipped();
    const page = await this.#read(delivery.position!);
    if (page.events.length === 0) {
      this.#observer.caughtUp(delivery.position!);
      return this.#idle();
    }
    this.#observer.behind(page.events[0]!.processedAt);
    traceStage(`processor.read:${this.#ctx.name}`, () => page.events.map((e) => e.aggregateId));
    // A full page means more is waiting: read the next page while this one is applied.
    if (page.events.length === o.batchSize) this.#prefetch(page.checkpoint);
    await delivery.processPage(page.events, page.checkpoint);
    if (page.events.length === o.batchSize) return 'again';
    this.#observer.caughtUp(page.checkpoint);
    // More is likely on its way: let it gather into one batch instead of a batch per commit.
    if (o.coalesceMs > 0) return { ms: o.coalesceMs, wakeable: false };
    return this.#idle();
  }

  /** Caught up: wait for a wake-up, the backstop poll, or the store of skipped pages' checkpoint. */
  #idle(): PollOutcome {
    const due = this.#delivery.skippedDue() ?? Infinity;
    return { ms: Math.min(this.#ctx.o.pollIntervalMs, due), wakeable: true };
  }

  #failed(err: unknown): PollOutcome {
    if (isCheckpointMovedError(err)) {
      // Another holder or a rebuild moved it: reload, and make sure the lease is still ours.
      this.#delivery.position = undefined;
      this.#lease.verifyNext();
      return 'again';
    }
    if (isLeaseLostError(err)) {
      // Reported as processor:lease_lost by the keeper; the batch was not committed.
      this.#delivery.position = undefined;
      return 'again';
    }
    // A commit whose outcome is unknown may have moved the checkpoint: read it again.
    if (isConnectionFailure(err, { network: false })) this.#delivery.position = undefined;
    this.#ctx.fail(err, 'batch failed');
    if (isSyncError(err) && (err.code === 'STORE_CLOSED' || err.code === 'PROCESSOR_RETIRED')) {
      this.#onFinished(); // nothing more to do
      return 'stop';
    }
    return { ms: this.#ctx.o.errorBackoffMs, wakeable: false };
  }

  /** The checkpoint to start from: the stored one, else `startFrom` (stored now). */
  async #load(): Promise<LogCheckpoint> {
    const { o, state, name } = this.#ctx;
    if (o.requireCheckpoint) {
      // Never create it: the row's absence is the fence that retires an old partition layout.
      const stored = await this.#ctx.stored();
      if (stored === null) throw new ProcessorRetiredError(name);
      return stored;
    }
    await this.#ctx.migrate();
    return state.loadCheckpoint(name, () => initialCheckpoint(o.store, o.startFrom));
  }

  /** The page after `checkpoint`: the prefetched one when it matches, else a fresh read. */
  async #read(checkpoint: LogCheckpoint): Promise<ReadAllResult> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead && ahead.after === checkpoint) return ahead.page;
    return this.#ctx.o.store.readAll({ after: checkpoint, limit: this.#ctx.o.batchSize, follow: true });
  }

  #prefetch(after: LogCheckpoint): void {
    const page = this.#ctx.o.store.readAll({ after, limit: this.#ctx.o.batchSize, follow: true });
    page.catch(() => undefined); // a failed prefetch is reported when its page is used
    this.#ahead = { after, page };
  }
}
