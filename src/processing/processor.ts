/**
 * A checkpointed processor of the global log: reads batches from its checkpoint,
 * runs its handler and stores the new checkpoint — in the same transaction
 * (exactly-once) or after the handler succeeded (at-least-once) — wakes on the
 * store's notifications and polls as a backstop, holds a lease so one instance
 * runs it at a time, retries failures and dead-letters what keeps failing.
 *
 * This file is the public face; the parts are `processor-loop.ts` (the turns),
 * `processor-lease.ts` (lease and standby), `processor-delivery.ts` (batches,
 * retries, dead letters) and `processor-observer.ts` (progress, lag). Its
 * checkpoints, dead letters and leases live behind the `ProcessingState` port.
 */
import { EventEmitter } from 'eventemitter3';
import { parseCheckpoint, type LogCheckpoint } from '../core/checkpoint.js';
import { withRetry } from '../runtime/with-retry.js';
import type { StoredEvent } from '../store/types.js';
import type { DeadLetter, DeadLetterQueue } from './dead-letter-queue.js';
import { ProcessingNotFoundError, ProcessorRunningError, ProcessorStoppedError } from './errors.js';
import { reportFailure, type ProcessorContext } from './processor-context.js';
import { Delivery } from './processor-delivery.js';
import type { ProcessorEventMap, ProcessorLag } from './processor-events.js';
import { ProcessorLease } from './processor-lease.js';
import { ProcessorLoop } from './processor-loop.js';
import { ProgressObserver } from './processor-observer.js';
import {
  resolveProcessorOptions,
  type ProcessorOptions,
  type ResolvedProcessorOptions,
} from './processor-options.js';
import type { ProcessingState } from './state/processing-state.js';
import { processingStateOf } from './state/processing-state-of.js';

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
  readonly #state: ProcessingState;
  readonly #ctx: ProcessorContext;
  readonly #lease: ProcessorLease;
  readonly #observer: ProgressObserver;
  readonly #delivery: Delivery;
  #loop: ProcessorLoop | undefined;
  #running = false;
  #abort = new AbortController();
  #migrated = false;

  constructor(options: ProcessorOptions) {
    super();
    this.#o = resolveProcessorOptions(options);
    this.name = this.#o.name;
    this.#state = processingStateOf(this.#o.store);
    this.#ctx = Processor.#contextOf(this);
    this.#lease = new ProcessorLease(this.#ctx);
    this.#observer = new ProgressObserver(this.#ctx);
    this.#delivery = new Delivery(this.#ctx, this.#lease, this.#observer);
  }

  /** The dead letters of every processor on this store (use `list({ processor: name })`). */
  get deadLetters(): DeadLetterQueue {
    return this.#state.deadLetters;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** True while this instance holds the lease (always true without leasing). */
  get leaseHeld(): boolean {
    return this.#lease.held;
  }

  /** The latest checkpoint known for this processor (undefined before it is loaded). */
  get checkpoint(): LogCheckpoint | undefined {
    return this.#observer.checkpoint;
  }

  /** Create the processing tables (done by `start()` too). */
  async migrate(): Promise<void> {
    if (!this.#migrated) await this.#state.migrate();
    this.#migrated = true;
  }

  /** Start processing in the background; failures are reported as `'error'` events. */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.migrate();
    this.#running = true;
    this.#abort = new AbortController();
    this.#lease.start();
    this.#observer.startLagReports();
    const loop = new ProcessorLoop(this.#ctx, this.#lease, this.#delivery, this.#observer);
    this.#loop = loop;
    await loop.start(() => void this.stop());
  }

  /** Finish the current batch, stop, and release the lease so another instance takes over at once. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort(new ProcessorStoppedError(this.name));
    await this.#loop?.stop();
    this.#loop = undefined;
    await this.#observer.stopLagReports();
    await this.#lease.release();
    this.#delivery.position = undefined;
  }

  /**
   * Resolve once this processor has processed every event committed before the
   * call (`store.committedCheckpoint()`: also one above an append still open,
   * once that append ended), or up to `to` (by this instance or, for a standby,
   * by the holder of the lease). Inside an open append (an inline hook) pass
   * `to`: without it the wait would include the append itself.
   *
   * @example
   * ```ts
   * await store.append('order-1', events);
   * await processor.whenCaughtUp({ timeoutMs: 10_000 });
   * ```
   */
  whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint } = {}): Promise<void> {
    return this.#observer.whenCaughtUp(options);
  }

  /**
   * How far behind the head of the log this processor is, now.
   *
   * @example
   * ```ts
   * const { events, ms } = await processor.lag();
   * ```
   */
  lag(): Promise<ProcessorLag> {
    return this.#observer.lag();
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
    await this.migrate();
    await this.#state.saveCheckpoint(this.name, checkpoint);
    this.#observer.observe(checkpoint);
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
    const dlq = this.#state.deadLetters;
    const letters: DeadLetter[] = [];
    if (options.ids) {
      for (const id of options.ids) {
        const letter = await dlq.get(id);
        if (letter?.processor === this.name) letters.push(letter);
      }
    } else letters.push(...(await dlq.list({ processor: this.name, limit: 10_000 })));
    const result: RedriveResult = { redriven: [], failed: [] };
    for (const letter of letters) {
      try {
        await withRetry((attempt) => this.#delivery.redrive(letter, attempt), this.#o.retry, {
          shouldRetry: (err) => !(err instanceof ProcessingNotFoundError),
        });
        result.redriven.push(letter.id);
      } catch (err) {
        if (err instanceof ProcessingNotFoundError) continue; // redriven elsewhere meanwhile
        await dlq.recordFailure(letter.id, err, this.#o.retry.attempts);
        result.failed.push(letter.id);
      }
    }
    return result;
  }

  /** The processor as its parts see it (live views of its private state). */
  static #contextOf(p: Processor): ProcessorContext {
    return {
      name: p.name,
      o: p.#o,
      state: p.#state,
      events: p,
      get running() {
        return p.#running;
      },
      get stopSignal() {
        return p.#abort.signal;
      },
      migrate: () => p.migrate(),
      stored: async () => {
        await p.migrate();
        return p.#state.readCheckpoint(p.name);
      },
      fail: (err, msg, fields) => reportFailure(p.#o, p, err, msg, fields),
    };
  }
}
