/**
 * The durable saga runner: starts sagas, claims them with leases, runs their
 * steps (group-committing every outcome) and keeps the leases alive with a
 * heartbeat. Several runners (processes) may share one database: `FOR UPDATE
 * SKIP LOCKED` hands each saga to one worker, and a dead worker's sagas are
 * claimed by another once its lease expires. A saga whose lease this worker
 * could not renew for `leaseMs − heartbeatMs` (monotonic clock) is stopped
 * here first, so two workers never run its step at once when both honour the signal.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isTransientFailure } from '../runtime/classify-failure.js';
import { DATABASE_RETRY_POLICY } from '../runtime/retry-policy.js';
import { allSucceed, GroupCommitter } from '../runtime/group-commit.js';
import { Heartbeat } from '../runtime/heartbeat.js';
import { withRetry } from '../runtime/with-retry.js';
import type { AnySagaDefinition, SagaDefinition } from './define-saga.js';
import {
  SagaDefinitionConflictError,
  SagaLeaseLostError,
  SagaNotFoundError,
  SagaRunnerStoppedError,
  SagaWaitTimeoutError,
  UnknownSagaDefinitionError,
} from './errors.js';
import { createMemorySagaStore } from './memory-saga-store.js';
import {
  resolveRunnerOptions,
  type ResolvedRunnerOptions,
  type SagaRunnerOptions,
} from './runner-options.js';
import { executeSaga, type ExecutionEnvironment } from './saga-execution.js';
import type {
  ClaimedSaga,
  SagaDeadLetterFilter,
  SagaInsert,
  SagaListFilter,
  SagaStore,
  SagaWrite,
} from './saga-store.js';
import { createSqlSagaStore } from './sql-saga-store.js';
import {
  isFinalSagaStatus,
  type SagaDeadLetter,
  type SagaEventMap,
  type SagaState,
  type StepLogEntry,
} from './types.js';

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

/**
 * Options of {@link SagaRunner.stop}.
 *
 * @example
 * ```ts
 * await runner.stop({ drainMs: 10_000, releaseLeases: true });
 * ```
 */
export interface StopOptions {
  /** How long in-flight steps may finish before they are aborted. Default 5 000 ms. */
  drainMs?: number;
  /** Give up the leases of unfinished sagas so others resume them at once. Default true. */
  releaseLeases?: boolean;
}

