/**
 * Starting sagas from events: a reader of the global log maps each event to
 * a saga start (or nothing). The sagas of a batch and the reader's checkpoint
 * are written in one transaction, and a saga's id defaults to
 * `<trigger>:<event id>`, so every event starts its saga exactly once — even
 * when several processes run the same trigger, or one crashes mid-batch.
 */
import { WakeableSleep } from '../runtime/wakeable-sleep.js';
import type { Subscription } from 'rxjs';
import { InvalidArgumentError } from '../core/errors.js';
import { compareCheckpoints, START_CHECKPOINT, type LogCheckpoint } from '../core/checkpoint.js';
import type { EventStore, StoredEvent } from '../store/types.js';
import type { AnySagaDefinition } from './define-saga.js';
import type { SagaRunner } from './saga-runner.js';

/** What a trigger's `map` returns for an event that should start a saga. */
export interface SagaTriggerStart {
  input: unknown;
  /** Default `<trigger name>:<event id>`. */
  sagaId?: string;
}

/**
 * Options of {@link createSagaTrigger}. On a typed store (event union `E`), `map`
 * sees the union of its events, discriminated by `type`.
 *
 * @example
 * ```ts
 * const options: SagaTriggerOptions = { name: 't', runner, events: store, definition, map: () => null };
 * ```
 */
export interface SagaTriggerOptions<E extends StoredEvent = StoredEvent> {
  /** Unique name; keys the stored checkpoint. */
  name: string;
  runner: SagaRunner;
  events: EventStore<E>;
  definition: AnySagaDefinition;
  /** Map an event to a saga start, or null/undefined to skip it. Must be deterministic. */
  map: (event: E) => SagaTriggerStart | null | undefined;
  /** Where to begin when the trigger has no checkpoint yet. Default `'start'`. */
  from?: 'start' | 'end';
  /** Events per read. Default 500. */
  batchSize?: number;
  /** Backstop poll when no wake-up arrives, ms. Default 1 000. */
  pollIntervalMs?: number;
}

/** A running trigger. */
export interface SagaTrigger {
  readonly name: string;
  /** Begin reading the log. */
  start(): void;
  /** Stop after the current batch. */
  stop(): Promise<void>;
  /** Resolve once the trigger has read up to the log head as of this call. */
  whenCaughtUp(): Promise<void>;
  /** The checkpoint of the last event handled. */
  readonly checkpoint: LogCheckpoint | undefined;
}

/**
 * Start sagas from events of the global log.
 *
 * @example
 * ```ts
 * const trigger = createSagaTrigger({
 *   name: 'order-fulfillment', runner, events: store, definition: orderFulfillment,
 *   map: (e) => (e.type === 'order.placed' ? { input: e.data, sagaId: `order-${e.aggregateId}` } : null),
 * });
 * trigger.start();
 * ```
 */
export function createSagaTrigger<E extends StoredEvent = StoredEvent>(
  options: SagaTriggerOptions<E>,
): SagaTrigger {
  // `map` is typed by the store's catalog; the trigger reads any event.
  return new EventSagaTrigger(options as unknown as SagaTriggerOptions);
}

class EventSagaTrigger implements SagaTrigger {
  readonly name: string;
  readonly #o: SagaTriggerOptions;
  #checkpoint: LogCheckpoint | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #pause = new WakeableSleep();
  #wakeups: Subscription | undefined;
  #caughtUp: { target: LogCheckpoint; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(options: SagaTriggerOptions) {
    this.name = options.name;
    this.#o = options;
    options.runner.register(options.definition);
  }

  get checkpoint(): LogCheckpoint | undefined {
    return this.#checkpoint;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#wakeups = this.#o.events.wakeups.subscribe(() => this.#pause.wake());
    // Only the initial checkpoint read can end the loop with an error.
    this.#loop = this.#run().catch((err: unknown) => {
      this.#fail(err, 'saga trigger stopped');
      for (const w of this.#caughtUp.splice(0)) w.reject(err);
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wakeups?.unsubscribe();
    this.#pause.wake();
    await this.#loop;
  }

  async whenCaughtUp(): Promise<void> {
    const target = await this.#o.events.headCheckpoint();
    return new Promise<void>((resolve, reject) => {
      this.#caughtUp.push({ target, resolve, reject });
      this.#pause.wake();
    });
  }

  async #run(): Promise<void> {
    const { runner, events, definition } = this.#o;
    const limit = this.#o.batchSize ?? 500;
    const pollMs = this.#o.pollIntervalMs ?? 1_000;
    this.#checkpoint =
      (await runner.store.triggerCheckpoint(this.name)) ??
      (this.#o.from === 'end' ? await events.headCheckpoint() : START_CHECKPOINT);
    while (this.#running) {
      let full = false;
      try {
        const page = await events.readAll({ after: this.#checkpoint, limit });
        if (page.events.length > 0) {
          const starts = page.events.flatMap((event) => this.#toStart(event));
          const created = await runner.store.insertFromTrigger(this.name, starts, page.checkpoint);
          this.#checkpoint = page.checkpoint;
          for (const sagaId of created) runner.emit('saga:started', { sagaId, definition: definition.name });
          if (created.length > 0) runner.wake();
        }
        this.#settleWaiters();
        full = page.events.length >= limit;
      } catch (err) {
        // Database trouble: report it and try again after the poll interval.
        this.#fail(err, 'saga trigger batch failed');
      }
      if (!full) await this.#pause.sleep(pollMs);
    }
  }

  /**
   * An event whose mapping throws or whose input is invalid would fail the same
   * way on every retry: it is reported as an `error` and skipped.
   */
  #toStart(event: StoredEvent): { sagaId: string; definition: string; input: unknown }[] {
    const { definition } = this.#o;
    try {
      const start = this.#o.map(event);
      if (!start) return [];
      const input = JSON.parse(JSON.stringify(definition.parseInput(start.input) ?? null)) as unknown;
      return [{ sagaId: start.sagaId ?? `${this.name}:${event.id}`, definition: definition.name, input }];
    } catch (err) {
      const error = new InvalidArgumentError(
        `Saga trigger "${this.name}" skipped event ${event.id} (${event.type}): ${String(err)}`,
        { cause: err },
      );
      this.#fail(error, 'saga trigger skipped an event', { eventId: event.id, eventType: event.type });
      return [];
    }
  }

  /** Log through the runner's logger (seen with no listener) and emit on the runner as `'error'`. */
  #fail(err: unknown, msg: string, fields: Record<string, unknown> = {}): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#o.runner.logger.error({ component: `saga-trigger:${this.name}`, ...fields, err: error }, msg);
    this.#o.runner.emit('error', error);
  }

  #settleWaiters(): void {
    const current = this.#checkpoint ?? START_CHECKPOINT;
    this.#caughtUp = this.#caughtUp.filter((w) => {
      // Reading returned fewer than a page: everything up to the head seen at the call is handled.
      if (compareCheckpoints(current, w.target) >= 0) {
        w.resolve();
        return false;
      }
      return true;
    });
  }
}
