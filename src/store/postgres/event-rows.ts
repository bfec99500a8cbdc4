import { formatCheckpoint } from '../checkpoint.js';
import type { EventMetadata, StoredEvent } from '../types.js';

/** Columns selected for a stored event, in every read. */
export const EVENT_COLUMNS = `global_position, transaction_id::text AS txid, id, aggregate_id, aggregate_type,
  event_type, event_data, metadata, version, occurred_at, processed_at`;

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
  occurred_at: Date | string;
  processed_at: Date | string;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

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
    occurredAt: toDate(row.occurred_at),
    processedAt: toDate(row.processed_at),
    checkpoint: formatCheckpoint(row.txid, globalPosition),
  };
}
