/**
 * Latency and failure injection shared by the in-process fakes.
 */
import { InvalidArgumentError } from '../../../core/errors.js';
import { ProviderRejectedError, ProviderUnavailableError } from '../../errors.js';

/**
 * How a fake behaves.
 *
 * @example
 * ```ts
 * // A flaky gateway, reproducible: 20-80 ms per call, 5 % retryable failures, 1 % refusals.
 * const payments = new FakePaymentGateway({ latencyMs: [20, 80], failureRate: 0.05, rejectionRate: 0.01, random: seeded(42) });
 * ```
 */
export interface FakeBehaviourOptions {
  /** Delay per call in ms: a fixed value or a `[min, max]` range. Default 0. */
  latencyMs?: number | readonly [number, number];
  /** Probability (0–1) that a call fails with a retryable `ProviderUnavailableError`. Default 0. */
  failureRate?: number;
  /** Probability (0–1) that a call is rejected for good (`ProviderRejectedError`). Default 0. */
  rejectionRate?: number;
  /** Random source in [0, 1), for reproducible runs. Default `Math.random`. */
  random?: () => number;
}

/**
 * A scripted outcome of the next calls of an operation. `lost_reply`: the
 * call acts, then the caller sees `ProviderUnavailableError` (a reply lost
 * on the way back), as a timeout after the provider acted looks.
 */
export type ScriptedFailure = 'transient' | 'permanent' | 'lost_reply';

/**
 * Injects latency and failures into a fake's calls.
 *
 * @example
 * ```ts
 * const behaviour = new FakeBehaviour('payment', { latencyMs: [5, 20], failureRate: 0.05 });
 * behaviour.failNext('charge', 'permanent');
 * ```
 */
export class FakeBehaviour {
  readonly #provider: string;
  readonly #options: FakeBehaviourOptions;
  readonly #random: () => number;
  readonly #script = new Map<string, ScriptedFailure[]>();
  readonly #lostReplies = new Map<string, number>();

  constructor(provider: string, options: FakeBehaviourOptions = {}) {
    for (const rate of [options.failureRate, options.rejectionRate]) {
      if (rate !== undefined && !(rate >= 0 && rate <= 1))
        throw new InvalidArgumentError('rates must be within [0, 1]');
    }
    this.#provider = provider;
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /** Make the next `times` calls of `operation` fail as `kind`. */
  failNext(operation: string, kind: ScriptedFailure, times = 1): this {
    const list = this.#script.get(operation) ?? [];
    for (let i = 0; i < times; i++) list.push(kind);
    this.#script.set(operation, list);
    return this;
  }

  /** Wait the configured latency, then fail if scripted or unlucky. */
  async call(operation: string, signal?: AbortSignal): Promise<void> {
    const latency = this.#latency();
    if (latency > 0) await sleep(latency, signal);
    signal?.throwIfAborted();
    const scripted = this.#script.get(operation)?.shift();
    if (scripted === 'permanent')
      throw new ProviderRejectedError(this.#provider, operation, 'rejected (scripted)');
    if (scripted === 'transient')
      throw new ProviderUnavailableError(this.#provider, operation, 'unavailable (scripted)');
    if (scripted === 'lost_reply')
      this.#lostReplies.set(operation, (this.#lostReplies.get(operation) ?? 0) + 1);
    if (this.#random() < (this.#options.rejectionRate ?? 0)) {
      throw new ProviderRejectedError(this.#provider, operation, 'rejected');
    }
    if (this.#random() < (this.#options.failureRate ?? 0)) {
      throw new ProviderUnavailableError(this.#provider, operation, 'temporarily unavailable');
    }
  }

  /** After the fake acted: throw when this call's reply is scripted to be lost. */
  reply(operation: string): void {
    const lost = this.#lostReplies.get(operation) ?? 0;
    if (lost === 0) return;
    this.#lostReplies.set(operation, lost - 1);
    throw new ProviderUnavailableError(this.#provider, operation, 'reply lost (scripted)');
  }

  #latency(): number {
    const l = this.#options.latencyMs ?? 0;
    if (typeof l === 'number') return l;
    return l[0] + this.#random() * (l[1] - l[0]);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
