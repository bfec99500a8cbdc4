/**
 * The renewals of a saga worker's leases: one heartbeat renews every running
 * saga in one statement. A saga the store reports busy (its row locked by a
 * write in flight, so not renewed this time) keeps the deadline of its last
 * renewal and is tried again alone a moment later, so a slow write costs at
 * most its own saga's lease, never the others'.
 */
import { Heartbeat } from '../runtime/heartbeat.js';
import { SagaLeaseLostError } from './errors.js';
import type { SagaStore } from './saga-store.js';

/** A running saga as its renewals see it. */
export interface LeasedRun {
  controller: AbortController;
  /** `performance.now()` past which the worker stops the saga unless a renewal moved it. */
  validUntil: number;
}

/** Options of {@link SagaLeaseRenewals}. */
export interface SagaLeaseRenewalsOptions {
  store: SagaStore;
  workerId: string;
  leaseMs: number;
  heartbeatMs: number;
  /** How long after a renewal was sent its saga may run without another. */
  selfFenceAfterMs: number;
  /** The sagas running now. */
  running: ReadonlyMap<string, LeasedRun>;
  /** A renewal's answer was applied: deadlines may have moved. */
  onAnswer: () => void;
  onError: (err: unknown) => void;
}

/**
 * Renews the leases of a worker's running sagas until stopped.
 *
 * @example
 * ```ts
 * const renewals = new SagaLeaseRenewals({
 *   store, workerId: 'host-a:1:x', leaseMs: 6_000, heartbeatMs: 2_000, selfFenceAfterMs: 4_000,
 *   running, onAnswer: () => armFence(), onError: (err) => log.error({ err }),
 * });
 * renewals.start();
 * ```
 */
export class SagaLeaseRenewals {
  readonly #o: SagaLeaseRenewalsOptions;
  readonly #heartbeat: Heartbeat;
  /** Sagas the last renewal of theirs found busy: renewed again alone after `#retryMs`. */
  readonly #busy = new Set<string>();
  /** Soon enough for a few tries before the deadline of the beat a busy saga missed. */
  readonly #retryMs: number;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SagaLeaseRenewalsOptions) {
    this.#o = options;
    this.#retryMs = Math.max(10, Math.floor(options.heartbeatMs / 8));
    this.#heartbeat = new Heartbeat({
      intervalMs: options.heartbeatMs,
      beat: (sentAt) => this.#renew([...options.running], sentAt),
      onError: options.onError,
    });
  }

  start(): void {
    this.#heartbeat.start();
  }

  /** No renewal is sent after this (one in flight finishes). */
  stop(): void {
    this.#heartbeat.stop();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#busy.clear();
  }

  /** Renew `runs` in one statement sent at `sentAt` and apply the answer. */
  async #renew(runs: [string, LeasedRun][], sentAt: number): Promise<void> {
    if (runs.length === 0) return;
    const { store, workerId, leaseMs, selfFenceAfterMs } = this.#o;
    const answer = await store.heartbeat(
      workerId,
      runs.map(([id]) => id),
      leaseMs,
    );
    const renewed = new Set(answer.renewed);
    const busy = new Set(answer.busy);
    for (const [id, run] of runs) {
      this.#busy.delete(id);
      if (renewed.has(id)) run.validUntil = Math.max(run.validUntil, sentAt + selfFenceAfterMs);
      // Its row is locked by a write in flight: its lease keeps its expiry, the saga its deadline.
      else if (busy.has(id)) this.#busy.add(id);
      // Gone from the store's view: finished just now (harmless) or taken over by another worker.
      else run.controller.abort(new SagaLeaseLostError(id, 'taken'));
    }
    this.#o.onAnswer();
    if (this.#busy.size > 0) this.#retryBusySoon();
  }

  #retryBusySoon(): void {
    if (this.#retryTimer !== undefined || !this.#heartbeat.running) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const runs = [...this.#busy].flatMap((id): [string, LeasedRun][] => {
        const run = this.#o.running.get(id);
        return run && !run.controller.signal.aborted ? [[id, run]] : [];
      });
      this.#busy.clear();
      // A failure is reported; the next beat renews them with the rest.
      this.#renew(runs, performance.now()).catch(this.#o.onError);
    }, this.#retryMs);
    this.#retryTimer.unref?.();
  }
}
