/**
 * A small reader of the global log whose handler writes through the store.
 *
 * Why not a `createProcessor`: a processor runs its handler inside the
 * transaction that moves its checkpoint. A handler that appends through the
 * store then needs a second connection — on PGlite (one connection) it waits
 * on itself forever. Here the handler runs first and the checkpoint is saved
 * after it, so effects are at-least-once: the inventory handler's effects are
 * idempotent (idempotency keys, expected versions, level-triggered alerts),
 * which also makes several host processes running it safe without a lease.
 */
import { WakeableSleep } from '../../core/wakeable-sleep.js';
import { EventEmitter } from 'eventemitter3';
import type { Subscription } from 'rxjs';
import { loadCheckpoint, migrateProcessing, saveCheckpoint } from '../../processing/index.js';
import { compareCheckpoints, START_CHECKPOINT, type LogCheckpoint } from '../../store/checkpoint.js';
import type { EventStore, StoredEvent } from '../../store/types.js';

/** Events of a reactor. */
export interface LogReactorEventMap {
  /** The handler failed; the batch is retried after `errorBackoffMs`. */
  error: [error: unknown];
}

interface Waiter {
  target: LogCheckpoint;
  resolve: () => void;
  reject: (e: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** Options of {@link LogReactor}. */
export interface LogReactorOptions {
  store: EventStore;
  /** Names the stored checkpoint (the processing module's checkpoint table). */
  name: string;
  eventTypes: readonly string[];
  /** Handles the relevant events of one page, in log order. Must be idempotent. */
  handle: (events: readonly StoredEvent[]) => Promise<void>;
  /** Events per read. Default 200. */
  batchSize?: number;
  /** Backstop poll when no wake-up arrives, ms. Default 1000. */
  pollIntervalMs?: number;
  /** Pause after a failed batch, ms. Default 500. */
  errorBackoffMs?: number;
}

/**
 * Read the log from a stored checkpoint, hand relevant events to a handler,
 * then store the new checkpoint.
 *
 * @example
 * ```ts
 * const reactor = new LogReactor({ store, name: 'alerts', eventTypes: ['inventory.reserved'], handle: onEvents });
 * await reactor.start();
 * await reactor.whenCaughtUp();
 * ```
 */
export class LogReactor extends EventEmitter<LogReactorEventMap> {
  readonly name: string;
  readonly #o: LogReactorOptions;
  readonly #types: ReadonlySet<string>;
  #checkpoint: LogCheckpoint = START_CHECKPOINT;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #pause = new WakeableSleep();
  #wakeups: Subscription | undefined;
  #waiters: Waiter[] = [];

  constructor(options: LogReactorOptions) {
    super();
    this.name = options.name;
    this.#o = options;
    this.#types = new Set(options.eventTypes);
  }

  /** True while reading. */
  get running(): boolean {
    return this.#running;
  }

  /** Load the checkpoint and begin reading. */
  async start(): Promise<void> {
    if (this.#running) return;
    const { store } = this.#o;
    if (store.sql) {
      await migrateProcessing(store.sql, store.schema);
      this.#checkpoint = await loadCheckpoint(
        store.sql,
        store.schema,
        this.name,
        async () => START_CHECKPOINT,
      );
    }
    this.#running = true;
    this.#wakeups = store.wakeups.subscribe(() => this.#pause.wake());
    this.#loop = this.#run();
  }

  /** Stop after the current batch. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wakeups?.unsubscribe();
    this.#pause.wake();
    await this.#loop;
  }

  /** Resolve once everything in the log now has been handled. */
  async whenCaughtUp(options: { timeoutMs?: number } = {}): Promise<void> {
    const target = await this.#o.store.headCheckpoint();
    if (compareCheckpoints(this.#checkpoint, target) >= 0) return;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { target, resolve, reject };
      if (options.timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error(`${this.name} did not catch up to ${target} in ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      this.#waiters.push(waiter);
      this.#pause.wake();
    });
  }

  async #run(): Promise<void> {
    const { store } = this.#o;
    const limit = this.#o.batchSize ?? 200;
    while (this.#running) {
      let full = false;
      try {
        const page = await store.readAll({ after: this.#checkpoint, limit });
        full = page.events.length >= limit;
        if (page.events.length > 0) {
          const relevant = page.events.filter((e) => this.#types.has(e.type));
          if (relevant.length > 0) await this.#o.handle(relevant);
          if (store.sql) await saveCheckpoint(store.sql, store.schema, this.name, page.checkpoint);
          this.#checkpoint = page.checkpoint;
        }
        this.#settle();
      } catch (err) {
        this.emit('error', err);
        await this.#pause.sleep(this.#o.errorBackoffMs ?? 500);
        continue;
      }
      if (!full) await this.#pause.sleep(this.#o.pollIntervalMs ?? 1000);
    }
  }

  #settle(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (compareCheckpoints(this.#checkpoint, w.target) < 0) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }
}
