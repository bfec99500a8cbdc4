/**
 * Starting sagas from events: a processor of the global log (`src/processing`)
 * maps each event to a saga start (or nothing). When the saga store lives on
 * the event store's database, the sagas of a batch are inserted in the
 * processor's batch transaction, so they commit with its checkpoint
 * (exactly-once); otherwise they are inserted after the batch and before the
 * checkpoint moves (at-least-once), and a redelivered event meets the saga it
 * started already, because a saga's id defaults to `<trigger>:<event id>`.
 * Either way every event starts its saga once — with several processes on the
 * same trigger (the processor's lease), or after a crash mid-batch.
 */
import { InvalidArgumentError, ValidationError } from '../core/errors.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { EventStore, StoredEvent } from '../store/types.js';
import {
  createProcessor,
  type HandlerContext,
  type PostCommit,
  type Processor,
} from '../processing/index.js';
import type { RetryPolicyInput } from '../runtime/retry-policy.js';
import type { AnySagaDefinition } from './define-saga.js';
import { SagaInputError } from './errors.js';
import { storableInputJson } from './storable-input.js';
import type { SagaRunner } from './saga-runner.js';
import { PageStreams } from './page-streams.js';
import type { SagaInsert } from './saga-store.js';

/**
 * The processor name of the trigger named `name`: keys its checkpoint, lease and dead letters.
 *
 * @example
 * ```ts
 * const letters = await sqlDeadLetterQueue(sql, schema).list({ processor: sagaTriggerProcessorName('fulfil') });
 * ```
 */
export function sagaTriggerProcessorName(name: string): string {
  return `saga-trigger:${name}`;
}

/** What a trigger's `map` returns for an event that should start a saga. */
export interface SagaTriggerStart {
  input: unknown;
  /** Default `<trigger name>:<event id>`. */
  sagaId?: string;
}

/**
 * What a trigger's `map` may know besides the event.
 *
 * @example
 * ```ts
 * const map = (e: StoredEvent, ctx: SagaTriggerMapContext) => ({ input: { version: e.version, whole: ctx.streamSoFar() !== undefined } });
 * const known = (e: StoredEvent, ctx: SagaTriggerMapContext) => ctx.streamInPage()?.at(-1)?.version ?? 0;
 * ```
 */
export interface SagaTriggerMapContext<E extends StoredEvent = StoredEvent> {
  /**
   * The event's stream from version 1 through the event, when the page being
   * handled holds all of it (an append's events usually share a page);
   * undefined otherwise, and always when the event is retried alone or
   * redriven. What it returns is true of the stream for good (a stream is
   * append-only), so a saga may start from it instead of reading the stream.
   */
  streamSoFar(): readonly E[] | undefined;
  /**
   * Like {@link SagaTriggerMapContext.streamSoFar}, but through the last
   * version of the event's stream that the page holds (the events appended
   * with it and after it, when they share its page), from version 1 on;
   * undefined unless the page holds every one of those versions. As true of
   * the stream for good, and never less than `streamSoFar()` says.
   */
  streamInPage(): readonly E[] | undefined;
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
  /** Unique name; its processor is `saga-trigger:<name>` (checkpoint, lease, dead letters). */
  name: string;
  runner: SagaRunner;
  events: EventStore<E>;
  definition: AnySagaDefinition;
  /**
   * Map an event to a saga start, or null/undefined to skip it. Must be
   * deterministic. An event whose mapping throws, or whose input the definition
   * rejects, is retried by `retry` and then dead-lettered in processing's queue
   * (`trigger.processor.redrive()` runs it again). What it builds from
   * `context.streamSoFar()` may differ between deliveries of one event (the
   * first insert of a saga id wins), so it must be true either way.
   */
  map: (event: E, context: SagaTriggerMapContext<E>) => SagaTriggerStart | null | undefined;
  /**
   * The event types `map` can start a saga from; others never reach it, and a
   * page without any moves only the checkpoint (one statement, no
   * transaction). Default: every event reaches `map`.
   */
  eventTypes?: readonly E['type'][];
  /** Where to begin when the trigger has no checkpoint yet. Default `'start'`. */
  from?: 'start' | 'end';
  /** Events per read. Default 500. */
  batchSize?: number;
  /** Backstop poll when no wake-up arrives, ms. Default 1 000. */
  pollIntervalMs?: number;
  /** Attempts of a failing event before it is dead-lettered. Default: processing's policy (5 attempts). */
  retry?: RetryPolicyInput;
}

