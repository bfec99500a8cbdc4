/**
 * The client half of a saga runner: starts sagas (validated, stored, and run
 * at once by this process's worker when it has room), and reads their state,
 * step log and dead letters; redrives a saga whose compensation failed and
 * waits for a saga to finish. Needs no running worker: any worker sharing the
 * store runs what it starts.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { isStorableText } from '../core/storable-text.js';
import { GroupCommitter, allSucceed } from '../runtime/group-commit.js';
import { WakeableSleep } from '../runtime/wakeable-sleep.js';
import type { SagaDefinition } from './define-saga.js';
import { storableInputJson } from './storable-input.js';
import { SagaNotFoundError, SagaRunnerStoppedError, SagaWaitTimeoutError } from './errors.js';
import { withStoreRetry, type RunnerContext } from './runner-context.js';
import type { SagaDeadLetterFilter, SagaInsert, SagaListFilter } from './saga-store.js';
import type { SagaWorker } from './saga-worker.js';
import { isFinalSagaStatus, type SagaDeadLetter, type SagaState, type StepLogEntry } from './types.js';

/**
 * Options of {@link SagaRunner.start}.
 *
 * @example
 * ```ts
 * await runner.start(orderFulfillment, input, { sagaId: `order-${orderId}` });
 * ```
 */
export interface StartSagaOptions {
  /** The saga's id; starting the same id twice starts it once. Default: a random uuid. */
  sagaId?: string;
}

/** What {@link SagaRunner.start} did. */
export interface StartSagaResult {
  sagaId: string;
  /** False when a saga with this id existed already (nothing was started). */
  created: boolean;
}

/** Starts and reads sagas; made by the runner, which exposes its methods. */
export class SagaClient {
  readonly #ctx: RunnerContext;
  readonly #worker: SagaWorker;
  readonly #inserts: GroupCommitter<SagaInsert, boolean>;
  readonly #finishWaiters = new Map<string, Set<() => void>>();
  #closed = false;

  constructor(ctx: RunnerContext, worker: SagaWorker) {
    this.#ctx = ctx;
    this.#worker = worker;
    // A batch that fails as a whole is written item by item, so a bad item fails only its own caller.
    this.#inserts = new GroupCommitter(
      allSucceed((items) => withStoreRetry(() => ctx.store.insert(items))),
      { maxBatch: ctx.options.batchSize, maxInFlight: 1, isolateFailures: true },
    );
  }

  /** True once the runner was closed: nothing more can be started. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Start a saga. The input is validated (when the definition has a schema)
   * and stored; with a running worker that has room, this worker runs it at
   * once, else any worker claims it. Idempotent per `sagaId`.
   */
  async start<Input>(
    definition: SagaDefinition<Input>,
    input: Input,
    options: StartSagaOptions = {},
  ): Promise<StartSagaResult> {
    if (this.#closed) throw new SagaRunnerStoppedError();
    const { options: o, definitions, events } = this.#ctx;
    if (definitions.add(definition)) this.#worker.wake();
    const sagaId = options.sagaId ?? randomUUID();
    if (typeof sagaId !== 'string' || sagaId.length === 0 || sagaId.length > 200 || !isStorableText(sagaId)) {
      throw new InvalidArgumentError(
        'sagaId must be a non-empty string of at most 200 characters, without a NUL character or a lone surrogate',
      );
    }
    // Through JSON now, so steps see exactly what a resuming worker reads back.
    const stored = JSON.parse(storableInputJson(definition.name, definition.parseInput(input))) as unknown;
    const own = this.#worker.reserve();
    // Before the insert is sent: the lease it writes lasts at least leaseMs from here.
    const leasedAt = performance.now();
    let created: boolean;
    try {
      created = await this.#inserts.submit({
        sagaId,
        definition: definition.name,
        input: stored,
        ...(own ? { owner: o.workerId, leaseMs: o.leaseMs } : {}),
      });
    } finally {
      if (own) this.#worker.unreserve();
    }
    if (!created) return { sagaId, created };
    events.emit('saga:started', { sagaId, definition: definition.name });
    if (!own) {
      this.#worker.wake();
      return { sagaId, created };
    }
    const now = new Date();
    await this.#worker.adopt(definition, leasedAt, {
      token: 1,
      completed: [],
      state: {
        sagaId,
        definition: definition.name,
        input: stored,
        status: 'running',
        cursor: 0,
        compensationFailed: false,
        error: null,
        leaseOwner: o.workerId,
        leaseExpiresAt: new Date(now.getTime() + o.leaseMs),
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      },
    });
    return { sagaId, created };
  }

  /** A saga's state, or null. */
  status(sagaId: string): Promise<SagaState | null> {
    return this.#ctx.store.get(sagaId);
  }

  /** A saga's step log, oldest first. */
  history(sagaId: string): Promise<StepLogEntry[]> {
    return this.#ctx.store.history(sagaId);
  }

  /** Sagas by status and definition. */
  list(filter?: SagaListFilter): Promise<SagaState[]> {
    return this.#ctx.store.list(filter);
  }

  /** Dead-lettered compensations. */
  deadLetters(filter?: SagaDeadLetterFilter): Promise<SagaDeadLetter[]> {
    return this.#ctx.store.deadLetters(filter);
  }

  /** How many dead-lettered compensations wait for a person. */
  deadLetterCount(): Promise<number> {
    return this.#ctx.store.countDeadLetters();
  }

  /** Run the failed compensations of a `compensation_failed` saga again. */
  async redrive(sagaId: string): Promise<void> {
    const { store } = this.#ctx;
    if (await store.redrive(sagaId)) {
      this.#worker.wake();
      return;
    }
    const state = await store.get(sagaId);
    if (!state) throw new SagaNotFoundError(sagaId);
    throw new InvalidArgumentError(
      `Saga "${sagaId}" is ${state.status}; only compensation_failed sagas can be redriven`,
    );
  }

  /**
   * Resolve with the saga's state once it is final (completed, compensated or
   * compensation_failed): read it, then pause until the saga stops running in
   * this process or `pollMs` passes (another host may run it). A stop that
   * comes during a read is remembered by the pause, so it is never missed.
   */
  async waitFor(sagaId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<SagaState> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const pollMs = options.pollMs ?? Math.min(this.#ctx.options.pollIntervalMs, 200);
    const deadline = performance.now() + timeoutMs;
    const pause = new WakeableSleep();
    const wake = () => pause.wake();
    const waiters = this.#finishWaiters.get(sagaId) ?? new Set();
    waiters.add(wake);
    this.#finishWaiters.set(sagaId, waiters);
    try {
      for (;;) {
        const state = await this.#ctx.store.get(sagaId);
        if (state && isFinalSagaStatus(state.status)) return state;
        const left = deadline - performance.now();
        if (left <= 0) throw new SagaWaitTimeoutError(sagaId, timeoutMs);
        await pause.sleep(Math.min(pollMs, left));
      }
    } finally {
      waiters.delete(wake);
      if (waiters.size === 0) this.#finishWaiters.delete(sagaId);
    }
  }

  /** A saga stopped running in this process: its waiters look at its state again. */
  sagaDone(sagaId: string): void {
    this.#finishWaiters.get(sagaId)?.forEach((w) => w());
  }
}
