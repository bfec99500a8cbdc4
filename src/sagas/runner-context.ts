/**
 * What the two halves of a saga runner share: the validated options, the
 * store, the registered definitions, the runner's event emitter and the way
 * both report background failures and retry their database writes.
 */
import type { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../core/errors.js';
import { isTransientFailure } from '../runtime/classify-failure.js';
import { DATABASE_RETRY_POLICY } from '../runtime/retry-policy.js';
import { withRetry } from '../runtime/with-retry.js';
import type { AnySagaDefinition } from './define-saga.js';
import { SagaDefinitionConflictError } from './errors.js';
import type { ResolvedRunnerOptions } from './runner-options.js';
import type { SagaStore } from './saga-store.js';
import type { SagaEventMap } from './types.js';

/** The definitions a runner can start and run, by name. */
export class SagaRegistry {
  readonly #byName = new Map<string, AnySagaDefinition>();

  /** Add `definition`; true when it is new. The same object twice is a no-op, another one of the same name is refused. */
  add(definition: AnySagaDefinition): boolean {
    const existing = this.#byName.get(definition.name);
    if (existing === definition) return false;
    if (existing) {
      throw new SagaDefinitionConflictError(
        `Another saga definition named "${definition.name}" is already registered`,
      );
    }
    if (typeof definition.parseInput !== 'function' || !Array.isArray(definition.steps)) {
      throw new InvalidArgumentError('register() takes a definition made by defineSaga()');
    }
    this.#byName.set(definition.name, definition);
    return true;
  }

  get(name: string): AnySagaDefinition | undefined {
    return this.#byName.get(name);
  }

  get size(): number {
    return this.#byName.size;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}

/** Shared by a runner's client and worker; see the module comment. */
export interface RunnerContext {
  readonly options: Readonly<ResolvedRunnerOptions>;
  readonly store: SagaStore;
  readonly definitions: SagaRegistry;
  /** The runner: `saga:*` events and `error` are emitted on it. */
  readonly events: EventEmitter<SagaEventMap>;
  /** Log at `error` (seen even with no listener) and emit as `'error'`, which never throws. */
  error(err: unknown): void;
}

/**
 * The context of a runner emitting on `events`.
 *
 * @example
 * ```ts
 * const context = runnerContext(resolveRunnerOptions({}), createMemorySagaStore(), runner);
 * ```
 */
export function runnerContext(
  options: Readonly<ResolvedRunnerOptions>,
  store: SagaStore,
  events: EventEmitter<SagaEventMap>,
): RunnerContext {
  return {
    options,
    store,
    definitions: new SagaRegistry(),
    events,
    error(err) {
      const error = err instanceof Error ? err : new Error(String(err));
      options.logger.error(
        { component: `saga-runner:${options.workerId}`, err: error },
        'saga runner failed',
      );
      events.emit('error', error);
    },
  };
}

/**
 * Run a saga store write, retrying deadlocks, serialization failures and
 * dropped connections. Repeating one after an unknown outcome is safe: inserts
 * are idempotent per saga id and every other write is fenced by its saga's lease token.
 *
 * @example
 * ```ts
 * const created = await withStoreRetry(() => store.insert(items));
 * ```
 */
export function withStoreRetry<T>(fn: () => Promise<T>): Promise<T> {
  return withRetry(fn, DATABASE_RETRY_POLICY, {
    shouldRetry: (error) => isTransientFailure(error, { network: false }),
  });
}
