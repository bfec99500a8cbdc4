import { formatCheckpoint } from '../checkpoint.js';
import type { EventMetadata, StoredEvent } from '../types.js';

/**
 * Columns selected for a stored event, in every read. Timestamps travel as
 * epoch milliseconds: the driver's date parser was the largest single cost of
 * catching up on the log.
 */
export const EVENT_COLUMNS = `global_position, transaction_id::text AS txid, id, aggregate_id, aggregate_type,
  event_type, event_data, metadata, version,
  floor(extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_ms,
  floor(extract(epoch FROM processed_at) * 1000)::float8 AS processed_ms`;

/** A row of {@link EVENT_COLUMNS} as drivers return it (bigint may come back as string). */
export interface EventRow {
  global_position: string | number;
  txid: string;
  id: string;
  aggregate_id: string;
  aggregate_type: string;
  event_type: string;
  event_data: unknown;
  metadata: unknown;
  version: string | number;
  occurred_ms: number | string;
  processed_ms: number | string;
}

/** Map a database row to a {@link StoredEvent}. */
export function toStoredEvent(row: EventRow): StoredEvent {
  const globalPosition = Number(row.global_position);
  return {
    id: row.id,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    type: row.event_type,
    data: row.event_data,
    metadata: (row.metadata ?? {}) as EventMetadata,
    version: Number(row.version),
    globalPosition,
    occurredAt: new Date(Number(row.occurred_ms)),
    processedAt: new Date(Number(row.processed_ms)),
    checkpoint: formatCheckpoint(row.txid, globalPosition),
  };
}
