/**
 * The worker half of a saga runner: claims sagas with leases (`FOR UPDATE SKIP
 * LOCKED` hands each saga to one worker, and a dead worker's sagas are claimed
 * by another once its lease expires), runs their steps and compensations
 * (group-committing every outcome), keeps the leases alive with one heartbeat
 * and retries what failed. A saga whose lease this worker could not renew for
 * `leaseMs − heartbeatMs` (monotonic clock) is stopped here first, so two
 * workers never run its step at once when both honour the signal.
 */
import { setMaxListeners } from 'node:events';
import { setImmediate as afterPendingIo } from 'node:timers/promises';
import { traceStage } from '../core/stage-trace.js';
import { allSucceed, GroupCommitter } from '../runtime/group-commit.js';
import { PollLoop, type PollOutcome } from '../runtime/poll-loop.js';
import type { AnySagaDefinition } from './define-saga.js';
import { SagaLeaseLostError, SagaRunnerStoppedError, UnknownSagaDefinitionError } from './errors.js';
import { withStoreRetry, type RunnerContext } from './runner-context.js';
import { executeSaga, type ExecutionEnvironment } from './saga-execution.js';
import { SagaLeaseRenewals, type LeasedRun } from './saga-lease-renewals.js';
import type { ClaimedSaga, SagaWrite, TakenOverLease } from './saga-store.js';
import { isFinalSagaStatus, type SagaEventMap } from './types.js';

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

interface Active extends LeasedRun {
  done: Promise<void>;
}

/**
 * Runs the sagas of one process; made by the runner, which exposes it as
 * `startWorker()`, `stop()`, `wake()` and `activeCount`.
 */
