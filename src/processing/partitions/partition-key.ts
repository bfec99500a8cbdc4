/**
 * Routing events to partitions: a key per event (the stream id by default, or
 * a tenant), hashed with 32-bit FNV-1a over its UTF-8 bytes, modulo the
 * partition count. The hash is part of the stored layout: it never changes.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { StoredEvent } from '../../store/types.js';

/**
 * The routing key of an event. Must be pure, and the same for every event of a
 * stream: a partition sees its events in log order, so per-stream order holds
 * only when a stream never spans two partitions.
 */
export type PartitionKey = (event: StoredEvent) => string;

/**
 * The default key: the event's stream id.
 *
 * @example
 * ```ts
 * createPartitionedProcessor({ store, name: 'totals', partitions: 4, partitionKey: streamPartitionKey, handle });
 * ```
 */
export const streamPartitionKey: PartitionKey = (event) => event.aggregateId;

/**
 * Key events by tenant: `metadata[field]`, else `data[field]`, else the stream id
 * (so an event without a tenant still has a stable home). Every event of a stream
 * must carry the same tenant, or lack it throughout. The field has no default:
 * which field names the tenant is the domain's to say (commerce's is `creatorId`).
 *
 * @example
 * ```ts
 * defineProjection({ ..., partitions: 8, partitionKey: tenantPartitionKey('creatorId') });
 * ```
 */
export function tenantPartitionKey(field: string): PartitionKey {
  if (typeof field !== 'string' || field === '') {
    throw new InvalidArgumentError('tenantPartitionKey needs the name of the tenant field');
  }
  return (event) => {
    const fromMetadata = event.metadata[field];
    if (typeof fromMetadata === 'string' && fromMetadata !== '') return fromMetadata;
    const data = event.data;
    const fromData =
      typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
    if (typeof fromData === 'string' && fromData !== '') return fromData;
    return event.aggregateId;
  };
}

/**
 * 32-bit FNV-1a of the UTF-8 bytes of `text` (lone surrogates count as U+FFFD,
 * as `TextEncoder` writes them), without allocating.
 *
 * @example
 * ```ts
 * fnv1a32('foobar') // 0xbf9cf968
 * ```
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const byte = (b: number) => {
    hash = Math.imul(hash ^ b, 0x01000193);
  };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      byte(code);
      continue;
    }
    if (code < 0x800) {
      byte(0xc0 | (code >> 6));
      byte(0x80 | (code & 0x3f));
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        byte(0xf0 | (code >> 18));
        byte(0x80 | ((code >> 12) & 0x3f));
        byte(0x80 | ((code >> 6) & 0x3f));
        byte(0x80 | (code & 0x3f));
        continue;
      }
      code = 0xfffd;
    }
    byte(0xe0 | (code >> 12));
    byte(0x80 | ((code >> 6) & 0x3f));
    byte(0x80 | (code & 0x3f));
  }
  return hash >>> 0;
}

/**
 * The partition (0 … partitions − 1) of a routing key.
 *
 * @example
 * ```ts
 * partitionOf('order-42', 8) // 4, on every host, forever
 * ```
 */
export function partitionOf(key: string, partitions: number): number {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(`a partition key must be a string, got ${typeof key}`);
  }
  return fnv1a32(key) % partitions;
}
