/**
 * Rebuilding a projection from the log: the progress and result types, and
 * `rebuildProjection`, which hands the work to the projection's storage (the
 * blue/green rebuild of `sql-rebuild.ts` on a SQL store).
 */
import { NotSupportedError } from '../../core/errors.js';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { EventStore } from '../../store/types.js';
import { projectionStorageOf } from '../state/processing-state-of.js';
import type { ProjectionDefinition } from './definition.js';

/** Phases of a rebuild, in order. */
export const REBUILD_PHASES = ['replaying', 'swapping', 'done'] as const;
/** One of {@link REBUILD_PHASES}. */
export type RebuildPhase = (typeof REBUILD_PHASES)[number];

/** A progress report of a rebuild. */
export interface RebuildProgress {
  projection: string;
  phase: RebuildPhase;
  /** Events replayed so far. */
  done: number;
  /** Events in the log (estimated from the head's global position; grows with new appends). */
  total: number;
  /** Events per second since the start. */
  ratePerSecond: number;
  /** Estimated ms to go (null until a rate is known). */
  etaMs: number | null;
  checkpoint: LogCheckpoint;
}

/** What a rebuild did. */
export interface RebuildResult {
  projection: string;
  /** Events replayed. */
  events: number;
  durationMs: number;
  /** The live table's generation after the swap. */
  generation: number;
  /** The checkpoint the rebuilt table is at (async projections continue from here). */
  checkpoint: LogCheckpoint;
}

/**
 * Options of {@link rebuildProjection}.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const result = await rebuildProjection({
 *   store, definition: orderTotals, batchSize: 2_000, progressIntervalMs: 1_000,
 *   onProgress: (p) => console.log(p), signal: controller.signal,
 * });
 * ```
 */
export interface RebuildOptions {
  store: EventStore;
  definition: ProjectionDefinition;
  /** Events per read (default 5000). */
  batchSize?: number;
  /** Minimum ms between progress reports (default 500; the first and last are always reported). */
  progressIntervalMs?: number;
  onProgress?: (progress: RebuildProgress) => void;
  signal?: AbortSignal;
}

/**
 * Rebuild a projection's table from the start of the log without stopping
 * readers: the live table serves reads until the fresh one has caught up, then
 * one transaction swaps them. An async projection's processor is fenced through
 * its checkpoint row and continues from the rebuilt checkpoint; so do its
 * partitions, and the swap records `definition.partitions` as the layout:
 * partitions of another count are retired (they stop) and the new ones start
 * from the rebuilt checkpoint. Inline hooks are held on an advisory lock during
 * the swap. Needs a SQL store.
 *
 * @example
 * ```ts
 * const result = await rebuildProjection({ store, definition: orderTotals,
 *   onProgress: (p) => console.log(`${p.done}/${p.total} ${Math.round(p.ratePerSecond)}/s`) });
 * ```
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const storage = projectionStorageOf(options.store, options.definition);
  if (storage.kind !== 'sql')
    throw new NotSupportedError('rebuildProjection needs a SQL store; use projection.rebuild() in memory');
  return storage.rebuild(options);
}
