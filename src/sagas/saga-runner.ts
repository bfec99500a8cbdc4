/**
 * The durable saga runner: one object over the two halves of the work — the
 * client (`saga-client.ts`: start sagas, read their state, redrive, wait) and
 * the worker (`saga-worker.ts`: claim, run steps and compensations, heartbeat,
 * retries). Several runners (processes) may share one database; a process that
 * only starts and reads sagas never calls `startWorker()`.
 */
import { EventEmitter } from 'eventemitter3';
import type { Logger } from '../core/logger.js';
import type { AnySagaDefinition, SagaDefinition } from './define-saga.js';
import { SagaRunnerStoppedError } from './errors.js';
import { resolveRunnerOptions, type SagaRunnerOptions } from './runner-options.js';
import { runnerContext, type RunnerContext } from './runner-context.js';
import { SagaClient, type StartSagaOptions, type StartSagaResult } from './saga-client.js';
import type { SagaDeadLetterFilter, SagaListFilter, SagaStore } from './saga-store.js';
import { sagaStoreOf } from './saga-store-of.js';
import { SagaWorker, type StopOptions } from './saga-worker.js';
import type { SagaDeadLetter, SagaEventMap, SagaState, StepLogEntry } from './types.js';

export type { StartSagaOptions, StartSagaResult } from './saga-client.js';
export type { StopOptions } from './saga-worker.js';

/**
 * Create a saga runner. Call `migrate()` once, `startWorker()` in every process
 * that should run steps, and `start()` wherever sagas begin.
 *
 * @example
 * ```ts
 * const runner = createSagaRunner({ sql: fromPg(pool), definitions: [orderFulfillment] });
 * await runner.migrate();
 * runner.startWorker();
 * await runner.start(orderFulfillment, { orderId: 'o-1' }, { sagaId: 'order-o-1' });
 * ```
 */
export function createSagaRunner(options: SagaRunnerOptions = {}): SagaRunner {
  return new SagaRunner(options);
}

/**
 * A durable saga runner; see {@link createSagaRunner}. Emits `saga:*` events and
 * `error` for background failures.
 *
 * @example
 * ```ts
 * runner.on('saga:compensation_failed', ({ sagaId }) => pager.alert(`saga ${sagaId} needs a person`));
 * ```
 */
export class SagaRunner extends EventEmitter<SagaEventMap> {
  /** Where saga state lives. */
  readonly store: SagaStore;
  readonly #ctx: RunnerContext;
  readonly #client: SagaClient;
  readonly #worker: SagaWorker;

  constructor(options: SagaRunnerOptions = {}) {
    super();
    const resolved = resolveRunnerOptions(options);
    this.store = sagaStoreOf(options);
    this.#ctx = runnerContext(resolved, this.store, this);
    this.#worker = new SagaWorker(this.#ctx, options.sql?.maxConcurrency ?? 1, (sagaId) =>
      this.#client.sagaDone(sagaId),
    );
    this.#client = new SagaClient(this.#ctx, this.#worker);
    for (const definition of options.definitions ?? []) this.register(definition);
  }

  /** This worker's id, as written in leases and the step log. */
  get workerId(): string {
    return this.#ctx.options.workerId;
  }

  /** The lease duration in ms. */
  get leaseMs(): number {
    return this.#ctx.options.leaseMs;
  }

  /** Where this runner (and its triggers) log failures; see `SagaRunnerOptions.logger`. */
  get logger(): Logger {
    return this.#ctx.options.logger;
  }

  /** Sagas this worker is running now. */
  get activeCount(): number {
    return this.#worker.activeCount;
  }

  /** Create or upgrade the saga tables. Safe from several processes at once. */
  async migrate(): Promise<void> {
    await this.store.migrate();
  }

  /**
   * Register a definition so this worker can run (and resume) its sagas.
   * Registering the same definition twice is a no-op; another one with the same name is rejected.
   */
  register(definition: AnySagaDefinition): void {
    if (this.#ctx.definitions.add(definition)) this.#worker.wake();
  }

  /**
   * Start a saga. The input is validated (when the definition has a schema)
   * and stored; with a running worker that has room, this worker runs it at
   * once, else any worker claims it. Idempotent per `sagaId`.
   */
  start<Input>(
    definition: SagaDefinition<Input>,
    input: Input,
    options: StartSagaOptions = {},
  ): Promise<StartSagaResult> {
    return this.#client.start(definition, input, options);
  }

  /** Begin claiming and running sagas (resumes those of dead workers too). */
  startWorker(): void {
    if (this.#client.closed) throw new SagaRunnerStoppedError();
    this.#worker.start();
  }

  /**
   * Stop claiming; let in-flight steps finish (up to `drainMs`), then abort the
   * rest and release their leases so other workers resume them at once.
   */
  stop(options: StopOptions = {}): Promise<void> {
    return this.#worker.stop(options);
  }

  /** Stop for good (see {@link stop}) and close the store. */
  async close(options: StopOptions = {}): Promise<void> {
    if (this.#client.closed) return;
    await this.stop(options);
    this.#client.close();
    await this.store.close?.();
  }

  /** Claim now instead of at the next poll (e.g. after sagas were created elsewhere). */
  wake(): void {
    this.#worker.wake();
  }

  /** A saga's state, or null. */
  status(sagaId: string): Promise<SagaState | null> {
    return this.#client.status(sagaId);
  }

  /** A saga's step log, oldest first. */
  history(sagaId: string): Promise<StepLogEntry[]> {
    return this.#client.history(sagaId);
  }

  /** Sagas by status and definition. */
  list(filter?: SagaListFilter): Promise<SagaState[]> {
    return this.#client.list(filter);
  }

  /** Dead-lettered compensations. */
  deadLetters(filter?: SagaDeadLetterFilter): Promise<SagaDeadLetter[]> {
    return this.#client.deadLetters(filter);
  }

  /**
   * How many dead-lettered compensations wait for a person (engine health counts them).
   *
   * @example
   * ```ts
   * if ((await runner.deadLetterCount()) > 0) pager.alert('sagas need a person');
   * ```
   */
  deadLetterCount(): Promise<number> {
    return this.#client.deadLetterCount();
  }

  /**
   * Run the failed compensations of a `compensation_failed` saga again (after a
   * person fixed the cause). Compensations that succeeded are not repeated.
   */
  redrive(sagaId: string): Promise<void> {
    return this.#client.redrive(sagaId);
  }

  /** Resolve with the saga's state once it is final (completed, compensated or compensation_failed). */
  waitFor(sagaId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<SagaState> {
    return this.#client.waitFor(sagaId, options);
  }
}
