/**
 * Observation of a processor's progress: the latest checkpoint known to be
 * stored, `whenCaughtUp` waiters, the caught-up transition and the lag reports.
 */
import {
  compareCheckpoints,
  parseCheckpoint,
  START_CHECKPOINT,
  type LogCheckpoint,
} from '../core/checkpoint.js';
import { PollLoop } from '../runtime/poll-loop.js';
import { SHARED_HEAD_MAX_AGE_MS } from '../store/shared-head.js';
import { ProcessorWaitTimeoutError } from './errors.js';
import type { ProcessorContext } from './processor-context.js';
import type { ProcessorLag } from './processor-events.js';

interface Waiter {
  head: LogCheckpoint;
  resolve: () => void;
}

/**
 * Follows the checkpoint of one processor, by this instance or (standby) by
 * the holder of its lease.
 *
 * @example
 * ```ts
 * observer.observe(page.checkpoint);
 * await observer.whenCaughtUp({ timeoutMs: 10_000 });
 * ```
 */
export class ProgressObserver {
  readonly #ctx: ProcessorContext;
  #observed: LogCheckpoint | undefined;
  #pendingSince: Date | undefined;
  #caughtUp = false;
  #waiters: Waiter[] = [];
  #lagReports: PollLoop | undefined;

  constructor(ctx: ProcessorContext) {
    this.#ctx = ctx;
  }

  /** The latest checkpoint known to be stored (undefined before it is loaded). */
  get checkpoint(): LogCheckpoint | undefined {
    return this.#observed;
  }

  /** A checkpoint is known to be stored: resolve the waiters it satisfies. */
  observe(checkpoint: LogCheckpoint): void {
    this.#observed = checkpoint;
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => compareCheckpoints(checkpoint, w.head) >= 0);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** A page is waiting; `oldest` is when its first event was stored. */
  behind(oldest: Date): void {
    this.#caughtUp = false;
    this.#pendingSince = oldest;
  }

  /** Nothing is waiting after `checkpoint`; emits `'processor:caught_up'` on the transition. */
  caughtUp(checkpoint: LogCheckpoint): void {
    this.#pendingSince = undefined;
    if (this.#caughtUp) return;
    this.#caughtUp = true;
    this.#ctx.events.emit('processor:caught_up', { processor: this.#ctx.name, checkpoint });
  }

  /** See `Processor.whenCaughtUp`. */
  async whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint }): Promise<void> {
    // The newest committed event, not the readable head: an open append below
    // an event committed before this call holds the readable head under it.
    const head = options.to ?? (await this.#ctx.o.store.committedCheckpoint());
    if (this.#observed !== undefined && compareCheckpoints(this.#observed, head) >= 0) return;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { head, resolve };
      this.#waiters.push(waiter);
      if (options.timeoutMs === undefined) return;
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new ProcessorWaitTimeoutError(this.#ctx.name, head, options.timeoutMs!));
      }, options.timeoutMs);
      timer.unref?.();
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** See `Processor.lag`. */
  async lag(): Promise<ProcessorLag> {
    // The processors of a store report together (see startLagReports) and share one head read.
    const head = await this.#ctx.o.store.committedCheckpoint({ maxAgeMs: SHARED_HEAD_MAX_AGE_MS });
    const checkpoint = this.#observed ?? (await this.#ctx.stored()) ?? START_CHECKPOINT;
    const behind = compareCheckpoints(checkpoint, head) < 0;
    const events = behind
      ? Math.max(1, parseCheckpoint(head).globalPosition - parseCheckpoint(checkpoint).globalPosition)
      : 0;
    const ms = behind && this.#pendingSince ? Math.max(0, Date.now() - this.#pendingSince.getTime()) : 0;
    return { processor: this.#ctx.name, events, ms, checkpoint, head };
  }

  /** Emit `'processor:lag'` every `lagIntervalMs` (0: never) until {@link stopLagReports}. */
  startLagReports(): void {
    const { lagIntervalMs } = this.#ctx.o;
    if (lagIntervalMs <= 0) return;
    if (this.#lagReports) return;
    // On the wall clock's multiples of the interval: every processor of the
    // process reports in the same timers phase and shares one head read.
    const next = () => ({ ms: lagIntervalMs - (Date.now() % lagIntervalMs), wakeable: false });
    this.#lagReports = new PollLoop({
      turn: async () => {
        this.#ctx.events.emit('processor:lag', await this.lag());
        return next();
      },
      onError: (err) => {
        this.#ctx.fail(err, 'lag check failed');
        return next();
      },
      unref: true,
    });
    this.#lagReports.start({ first: next() });
  }

  /** Stop the lag reports; resolves when a check in flight has finished. */
  async stopLagReports(): Promise<void> {
    const reports = this.#lagReports;
    this.#lagReports = undefined;
    await reports?.stop();
  }
}
