/**
 * The pure conflict engine: configuration + strategies, no I/O. The
 * `ConflictResolver` service wraps it with the event store and the audit.
 */
import { createConflictConfig, type ConflictConfig, type ConflictConfigInput } from '../config.js';
import { detectConflicts, type Detection } from './detect.js';
import { applyManualDecision } from './manual-decision.js';
import { resolveConflict } from './resolve.js';
import { createStrategyRegistry } from './strategies/registry.js';
import type { ConflictStrategy } from './strategies/strategy.js';
import type { ConflictInput, ContenderInput, ManualDecision, Resolution } from '../types.js';

/**
 * Options of {@link createConflictEngine}.
 *
 * @example
 * ```ts
 * const highestBid: ConflictStrategy = {
 *   name: 'highestBid', associative: true, // a max composes over any grouping
 *   decide: ({ candidates }) => ({
 *     type: 'choose', rule: 'highest_bid', value: Math.max(...candidates.map((c) => Number(c.value))),
 *   }),
 * };
 * const engine = createConflictEngine({ entities: { auction: { strategy: 'highestBid' } } }, { strategies: [highestBid] });
 * ```
 */
export interface ConflictEngineOptions {
  /** Custom strategies, usable by name in the configuration. */
  strategies?: readonly ConflictStrategy[];
}

/**
 * A configured, pure conflict engine.
 *
 * @example
 * ```ts
 * const engine = createConflictEngine({ priorities: { shop: 2, admin: 1 } });
 * const r = engine.resolve({ entityType: 'inventory', entityId: 'sku-1', base: { quantity: 20 }, detectedAt: Date.now(),
 *   contenders: [
 *     { entityType: 'inventory', entityId: 'sku-1', source: 'automated_system', sourceId: 'wms', eventId: 'a',
 *       hlc: { wallMs: 1_000, logical: 0, node: 'wms' }, changes: { quantity: 19 } },
 *     { entityType: 'inventory', entityId: 'sku-1', source: 'scheduled_sync', sourceId: 'cron', eventId: 'b',
 *       hlc: { wallMs: 1_200, logical: 0, node: 'cron' }, changes: { quantity: 20 } },
 *   ] });
 * r.set.quantity // 19 — the lower stock wins
 * ```
 */
export class ConflictEngine {
  readonly config: ConflictConfig;
  readonly #strategies: ReadonlyMap<string, ConflictStrategy>;

  constructor(config: ConflictConfigInput = {}, options: ConflictEngineOptions = {}) {
    this.config = createConflictConfig(config);
    this.#strategies = createStrategyRegistry(this.config, options.strategies);
  }

  /** Names of the strategies this engine knows. */
  get strategyNames(): string[] {
    return [...this.#strategies.keys()];
  }

  /** Group changes into conflicts (see {@link detectConflicts}). */
  detect(changes: readonly ContenderInput[], options: { detectedAt: number }): Detection {
    return detectConflicts(changes, this.config, options);
  }

  /** Resolve one conflict (see {@link resolveConflict}). */
  resolve(input: ConflictInput): Resolution {
    return resolveConflict(input, this.config, this.#strategies);
  }

  /** Apply an admin's decision to an escalated resolution (see {@link applyManualDecision}). */
  decide(escalated: Resolution, decision: ManualDecision): Resolution {
    return applyManualDecision(escalated, decision);
  }
}

/**
 * Create a {@link ConflictEngine}.
 *
 * @example
 * ```ts
 * const engine = createConflictEngine({ thresholds: { orderValue: 2_000 } }, { strategies: [myStrategy] });
 * ```
 */
export function createConflictEngine(
  config: ConflictConfigInput = {},
  options: ConflictEngineOptions = {},
): ConflictEngine {
  return new ConflictEngine(config, options);
}