/** A running trigger. */
export interface SagaTrigger {
  readonly name: string;
  /** The processor that reads the log for this trigger (lag, events, dead letters, redrive). */
  readonly processor: Processor;
  /** Migrate the saga and processing tables, then begin reading the log. */
  start(): Promise<void>;
  /** Stop after the current batch. */
  stop(): Promise<void>;
  /** Resolve once the trigger has read up to the log head as of this call. */
  whenCaughtUp(options?: { timeoutMs?: number; to?: LogCheckpoint }): Promise<void>;
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
 * await trigger.start();
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
  readonly processor: Processor;
  readonly #o: SagaTriggerOptions;

  constructor(options: SagaTriggerOptions) {
    this.name = options.name;
    this.#o = options;
    const { runner, events } = options;
    runner.register(options.definition);
    const store = runner.store;
    const transactional =
      events.sql !== undefined && store.insertIn !== undefined && store.isOn?.(events.sql) === true;
    this.processor = createProcessor({
      store: events,
      name: sagaTriggerProcessorName(options.name),
      delivery: transactional ? 'exactly-once' : 'at-least-once',
      startFrom: options.from === 'end' ? 'end' : 'beginning',
      handleBatch: (batch, ctx) => this.#handle(batch, ctx),
      logger: runner.logger,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.eventTypes === undefined ? {} : { eventTypes: options.eventTypes }),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    });
    // Logged by the processor already; the runner is where saga failures are watched.
    this.processor.on('error', (err) => runner.emit('error', asError(err)));
  }

  get checkpoint(): LogCheckpoint | undefined {
    return this.processor.checkpoint;
  }

  async start(): Promise<void> {
    // Moves checkpoints of triggers from before they were processors, before the processor reads its own.
    await this.#o.runner.migrate();
    await this.processor.start();
  }

  stop(): Promise<void> {
    return this.processor.stop();
  }

  whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint } = {}): Promise<void> {
    return this.processor.whenCaughtUp(options);
  }

  async #handle(batch: readonly StoredEvent[], ctx: HandlerContext): Promise<PostCommit | undefined> {
    const { runner, definition } = this.#o;
    const streams = new PageStreams(ctx.page);
    const starts = batch.flatMap((event) => this.#toStart(event, streams));
    if (starts.length === 0) return undefined;
    const store = runner.store;
    let created: string[];
    if (ctx.tx && store.insertIn) created = await store.insertIn(ctx.tx, starts);
    else {
      const inserted = await store.insert(starts);
      created = starts.filter((_, i) => inserted[i]).map((s) => s.sagaId);
    }
    if (created.length === 0) return undefined;
    // After the commit: a rolled-back batch started nothing.
    return () => {
      for (const sagaId of created) runner.emit('saga:started', { sagaId, definition: definition.name });
      runner.wake();
    };
  }

  /**
   * The saga an event starts; throws (so the event is retried, then
   * dead-lettered) when it cannot: a `SagaInputError` when the definition's
   * schema refuses the input, an `InvalidArgumentError` when `map` throws.
   */
  #toStart(event: StoredEvent, streams: PageStreams): SagaInsert[] {
    const { definition } = this.#o;
    try {
      const start = this.#o.map(event, {
        streamSoFar: () => streams.soFar(event),
        streamInPage: () => streams.inPage(event),
      });
      if (!start) return [];
      // Through JSON now, so steps see exactly what a resuming worker reads back.
      const input = JSON.parse(
        storableInputJson(definition.name, parseStartInput(definition, start.input, event)),
      ) as unknown;
      return [{ sagaId: start.sagaId ?? `${this.name}:${event.id}`, definition: definition.name, input }];
    } catch (err) {
      if (err instanceof SagaInputError) throw err; // typed: the definition refused the input
      throw new InvalidArgumentError(
        `Saga trigger "${this.name}" cannot start a saga from event ${event.id} (${event.type}): ${String(err)}`,
        { cause: err },
      );
    }
  }
}

/** The definition's input from an event's start: a refusal of its schema is a {@link SagaInputError}. */
function parseStartInput(definition: AnySagaDefinition, raw: unknown, event: StoredEvent): unknown {
  try {
    return definition.parseInput(raw);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new SagaInputError(definition.name, event, err.issues, { cause: err });
    }
    throw err;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
