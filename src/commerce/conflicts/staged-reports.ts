/**
 * The reports waiting to be settled, as this instance knows them. Each report
 * is staged durably (the processor's checkpoint moves only once it is), then
 * noted in the in-memory open-entity index, so a pass neither scans nor reads
 * the staging table. The table stays the truth: the index is reloaded from it
 * when the lease is taken (reports the previous holder staged) and as a
 * backstop now and then; a reload holds new stagings back while it reads the
 * table, so that the table holds every report the index knows and none staged
 * meanwhile.
 */
import { isCheckpointMovedError, type CheckpointWrite } from '../../processing/index.js';
import { entityKey, type ContenderStaging, type StagedContender } from './contender-staging.js';
import { OpenEntityIndex } from './open-index.js';
import type { PreparedWindows } from './prepared-windows.js';
import type { SettledReportRemoval } from './settled-report-removal.js';

/**
 * Backstop rebuild of the open-entity index from the staging table, ms. The index is
 * rebuilt whenever the lease is taken (reports the previous holder staged); this
 * catches anything staged outside this instance's view between takeovers.
 */
const INDEX_RELOAD_MS = 10_000;

/**
 * The staging table and its in-memory index, kept in step.
 *
 * @example
 * ```ts
 * const reports = new StagedReports(staging, removal, prepared);
 * await reports.stage(rows);
 * if (reports.reloadDue()) await reports.reload(); // passes ended first
 * reports.index.due((e) => schedule.dueAt(e) <= nowMs);
 * ```
 */
export class StagedReports {
  /** The open entities and, once known, their reports. */
  readonly index = new OpenEntityIndex();
  readonly #staging: ContenderStaging;
  readonly #removal: SettledReportRemoval;
  readonly #prepared: PreparedWindows;
  #indexLoadedAt = -Infinity;
  /** Whether the lease was held at the last settle (a newly taken lease reloads the index). */
  #heldLease = false;
  #notedDuringReload: StagedContender[] | null = null;
  /**
   * Held while a reload reads the staging table: reports wait to be staged until it is
   * read, so the table holds every report the index knows and none staged meanwhile.
   */
  #reloadGate: Promise<void> | null = null;
  /** Stagings in progress (the insert and the note in the index). */
  readonly #stagings = new Set<Promise<void>>();

  /** A reload waits for `removal`'s deletes and forgets what `prepared` holds of entities it drops. */
  constructor(staging: ContenderStaging, removal: SettledReportRemoval, prepared: PreparedWindows) {
    this.#staging = staging;
    this.#removal = removal;
    this.#prepared = prepared;
  }

  /**
   * Stage reports and note them in the index, once no reload is reading the table; through
   * `via` (the processor's `ctx.withCheckpoint`) with the checkpoint's move in one statement.
   */
  async stage(rows: StagedContender[], via?: CheckpointWrite): Promise<void> {
    while (this.#reloadGate) await this.#reloadGate;
    const staging = this.#staging.add(rows, via).then(
      () => this.#note(rows),
      (err: unknown) => {
        // The checkpoint had moved, but the insert in its statement was applied: the rows are
        // in the table, so the index knows them (as when the insert went alone).
        if (via && isCheckpointMovedError(err)) this.#note(rows);
        throw err;
      },
    );
    this.#stagings.add(staging);
    try {
      await staging;
    } finally {
      this.#stagings.delete(staging);
    }
  }

  /** The lease is not held: the next time it is, the index is reloaded. */
  leaseLost(): void {
    this.#heldLease = false;
  }

  /**
   * Reports staged by the previous holder are found by a reload when the lease is taken, and
   * by a backstop reload now and then; the table is not scanned on every pass. Lease held.
   */
  reloadDue(): boolean {
    return !this.#heldLease || performance.now() - this.#indexLoadedAt >= INDEX_RELOAD_MS;
  }

  /**
   * Rebuild the index from the staging table. A reload forgets what passes in progress
   * know: the caller lets them end first. Lease held.
   */
  async reload(): Promise<void> {
    // Reports staged while the table is read may be missing from what it returns: noted again after.
    const during: StagedContender[] = [];
    let release = () => {};
    this.#reloadGate = new Promise<void>((resolve) => (release = resolve));
    try {
      await this.#removal.settled(); // rows already settled must not come back from the table
      // Reports being staged finish first; later ones wait for the table to be read
      // (so `during` stays empty, and no entity is read again for a report staged meanwhile).
      while (this.#stagings.size > 0) await Promise.allSettled(this.#stagings);
      this.#notedDuringReload = during;
      const open = await this.#staging.open();
      // Held all along (a backstop reload): this instance staged and settled every report
      // since the last reload, so an entity the table holds as the index does keeps its
      // reports and its window resolved ahead. A newly taken lease forgets everything.
      const kept = this.index.reload(open, {
        keepKnown: this.#heldLease,
        changed: new Set(during.map(entityKey)),
      });
      this.index.note(during);
      this.#prepared.keepOnly(kept);
    } finally {
      this.#notedDuringReload = null;
      this.#reloadGate = null;
      release();
    }
    this.#indexLoadedAt = performance.now();
    this.#heldLease = true;
  }

  #note(rows: readonly StagedContender[]): void {
    this.index.note(rows);
    this.#notedDuringReload?.push(...rows);
  }
}
