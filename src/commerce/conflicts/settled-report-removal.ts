/**
 * Settled reports leaving the staging table. Those of a window whose append
 * writes its outcome go in that append's transaction (an inline hook of the
 * store; on the in-memory store right after the commit): a processor that
 * dies after the commit cannot leave them staged, to be cut into another
 * window with a late report by the next holder (and audited twice). The rest —
 * a window whose append wrote nothing, a repeat of one that committed before —
 * are deleted after their pass, off the settling path: settling them again
 * writes nothing, every outcome being keyed.
 */
import type { EventEmitter } from 'eventemitter3';
import type { ConflictDetectedData } from '../../conflicts/service/events.js';
import { GENERIC_CONFLICT_DETECTED_EVENT } from '../../conflicts/service/events.js';
import type { SqlQueryable } from '../../core/sql-client.js';
import type { EventStore, StoredEvent } from '../../store/types.js';
import { SYNC_CONFLICT_DETECTED_EVENT } from './commerce-conflict-names.js';
import type { ContenderStaging } from './contender-staging.js';
import { ORDER_RECONCILED_EVENT } from './report-events.js';
import type { SyncConflictEvents } from './sync-conflict-events.js';

/**
 * Removes settled reports from the staging: with their outcome, or after their pass.
 *
 * @example
 * ```ts
 * const removal = new SettledReportRemoval(store, staging, events);
 * await removal.whileWriting(conflictId, reportIds, () => resolver.resolve(request, options));
 * removal.afterPass(settledIds);
 * await removal.settled();
 * removal.close();
 * ```
 */
export class SettledReportRemoval {
  readonly #staging: ContenderStaging;
  readonly #events: EventEmitter<SyncConflictEvents>;
  /**
   * The reports of the windows being written, by what their append names them with: the
   * conflict id (a conflict) or the report's id (a lone report, the outcome's causation).
   * The staging hook deletes them in that append's transaction.
   */
  readonly #writing = new Map<string, readonly string[]>();
  /** Reports deleted with their outcome (the pass's own delete skips them). */
  readonly #removedWithOutcome = new Set<string>();
  /** Deletes of settled reports from the staging, in order. */
  #removing: Promise<void> = Promise.resolve();
  readonly #removeStagingHook: () => void;

  /** Installs the store's inline hook; `events` hears the failures of the deletes after a pass. */
  constructor(store: EventStore, staging: ContenderStaging, events: EventEmitter<SyncConflictEvents>) {
    this.#staging = staging;
    this.#events = events;
    this.#removeStagingHook = store.addInlineHook({
      name: 'resolve-sync-conflicts.staging',
      eventTypes: new Set([
        SYNC_CONFLICT_DETECTED_EVENT,
        GENERIC_CONFLICT_DETECTED_EVENT,
        'inventory.stock_updated',
        ORDER_RECONCILED_EVENT,
      ]),
      apply: ({ tx, events }) => this.#removeSettled(tx, events),
    });
  }

  /**
   * Run `write`, the append of a window whose outcome is named by `key` (the conflict id,
   * or a lone report's id): the append deletes `reportIds` in its transaction.
   */
  async whileWriting<T>(key: string, reportIds: readonly string[], write: () => Promise<T>): Promise<T> {
    this.#writing.set(key, reportIds);
    try {
      return await write();
    } finally {
      this.#writing.delete(key);
    }
  }

  /**
   * A pass settled these reports: delete, in order after the deletes before, those not
   * deleted with their outcome (a repeat of an append that committed before).
   */
  afterPass(settledIds: readonly string[]): void {
    const ids = settledIds.filter((id) => !this.#removedWithOutcome.delete(id));
    if (ids.length > 0) {
      this.#removing = this.#removing
        .then(() => this.#staging.remove(ids))
        .catch((err: unknown) => void this.#events.emit('error', err));
    }
  }

  /** Resolves once the deletes after passes so far are done (they never reject). */
  settled(): Promise<void> {
    return this.#removing;
  }

  /** Remove the store's inline hook. */
  close(): void {
    this.#removeStagingHook();
  }

  /**
   * Delete the staged reports of the windows an append settles, in its transaction: a
   * processor that dies after the commit cannot leave them staged, to be cut into another
   * window with a late report by the next holder (and audited twice).
   */
  async #removeSettled(
    tx: SqlQueryable | undefined,
    events: readonly StoredEvent[],
  ): Promise<void | (() => void)> {
    const ids: string[] = [];
    for (const e of events) {
      const key =
        e.type === SYNC_CONFLICT_DETECTED_EVENT || e.type === GENERIC_CONFLICT_DETECTED_EVENT
          ? (e.data as ConflictDetectedData).conflictId
          : e.metadata.causationId;
      const reports = key === undefined ? undefined : this.#writing.get(key);
      if (reports) ids.push(...reports);
    }
    if (ids.length === 0) return;
    if (tx) await this.#staging.remove(ids, tx);
    return () => {
      // In memory (no transaction): right after the commit.
      if (!tx) void this.#staging.remove(ids);
      for (const id of ids) this.#removedWithOutcome.add(id);
    };
  }
}
