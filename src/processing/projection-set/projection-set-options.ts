/**
 * What a projection set is configured with: its tables (definitions in
 * dependency order), where it runs, how an event names its tenant, and the
 * guards an append must pass.
 */
import type { RowChange } from '../../core/row-change.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import type { ProjectionDefinition } from '../projection/definition.js';

/** Where a set runs: in the append's transaction, or as a processor. */
export const PROJECTION_SET_MODES = ['inline', 'async'] as const;
/** One of {@link PROJECTION_SET_MODES}. */
export type ProjectionSetMode = (typeof PROJECTION_SET_MODES)[number];

/**
 * The tenant an event's rows belong to. Every row an event changes, in every
 * table of the set, must belong to that tenant: the set serializes the
 * transactions touching one tenant's rows (they read, change and write back),
 * and lets different tenants' transactions run side by side.
 *
 * @example
 * ```ts
 * const byShop: TenantOf = (event) => String((event.data as { shopId?: unknown }).shopId ?? '*');
 * ```
 */
export type TenantOf = (event: StoredEvent) => string;

/** What a guard sees: one append batch and the row changes it made. */
export interface GuardedBatch {
  /** The batch's events that the set folds, in log order. */
  readonly events: readonly StoredEvent[];
  /** Every row change the batch made, in log order (the last change of a key holds its final row). */
  readonly changes: readonly RowChange[];
}

/**
 * A check run by a projection set after it applied an append's events, inside
 * the append's transaction (in memory: before the append commits). Throwing
 * fails that append: its events, its row changes and its idempotency key are
 * all rolled back, and the caller gets the error.
 *
 * Guards run for appends, not during a rebuild (history is replayed as it
 * was). In async mode the set keeps inline copies of its `guardTables` for
 * them (the async tables see events only after they commit).
 *
 * @example
 * ```ts
 * const noNegativeBalance: ProjectionSetGuard = ({ changes }) => {
 *   for (const c of changes) if (c.table === 'balances' && Number(c.newRow?.['amount']) < 0) throw new Error('overdrawn');
 * };
 * ```
 */
export type ProjectionSetGuard = (batch: GuardedBatch) => void;

/** Events of a projection set. */
export interface ProjectionSetEventMap {
  error: [error: unknown];
}

/**
 * Options of {@link createProjectionSet}.
 *
 * @example
 * ```ts
 * const options: ProjectionSetOptions = {
 *   store, name: 'shop', definitions: [orders, orderStats], // orderStats folds row:orders
 *   tenantOf: (e) => String((e.data as { shopId: string }).shopId),
 *   mode: 'async', batchSize: 200, guards: [noNegativeStock], guardTables: ['stock'],
 * };
 * ```
 */
export interface ProjectionSetOptions {
  store: EventStore;
  /** Definitions in dependency order: a table may fold `row:<t>` only of tables before it. */
  definitions: readonly ProjectionDefinition[];
  /** Processor (async) / inline hook name; names the set's locks too. */
  name: string;
  /** The tenant of an event's rows. Default: one tenant (`'*'`), every batch takes one lock. */
  tenantOf?: TenantOf;
  /** Default `'inline'`: rows change in the append's transaction. */
  mode?: ProjectionSetMode;
  /** Processor batch size in async mode. Default 500. */
  batchSize?: number;
  /** Processor backstop poll in async mode, ms. Default 1000. */
  pollIntervalMs?: number;
  /**
   * Async mode: after a short batch, gather commits this long before reading
   * again (the processor's `coalesceMs`), so a stream of small appends is
   * folded in fewer, larger transactions. Default 0.
   */
  coalesceMs?: number;
  /** Checked after each append's batch, in its transaction; a throwing guard fails the append. */
  guards?: readonly ProjectionSetGuard[];
  /**
   * The tables the guards judge. In async mode the events reach the tables
   * after they commit, too late to refuse one, so these tables are also kept
   * inline as guard copies (`<table>_guard`, folded in each append's
   * transaction) and the guards judge those. Their definitions may fold only
   * log events, not other tables' rows.
   */
  guardTables?: readonly string[];
}
