/**
 * Options of a partitioned processor, validated once and frozen.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import { defaultLeaseOwner } from '../../runtime/lease-owner.js';
import {
  resolveProcessorOptions,
  type ProcessorOptions,
  type ResolvedProcessorOptions,
} from '../processor-options.js';
import type { StoredEvent } from '../../store/types.js';
import { streamPartitionKey, type PartitionKey } from './partition-key.js';

/**
 * Most partitions of one processor: each is a processor with its own lease and reads of the log.
 *
 * @example
 * ```ts
 * const partitions = Math.min(MAX_PARTITIONS, hosts * 4);
 * ```
 */
export const MAX_PARTITIONS = 1024;

/**
 * Options of `createPartitionedProcessor` (typed like {@link ProcessorOptions}).
 *
 * @example
 * ```ts
 * const options: PartitionedProcessorOptions = { store, name: 'totals', partitions: 4, handle: () => {} };
 * ```
 */
export interface PartitionedProcessorOptions<
  E extends StoredEvent = StoredEvent,
  T extends E['type'] = E['type'],
> extends Omit<ProcessorOptions<E, T>, 'requireCheckpoint'> {
  /**
   * How many partitions (1 … {@link MAX_PARTITIONS}). Recorded for `name` on first
   * start; starting with another count throws a `ProcessorLayoutError` (a rebuild changes it).
   */
  partitions: number;
  /** Routing key of an event. Default {@link streamPartitionKey}; see also `tenantPartitionKey`. */
  partitionKey?: PartitionKey;
}

/** Options after validation and defaults. */
export interface ResolvedPartitionedOptions {
  /** The options each partition's processor is made from (name, filter and lease set per partition). */
  readonly processor: Readonly<Omit<ProcessorOptions, 'requireCheckpoint'>>;
  /** The whole set validated as one processor (defaults for the shared settings). */
  readonly resolved: ResolvedProcessorOptions;
  readonly partitions: number;
  readonly partitionKey: PartitionKey;
  /** This instance's member id and partition lease owner. */
  readonly member: string;
  /** False with `lease: false`: no members, this instance runs every partition. */
  readonly shared: boolean;
  /** Member lifetime without a heartbeat (the lease ttl). */
  readonly ttlMs: number;
  /** Heartbeat and rebalance interval. */
  readonly heartbeatMs: number;
}

const schema = z.object({
  name: z.string().max(190), // room for "#1023/1024" within a processor name's 200 characters
  partitions: z.number().int().min(1).max(MAX_PARTITIONS),
  partitionKey: z.custom<PartitionKey>((v) => typeof v === 'function', 'a function').optional(),
});

/**
 * Validate and freeze partitioned-processor options; throws `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * const o = resolvePartitionedOptions({ store, name: 'totals', partitions: 4, handle });
 * ```
 */
export function resolvePartitionedOptions(options: PartitionedProcessorOptions): ResolvedPartitionedOptions {
  const { partitions, partitionKey, ...processor } = options;
  const resolved = resolveProcessorOptions(processor);
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `invalid options of partitioned processor "${options.name}": ${z.prettifyError(parsed.error)}`,
    );
  }
  const lease = resolved.lease;
  const ttlMs = lease === false ? 0 : lease.ttlMs;
  return Object.freeze({
    processor: Object.freeze(processor),
    resolved,
    partitions,
    partitionKey: partitionKey ?? streamPartitionKey,
    member: (lease === false ? undefined : lease.owner) ?? defaultLeaseOwner(),
    shared: lease !== false,
    ttlMs,
    heartbeatMs: lease === false ? 0 : (lease.renewIntervalMs ?? Math.max(10, Math.floor(ttlMs / 3))),
  });
}