export class SagaWorker {
  readonly #ctx: RunnerContext;
  /** Called when a saga this worker ran stops here (finished, or its lease lost): `waitFor` looks again. */
  readonly #onDone: (sagaId: string) => void;
  readonly #active = new Map<string, Active>();
  readonly #writes: GroupCommitter<SagaWrite, boolean>;
  #reserved = 0;
  #working = false;
  #stopping = false;
  #stopController = new AbortController();
  /** Claims sagas; a new loop per start(), since a stopped PollLoop stays stopped. */
  #poll: PollLoop | undefined;
  /** The last claim found more than it could take: a saga that finishes should wake the loop. */
  #backlog = false;
  /** Renews the leases of the running sagas, in one statement per beat. */
  readonly #renewals: SagaLeaseRenewals;
  #fenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed fence timer fires (`performance.now()`), or Infinity. */
  #fenceAt = Number.POSITIVE_INFINITY;
  /** Sagas that left at a step boundary because the worker stops, their leases not yet given back. */
  readonly #stoppedHere = new Set<string>();
  /** The fence check the fired timer deferred until the pending I/O has run. */
  #fenceImmediate: ReturnType<typeof setImmediate> | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(ctx: RunnerContext, maxConcurrency: number, onDone: (sagaId: string) => void) {
    this.#ctx = ctx;
    this.#onDone = onDone;
    const { options, store } = ctx;
    // Several flushes in flight keep the database busy on more than one core; rows are
    // locked in saga_id order and a saga has one pending write, so they cannot conflict.
    // A batch that fails as a whole is written item by item, so a bad item fails only its own caller.
    const maxInFlight = Math.max(1, Math.min(options.writeFlushes, maxConcurrency - 1));
    this.#writes = new GroupCommitter(
      allSucceed((items) => withStoreRetry(() => store.record(options.workerId, items))),
      { maxBatch: options.batchSize, maxInFlight, isolateFailures: true },
    );
    this.#renewals = new SagaLeaseRenewals({
      store,
      workerId: options.workerId,
      leaseMs: options.leaseMs,
      heartbeatMs: options.heartbeatMs,
      selfFenceAfterMs: options.selfFenceAfterMs,
      running: this.#active,
      onAnswer: () => this.#armFence(),
      onError: (err) => ctx.error(err),
    });
  }

  /** Sagas this worker is running now. */
  get activeCount(): number {
    return this.#active.size;
  }

  /**
   * Take a slot for a saga the client is about to create leased to this worker;
   * false when the worker is not running or full. Give it back with `unreserve()`.
   */
  reserve(): boolean {
    const own =
      this.#working && !this.#stopping && this.#active.size + this.#reserved < this.#ctx.options.concurrency;
    if (own) this.#reserved += 1;
    return own;
  }

  unreserve(): void {
    this.#reserved -= 1;
  }

  /**
   * Run a saga the client created leased to this worker (by a statement sent at
   * `leasedAt`), or give its lease back when the worker stopped meanwhile.
   */
  async adopt(definition: AnySagaDefinition, leasedAt: number, claimed: ClaimedSaga): Promise<void> {
    if (!this.#stopping) {
      this.#launch(definition, leasedAt, claimed);
      return;
    }
    // Stopped between the insert and here: give the lease back rather than let it run out.
    await this.#ctx.store
      .release(this.#ctx.options.workerId, [claimed.state.sagaId])
      .catch((err: unknown) => this.#ctx.error(err));
  }

  /** Begin claiming and running sagas (resumes those of dead workers too). */
  start(): void {
    if (this.#working) return;
    this.#working = true;
    this.#stopping = false;
    this.#stopController = new AbortController();
    // Every running saga listens for the stop: the default limit of 10 would warn.
    setMaxListeners(0, this.#stopController.signal);
    this.#renewals.start();
    const poll = new PollLoop({
      turn: () => this.#claim(),
      onError: (err) => {
        this.#ctx.error(err);
        return { ms: this.#ctx.options.pollIntervalMs };
      },
      unref: true,
    });
    this.#poll = poll;
    this.#ctx.store
      .onWake?.(() => this.wake())
      .then((unlisten) => {
        if (this.#working) this.#unlisten = unlisten;
        else void unlisten();
      })
      .catch((err: unknown) => this.#ctx.error(err));
    poll.start();
  }

  /**
   * Stop claiming; let in-flight steps finish (up to `drainMs`), then abort the
   * rest and release their leases so other workers resume them at once.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const drainMs = options.drainMs ?? 5_000;
    this.#working = false;
    this.#stopping = true;
    // Let a claim in flight finish, so the sagas it launched are drained with the rest.
    await this.#poll?.stop();
    this.#poll = undefined;
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.().catch(() => undefined);
    const held = new Set(this.#active.keys());
    const all = Promise.all([...this.#active.values()].map((a) => a.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    this.#stopController.abort(new SagaRunnerStoppedError());
    await all;
    // Heartbeats ran through the drain, so no lease ran out under a step that was finishing.
    this.#renewals.stop();
    this.#disarmFence();
    await this.#writes.drained();
    // Also those that reached a step boundary and left while the claim loop stopped.
    for (const id of this.#stoppedHere) held.add(id);
    this.#stoppedHere.clear();
    if (options.releaseLeases ?? true) {
      const unfinished = await Promise.all([...held].map((id) => this.#ctx.store.get(id)));
      const release = unfinished.filter((s) => s && !isFinalSagaStatus(s.status)).map((s) => s!.sagaId);
      await this.#ctx.store
        .release(this.#ctx.options.workerId, release)
        .catch((err: unknown) => this.#ctx.error(err));
    }
  }

  /** Claim now instead of at the next poll (e.g. after sagas were created elsewhere, or a definition was registered). */
  wake(): void {
    if (this.#working) this.#poll?.wake();
  }

  /** Run a saga leased to this worker by a statement sent at `leasedAt` (`performance.now()`). */
  #launch(definition: AnySagaDefinition, leasedAt: number, claimed: ClaimedSaga): void {
    const { sagaId } = claimed.state;
    const controller = new AbortController();
    const active: Active = {
      controller,
      done: Promise.resolve(),
      validUntil: leasedAt + this.#ctx.options.selfFenceAfterMs,
    };
    const stop = this.#stopController.signal;
    const onStop = () => controller.abort(stop.reason);
    if (stop.aborted) controller.abort(stop.reason);
    else stop.addEventListener('abort', onStop, { once: true });
    const env: ExecutionEnvironment = {
      write: (w) => this.#writes.submit(w),
      ...(this.#ctx.store.joinStep
        ? { joinStep: (w, committed) => this.#ctx.store.joinStep!(this.#ctx.options.workerId, w, committed) }
        : {}),
      emit: (event, ...args) => {
        if (event === 'saga:lease_lost') {
          const { reason } = args[0] as SagaEventMap['saga:lease_lost'][0];
          traceStage('saga.lease_lost', () => [sagaId, `reason=${reason}`, `token=${claimed.token}`]);
        }
        if (event === 'saga:dead_lettered')
          this.#logDeadLetter(args[0] as SagaEventMap['saga:dead_lettered'][0]);
        (this.#ctx.events.emit as (name: string, ...rest: unknown[]) => boolean)(event, ...args);
      },
      stopping: () => this.#stopping,
      checkLease: () => this.#fenceAfterPendingIo(sagaId, active),
      signal: controller.signal,
      stepTimeoutMs: this.#ctx.options.stepTimeoutMs,
      outagePauseMs: this.#ctx.options.outagePauseMs,
      retry: this.#ctx.options.retry,
      compensationRetry: this.#ctx.options.compensationRetry,
    };
    active.done = executeSaga(definition, claimed, env)
      .then((outcome) => {
        // Left at a step boundary because the worker stops: the lease is still ours to give back.
        if (outcome === 'stopped') this.#stoppedHere.add(sagaId);
      })
      .catch((err: unknown) => {
        // The lease is not released: the saga resumes (here or elsewhere) once it expires.
        this.#ctx.error(err);
      })
      .finally(() => {
        stop.removeEventListener('abort', onStop);
        this.#active.delete(sagaId);
        this.#onDone(sagaId);
        // Saturated with a backlog: claim again once a tenth of the slots is free, in one batch.
        const free = this.#ctx.options.concurrency - this.#active.size - this.#reserved;
        if (this.#backlog && free >= Math.max(1, Math.floor(this.#ctx.options.concurrency / 10))) {
          this.wake();
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
      else
        void this.#ctx.store
          .release(this.#ctx.options.workerId, [sagaId])
          .catch((err: unknown) => this.#ctx.error(err));
    });
  }

  /**
   * One turn of the claim loop: claim as many sagas as there are free slots (a
   * batch at a time), launch them, and say when to look again — at once while
   * a full batch came back and slots remain, else at the poll interval or when
   * the next foreign lease expires, so recovery takes at most one lease. A
   * full worker waits for a finishing saga's wake.
   */
  async #claim(): Promise<PollOutcome> {
    const { options, definitions, store } = this.#ctx;
    const free = options.concurrency - this.#active.size - this.#reserved;
    if (free <= 0 || definitions.size === 0) {
      this.#backlog = free <= 0;
      return { ms: options.pollIntervalMs };
    }
    const limit = Math.min(free, options.batchSize);
    const claimedAt = performance.now();
    const result = await store.claim({
      owner: options.workerId,
      leaseMs: options.leaseMs,
      limit,
      definitions: definitions.names(),
    });
    for (const claimed of result.sagas) {
      const definition = definitions.get(claimed.state.definition);
      if (!definition) {
        this.#ctx.error(new UnknownSagaDefinitionError(claimed.state.definition));
        continue;
      }
      if (claimed.takenOver) this.#reportTakeover(claimed, claimed.takenOver);
      const stale = this.#active.get(claimed.state.sagaId);
      if (stale) this.#relaunch(stale, definition, claimedAt, claimed);
      else this.#launch(definition, claimedAt, claimed);
    }
    this.#backlog = result.sagas.length === limit;
    if (this.#backlog && this.#active.size + this.#reserved < options.concurrency) return 'again';
    const nextExpiry = result.nextExpiryMs === null ? Infinity : result.nextExpiryMs + 5;
    return { ms: Math.min(options.pollIntervalMs, nextExpiry) };
  }

  /** A claim took over a lease that ran out: say whose, and how long ago (`BENCH_E2E_TRACE` shows it too). */
  #reportTakeover(claimed: ClaimedSaga, lease: TakenOverLease): void {
    const { sagaId, definition } = claimed.state;
    const { previousOwner, expiredForMs } = lease;
    traceStage('saga.taken_over', () => [
      sagaId,
      `token=${claimed.token}`,
      `from=${previousOwner}`,
      `expired_ms=${Math.round(expiredForMs)}`,
    ]);
    this.#ctx.events.emit('saga:taken_over', {
      sagaId,
      definition,
      previousOwner,
      expiredForMs,
      token: claimed.token,
    });
  }

  /**
   * The check before a step: past the deadline, look again once the I/O already
   * waiting has run. After a stall (CPU starvation, a long GC, synchronous work)
   * Node runs the overdue timers and the continuations first; a heartbeat's
   * reply that arrived meanwhile, renewing the lease in time, is handled after
   * them. Fencing before reading it stopped sagas whose lease was current, and
   * they were claimed again once it ran out. The reply proves no one else could
   * take the saga (only a claim changes the owner), so acting on it is safe;
   * nothing waits for a reply that has not arrived.
   */
  async #fenceAfterPendingIo(sagaId: string, active: Active): Promise<void> {
    if (active.controller.signal.aborted || performance.now() < active.validUntil) return;
    await afterPendingIo();
    this.#fenceIfExpired(sagaId, active);
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
        this.#fenceTimer = undefined;
        // Decide after the I/O already waiting: see #fenceAfterPendingIo. Not
        // unref'd: an unref'd immediate waits until other I/O or a timer wakes the loop.
        this.#fenceImmediate = setImmediate(() => {
          this.#fenceImmediate = undefined;
          this.#fenceAt = Number.POSITIVE_INFINITY;
          for (const [id, active] of this.#active) this.#fenceIfExpired(id, active);
          this.#armFence();
        });
      },
      Math.max(0, earliest - performance.now()),
    );
    this.#fenceTimer.unref?.();
  }

  #disarmFence(): void {
    clearTimeout(this.#fenceTimer);
    this.#fenceTimer = undefined;
    clearImmediate(this.#fenceImmediate);
    this.#fenceImmediate = undefined;
    this.#fenceAt = Number.POSITIVE_INFINITY;
  }

  /** A compensation needs a person: say so even when nobody listens to `saga:dead_lettered`. */
  #logDeadLetter(info: SagaEventMap['saga:dead_lettered'][0]): void {
    const { error, ...fields } = info;
    this.#ctx.options.logger.error(
      { component: `saga:${info.definition}`, ...fields, err: error },
      'saga compensation dead-lettered',
    );
  }
}