interface Active {
  controller: AbortController;
  done: Promise<void>;
  /** `performance.now()` past which this worker stops the saga unless a heartbeat renewed it. */
  validUntil: number;
}

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
  readonly #options: Readonly<ResolvedRunnerOptions>;
  readonly #definitions = new Map<string, AnySagaDefinition>();
  readonly #active = new Map<string, Active>();
  readonly #finishWaiters = new Map<string, Set<() => void>>();
  readonly #inserts: GroupCommitter<SagaInsert, boolean>;
  readonly #writes: GroupCommitter<SagaWrite, boolean>;
  #reserved = 0;
  #working = false;
  #stopping = false;
  #closed = false;
  #stopController = new AbortController();
  #pumping = false;
  #pumpAgain = false;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** Renews the leases of the running sagas, in one statement per beat. */
  readonly #heartbeat: Heartbeat;
  #fenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed fence timer fires (`performance.now()`), or Infinity. */
  #fenceAt = Number.POSITIVE_INFINITY;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(options: SagaRunnerOptions = {}) {
    super();
    this.#options = resolveRunnerOptions(options);
    this.store =
      options.store ??
      (options.sql
        ? createSqlSagaStore({ sql: options.sql, ...(options.schema ? { schema: options.schema } : {}) })
        : createMemorySagaStore());
    const owner = this.#options.workerId;
    const maxBatch = this.#options.batchSize;
    // A batch that fails as a whole is written item by item, so a bad item fails only its own caller.
    this.#inserts = new GroupCommitter(
      allSucceed((items) => this.#withRetry(() => this.store.insert(items))),
      { maxBatch, maxInFlight: 1, isolateFailures: true },
    );
    // Several flushes in flight keep the database busy on more than one core; rows are
    // locked in saga_id order and a saga has one pending write, so they cannot conflict.
    const maxInFlight = Math.max(
      1,
      Math.min(this.#options.writeFlushes, (options.sql?.maxConcurrency ?? 1) - 1),
    );
    this.#writes = new GroupCommitter(
      allSucceed((items) => this.#withRetry(() => this.store.record(owner, items))),
      { maxBatch, maxInFlight, isolateFailures: true },
    );
    this.#heartbeat = new Heartbeat({
      intervalMs: this.#options.heartbeatMs,
      beat: (sentAt) => this.#renewLeases(sentAt),
      onError: (err) => this.#error(err),
    });
    for (const definition of options.definitions ?? []) this.register(definition);
  }

  /** This worker's id, as written in leases and the step log. */
  get workerId(): string {
    return this.#options.workerId;
  }

  /** The lease duration in ms. */
  get leaseMs(): number {
    return this.#options.leaseMs;
  }

  /** Where this runner (and its triggers) log failures; see `SagaRunnerOptions.logger`. */
  get logger(): Logger {
    return this.#options.logger;
  }

  /** Sagas this worker is running now. */
  get activeCount(): number {
    return this.#active.size;
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
    const existing = this.#definitions.get(definition.name);
    if (existing === definition) return;
    if (existing) {
      throw new SagaDefinitionConflictError(
        `Another saga definition named "${definition.name}" is already registered`,
      );
    }
    if (typeof definition.parseInput !== 'function' || !Array.isArray(definition.steps)) {
      throw new InvalidArgumentError('register() takes a definition made by defineSaga()');
    }
    this.#definitions.set(definition.name, definition);
    if (this.#working) this.#schedulePump(0);
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
    this.register(definition);
    const sagaId = options.sagaId ?? randomUUID();
    if (typeof sagaId !== 'string' || sagaId.length === 0 || sagaId.length > 200) {
      throw new InvalidArgumentError('sagaId must be a non-empty string of at most 200 characters');
    }
    // Through JSON now, so steps see exactly what a resuming worker reads back.
    const stored = JSON.parse(JSON.stringify(definition.parseInput(input) ?? null)) as unknown;
    const own =
      this.#working && !this.#stopping && this.#active.size + this.#reserved < this.#options.concurrency;
    if (own) this.#reserved += 1;
    // Before the insert is sent: the lease it writes lasts at least leaseMs from here.
    const leasedAt = performance.now();
    let created: boolean;
    try {
      created = await this.#inserts.submit({
        sagaId,
        definition: definition.name,
        input: stored,
        ...(own ? { owner: this.workerId, leaseMs: this.#options.leaseMs } : {}),
      });
    } finally {
      if (own) this.#reserved -= 1;
    }
    if (!created) return { sagaId, created };
    this.emit('saga:started', { sagaId, definition: definition.name });
    if (own && !this.#stopping) {
      const now = new Date();
      this.#launch(definition, leasedAt, {
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
          leaseOwner: this.workerId,
          leaseExpiresAt: new Date(now.getTime() + this.#options.leaseMs),
          createdAt: now,
          updatedAt: now,
          finishedAt: null,
        },
      });
    } else if (own) {
      // Stopped between the insert and here: give the lease back rather than let it run out.
      await this.store.release(this.workerId, [sagaId]).catch((err: unknown) => this.#error(err));
    } else if (this.#working) this.#schedulePump(0);
    return { sagaId, created };
  }

  /** Begin claiming and running sagas (resumes those of dead workers too). */
  startWorker(): void {
    if (this.#closed) throw new SagaRunnerStoppedError();
    if (this.#working) return;
    this.#working = true;
    this.#stopping = false;
    this.#stopController = new AbortController();
    // Every running saga listens for the stop: the default limit of 10 would warn.
    setMaxListeners(0, this.#stopController.signal);
    this.#heartbeat.start();
    this.store
      .onWake?.(() => this.#schedulePump(0))
      .then((unlisten) => {
        if (this.#working) this.#unlisten = unlisten;
        else void unlisten();
      })
      .catch((err: unknown) => this.#error(err));
    this.#schedulePump(0);
  }

  /**
   * Stop claiming; let in-flight steps finish (up to `drainMs`), then abort the
   * rest and release their leases so other workers resume them at once.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const drainMs = options.drainMs ?? 5_000;
    this.#working = false;
    this.#stopping = true;
    clearTimeout(this.#pollTimer);
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.().catch(() => undefined);
    const held = [...this.#active.keys()];
    const all = Promise.all([...this.#active.values()].map((a) => a.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    this.#stopController.abort(new SagaRunnerStoppedError());
    await all;
    // Heartbeats ran through the drain, so no lease ran out under a step that was finishing.
    this.#heartbeat.stop();
    this.#disarmFence();
    await this.#writes.drained();
    if (options.releaseLeases ?? true) {
      const unfinished = await Promise.all(held.map((id) => this.store.get(id)));
      const release = unfinished.filter((s) => s && !isFinalSagaStatus(s.status)).map((s) => s!.sagaId);
      await this.store.release(this.workerId, release).catch((err: unknown) => this.#error(err));
    }
  }

  /** Stop for good (see {@link stop}) and close the store. */
  async close(options: StopOptions = {}): Promise<void> {
    if (this.#closed) return;
    await this.stop(options);
    this.#closed = true;
    await this.store.close?.();
  }

  /** Claim now instead of at the next poll (e.g. after sagas were created elsewhere). */
  wake(): void {
    if (this.#working) this.#schedulePump(0);
  }

  /** A saga's state, or null. */
  status(sagaId: string): Promise<SagaState | null> {
    return this.store.get(sagaId);
  }

  /** A saga's step log, oldest first. */
  history(sagaId: string): Promise<StepLogEntry[]> {
    return this.store.history(sagaId);
  }

  /** Sagas by status and definition. */
  list(filter?: SagaListFilter): Promise<SagaState[]> {
    return this.store.list(filter);
  }

  /** Dead-lettered compensations. */
  deadLetters(filter?: SagaDeadLetterFilter): Promise<SagaDeadLetter[]> {
    return this.store.deadLetters(filter);
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
    return this.store.countDeadLetters();
  }

  /**
   * Run the failed compensations of a `compensation_failed` saga again (after a
   * person fixed the cause). Compensations that succeeded are not repeated.
   */
  async redrive(sagaId: string): Promise<void> {
    if (await this.store.redrive(sagaId)) {
      this.wake();
      return;
    }
    const state = await this.store.get(sagaId);
    if (!state) throw new SagaNotFoundError(sagaId);
    throw new InvalidArgumentError(
      `Saga "${sagaId}" is ${state.status}; only compensation_failed sagas can be redriven`,
    );
  }

  /** Resolve with the saga's state once it is final (completed, compensated or compensation_failed). */
  async waitFor(sagaId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<SagaState> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const pollMs = options.pollMs ?? Math.min(this.#options.pollIntervalMs, 200);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.store.get(sagaId);
      if (state && isFinalSagaStatus(state.status)) return state;
      const left = deadline - Date.now();
      if (left <= 0) throw new SagaWaitTimeoutError(sagaId, timeoutMs);
      await new Promise<void>((resolve) => {
        const waiters = this.#finishWaiters.get(sagaId) ?? new Set();
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (waiters.size === 0) this.#finishWaiters.delete(sagaId);
          resolve();
        };
        const timer = setTimeout(done, Math.min(pollMs, left));
        waiters.add(done);
        this.#finishWaiters.set(sagaId, waiters);
      });
    }
  }

  /** Run a saga leased to this worker by a statement sent at `leasedAt` (`performance.now()`). */
  #launch(definition: AnySagaDefinition, leasedAt: number, claimed: ClaimedSaga): void {
    const { sagaId } = claimed.state;
    const controller = new AbortController();
    const active: Active = {
      controller,
      done: Promise.resolve(),
      validUntil: leasedAt + this.#options.selfFenceAfterMs,
    };
    const stop = this.#stopController.signal;
    const onStop = () => controller.abort(stop.reason);
    if (stop.aborted) controller.abort(stop.reason);
    else stop.addEventListener('abort', onStop, { once: true });
    const env: ExecutionEnvironment = {
      write: (w) => this.#writes.submit(w),
      emit: (event, ...args) => {
        if (event === 'saga:dead_lettered')
          this.#logDeadLetter(args[0] as SagaEventMap['saga:dead_lettered'][0]);
        (this.emit as (name: string, ...rest: unknown[]) => boolean)(event, ...args);
      },
      stopping: () => this.#stopping,
      checkLease: () => this.#fenceIfExpired(sagaId, active),
      signal: controller.signal,
      stepTimeoutMs: this.#options.stepTimeoutMs,
      retry: this.#options.retry,
      compensationRetry: this.#options.compensationRetry,
    };
    active.done = executeSaga(definition, claimed, env)
      .catch((err: unknown) => {
        // The lease is not released: the saga resumes (here or elsewhere) once it expires.
        this.#error(err);
      })
      .finally(() => {
        stop.removeEventListener('abort', onStop);
        this.#active.delete(sagaId);
        this.#finishWaiters.get(sagaId)?.forEach((w) => w());
        // Saturated with a backlog: claim again once a tenth of the slots is free, in one batch.
        const free = this.#options.concurrency - this.#active.size - this.#reserved;
        if (
          this.#working &&
          this.#pumpAgain &&
          free >= Math.max(1, Math.floor(this.#options.concurrency / 10))
        ) {
          this.#schedulePump(0);
        }
      })
      .then(() => undefined);
    this.#active.set(sagaId, active);
    if (active.validUntil < this.#fenceAt) this.#armFence(active.validUntil);
  }

  /**
   * This worker claimed a saga again while an older run of it is still here (its
   * lease ran out under that run, e.g. the process was paused): the old run's
   * token is stale, so it could record nothing more. Stop it and run the new claim
   * at once, rather than hold the fresh lease idle until it expires.
   */
  #relaunch(stale: Active, definition: AnySagaDefinition, claimedAt: number, claimed: ClaimedSaga): void {
    const { sagaId } = claimed.state;
    stale.controller.abort(new SagaLeaseLostError(sagaId, 'taken'));
    void stale.done.then(() => {
      if (this.#active.has(sagaId)) return; // claimed and launched again meanwhile
      if (this.#working) this.#launch(definition, claimedAt, claimed);
      else void this.store.release(this.workerId, [sagaId]).catch((err: unknown) => this.#error(err));
    });
  }

  #schedulePump(delayMs: number): void {
    if (!this.#working) return;
    if (this.#pumping) {
      if (delayMs === 0) this.#pumpAgain = true;
      return;
    }
    clearTimeout(this.#pollTimer);
    this.#pollTimer = setTimeout(() => void this.#pump(), delayMs);
    this.#pollTimer.unref?.();
  }

  async #pump(): Promise<void> {
    if (this.#pumping || !this.#working) return;
    this.#pumping = true;
    let nextDelay = this.#options.pollIntervalMs;
    try {
      do {
        this.#pumpAgain = false;
        const free = this.#options.concurrency - this.#active.size - this.#reserved;
        if (free <= 0 || this.#definitions.size === 0) {
          // Full: a finishing saga triggers the next claim.
          this.#pumpAgain = free <= 0;
          break;
        }
        const limit = Math.min(free, this.#options.batchSize);
        const claimedAt = performance.now();
        const result = await this.store.claim({
          owner: this.workerId,
          leaseMs: this.#options.leaseMs,
          limit,
          definitions: [...this.#definitions.keys()],
        });
        for (const claimed of result.sagas) {
          const definition = this.#definitions.get(claimed.state.definition);
          if (!definition) {
            this.#error(new UnknownSagaDefinitionError(claimed.state.definition));
            continue;
          }
          const stale = this.#active.get(claimed.state.sagaId);
          if (stale) this.#relaunch(stale, definition, claimedAt, claimed);
          else this.#launch(definition, claimedAt, claimed);
        }
        if (result.sagas.length === limit) this.#pumpAgain = true;
        // Wake up right when the next foreign lease expires, so recovery takes at most one lease.
        if (result.nextExpiryMs !== null) nextDelay = Math.min(nextDelay, result.nextExpiryMs + 5);
      } while (
        this.#pumpAgain &&
        this.#working &&
        this.#active.size + this.#reserved < this.#options.concurrency
      );
    } catch (err) {
      this.#error(err);
    } finally {
      this.#pumping = false;
      if (this.#working) {
        clearTimeout(this.#pollTimer);
        this.#pollTimer = setTimeout(() => void this.#pump(), nextDelay);
        this.#pollTimer.unref?.();
      }
    }
  }

  /**
   * One heartbeat: renew the leases of the running sagas sent at `sentAt`. The
   * heartbeat goes on until stop() has drained, so no lease runs out under a
   * finishing step; a failed beat is reported and retried sooner by the heartbeat.
   */
  async #renewLeases(sentAt: number): Promise<void> {
    const { leaseMs, selfFenceAfterMs } = this.#options;
    const running = [...this.#active.entries()];
    if (running.length === 0) return;
    const held = new Set(
      await this.store.heartbeat(
        this.workerId,
        running.map(([id]) => id),
        leaseMs,
      ),
    );
    for (const [id, active] of running) {
      // Gone from the store's view: finished just now (harmless) or taken over by another worker.
      if (!held.has(id)) active.controller.abort(new SagaLeaseLostError(id, 'taken'));
      else active.validUntil = Math.max(active.validUntil, sentAt + selfFenceAfterMs);
    }
    this.#armFence();
  }

  /** Stop the saga (its signal aborts with `not_renewed`) once its self-fencing deadline has passed. */
  #fenceIfExpired(sagaId: string, active: Active): void {
    if (active.controller.signal.aborted || performance.now() < active.validUntil) return;
    active.controller.abort(new SagaLeaseLostError(sagaId, 'not_renewed'));
  }

  /** Arm the fence timer for the earliest deadline among the running sagas (or `at`). */
  #armFence(at?: number): void {
    let earliest = at ?? Number.POSITIVE_INFINITY;
    if (at === undefined) {
      for (const active of this.#active.values()) {
        if (!active.controller.signal.aborted) earliest = Math.min(earliest, active.validUntil);
      }
    }
    this.#disarmFence();
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.#fenceAt = earliest;
    this.#fenceTimer = setTimeout(
      () => {
        this.#fenceAt = Number.POSITIVE_INFINITY;
        for (const [id, active] of this.#active) this.#fenceIfExpired(id, active);
        this.#armFence();
      },
      Math.max(0, earliest - performance.now()),
    );
    this.#fenceTimer.unref?.();
  }

  #disarmFence(): void {
    clearTimeout(this.#fenceTimer);
    this.#fenceTimer = undefined;
    this.#fenceAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Store writes retry deadlocks, serialization failures and dropped connections.
   * Repeating one after an unknown outcome is safe: inserts are idempotent per
   * saga id and every other write is fenced by its saga's lease token.
   */
  #withRetry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, DATABASE_RETRY_POLICY, {
      shouldRetry: (error) => isTransientFailure(error, { network: false }),
    });
  }

  /**
   * Log at `error` (seen even when nobody listens) and emit as `'error'`, which
   * eventemitter3 never throws, so a background failure cannot crash the host.
   */
  #error(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#options.logger.error(
      { component: `saga-runner:${this.workerId}`, err: error },
      'saga runner failed',
    );
    this.emit('error', error);
  }

  /** A compensation needs a person: say so even when nobody listens to `saga:dead_lettered`. */
  #logDeadLetter(info: SagaEventMap['saga:dead_lettered'][0]): void {
    const { error, ...fields } = info;
    this.#options.logger.error(
      { component: `saga:${info.definition}`, ...fields, err: error },
      'saga compensation dead-lettered',
    );
  }
}
