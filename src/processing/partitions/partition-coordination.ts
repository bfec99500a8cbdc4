/**
 * What partitioned processors share through the store: the layout, the member
 * list and the partitions' checkpoints — in SQL tables, or in the in-memory
 * store's state for instances sharing one process.
 */
import type { LogCheckpoint } from '../../core/checkpoint.js';
import { priorityLaneOf, type SqlClient } from '../../core/sql-client.js';
import type { EventStore } from '../../store/types.js';
import { ProcessorLayoutError } from '../errors.js';
import { memoryStoreState } from '../memory-state.js';
import type { ProcessingState } from '../state/processing-state.js';
import { claimLayout, readLayout } from './layout-store.js';
import { heartbeatMember, leaveMembers } from './member-store.js';
import { partitionNames } from './partition-names.js';

/** The shared state of partitioned processors on one store. */
export interface PartitionCoordination {
  /**
   * Record `name`'s partition count or check it (throws {@link ProcessorLayoutError});
   * the first recording stores every partition's checkpoint at `initial`.
   */
  claimLayout(name: string, partitions: number, initial: LogCheckpoint): Promise<void>;
  /** The recorded partition count, or null. */
  layout(name: string): Promise<number | null>;
  /** Renew `member` for `ttlMs`; the live members, sorted. */
  heartbeat(name: string, member: string, ttlMs: number): Promise<string[]>;
  leave(name: string, member: string): Promise<void>;
  /** Stored checkpoints of these partitions. */
  checkpoints(names: readonly string[]): Promise<Map<string, LogCheckpoint>>;
  /**
   * Take a partition for `member` before running it: in memory a claim stands in
   * for the lease (true when free or already ours); in SQL always true, as the
   * partition's own lease decides.
   */
  claim(partition: string, member: string): boolean;
  release(partition: string, member: string): void;
}

/**
 * Coordination in the tables of `schema` (`processor_layouts`,
 * `processor_members`), checkpoints through `state`.
 *
 * @example
 * ```ts
 * const coordination = sqlCoordination(sql, 'app', sqlProcessingState(sql, 'app'));
 * ```
 */
export function sqlCoordination(
  sql: SqlClient,
  schema: string,
  state: ProcessingState,
): PartitionCoordination {
  return {
    claimLayout: (name, partitions, initial) => claimLayout(sql, schema, name, partitions, initial),
    layout: (name) => readLayout(sql, schema, name),
    // Membership is renewed like a lease: on the priority lane, so a busy pool does not make a live member look gone.
    heartbeat: (name, member, ttlMs) => heartbeatMember(priorityLaneOf(sql), schema, name, member, ttlMs),
    leave: (name, member) => leaveMembers(priorityLaneOf(sql), schema, name, member),
    checkpoints: (names) => state.readCheckpoints(names),
    claim: () => true,
    release: () => undefined,
  };
}

/**
 * Coordination in the in-memory store's state, for instances sharing one process.
 *
 * @example
 * ```ts
 * const coordination = memoryCoordination(store, processingStateOf(store));
 * ```
 */
export function memoryCoordination(store: EventStore, processing: ProcessingState): PartitionCoordination {
  const state = memoryStoreState(store);
  return {
    async claimLayout(name, partitions, initial) {
      const legacy = partitions !== 1 && state.checkpoints.has(name) ? 1 : undefined;
      const stored = state.layouts.get(name) ?? legacy;
      if (stored !== undefined && stored !== partitions) {
        throw new ProcessorLayoutError(name, partitions, stored);
      }
      if (stored !== undefined) return;
      state.layouts.set(name, partitions);
      for (const row of partitionNames(name, partitions)) {
        if (!state.checkpoints.has(row)) state.checkpoints.set(row, initial);
      }
    },
    async layout(name) {
      return state.layouts.get(name) ?? null;
    },
    async heartbeat(name, member) {
      // In one process nobody dies without leaving: no expiry.
      const members = state.members.get(name) ?? new Set<string>();
      state.members.set(name, members.add(member));
      return [...members].sort();
    },
    async leave(name, member) {
      state.members.get(name)?.delete(member);
    },
    checkpoints: (names) => processing.readCheckpoints(names),
    claim(partition, member) {
      const holder = state.claims.get(partition);
      if (holder !== undefined && holder !== member) return false;
      state.claims.set(partition, member);
      return true;
    },
    release(partition, member) {
      if (state.claims.get(partition) === member) state.claims.delete(partition);
    },
  };
}

/**
 * In memory, what a rebuild's swap does in SQL: retire the old layout's
 * checkpoints, move the new layout's to `checkpoint` and record the count.
 *
 * @example
 * ```ts
 * memoryRelayout(store, 'projection:totals', 4, rebuiltCheckpoint);
 * ```
 */
export function memoryRelayout(
  store: EventStore,
  name: string,
  partitions: number,
  checkpoint: LogCheckpoint,
): void {
  const state = memoryStoreState(store);
  const next = partitionNames(name, partitions);
  for (const row of partitionNames(name, state.layouts.get(name) ?? 1)) {
    if (!next.includes(row)) state.checkpoints.delete(row);
  }
  for (const row of next) state.checkpoints.set(row, checkpoint);
  state.layouts.set(name, partitions);
}
