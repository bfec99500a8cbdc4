import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { EventMetadata, StoredEvent } from '../types.js';

/**
 * One stored event as a single JSON text, built by the server:
 * `[global_position, "txid", version, occurred_ms, processed_ms, data, metadata,
 *   "id", [aggregate_id, aggregate_type, event_type]]`.
 *
 * Why: decoding eleven columns per row in the driver (a string, a type parser
 * and a property per field) cost the client more CPU than the server spent
 * finding the rows; one `JSON.parse` of one text per row costs about half.
 * jsonb is embedded as PostgreSQL prints it, so `data` keeps its key order
 * and gets the numbers `JSON.parse` gives, whatever parsers the host gave
 * its driver. The transaction id is a string (an xid8 may exceed 2^53); the
 * timestamps are floored epoch milliseconds as integers (a numeric→float8
 * cast goes through text). Only the free-text columns need JSON escaping, the
 * expensive part on the server (one `array_to_json` looks their type up once,
 * where `to_json` per column would look it up three times); uuids and numbers
 * are quoted or printed as they are. Every column is NOT NULL, which
 * `concat_ws` (it skips NULLs) relies on.
 */
export const EVENT_JSON = `'[' || concat_ws(',', global_position, '"' || transaction_id || '"', version,
  floor(extract(epoch FROM occurred_at) * 1000)::int8, floor(extract(epoch FROM processed_at) * 1000)::int8,
  event_data, metadata, '"' || id || '"', array_to_json(ARRAY[aggregate_id, aggregate_type, event_type])) || ']'`;

/**
 * Columns selected for a stored event by every read: the id (`NULL` when an
 * outer join found no event) and {@link EVENT_JSON}.
 */
export const EVENT_COLUMNS = `id, ${EVENT_JSON} AS event_json`;

/** A row of {@link EVENT_COLUMNS}. */
export interface EventRow {
  id: string;
  event_json: string;
}

type EventTuple = [
  globalPosition: number,
  transactionId: string,
  version: number,
  occurredMs: number,
  processedMs: number,
  data: unknown,
  metadata: EventMetadata | null,
  id: string,
  strings: [aggregateId: string, aggregateType: string, type: string],
];

/** Map one {@link EVENT_JSON} text to a {@link StoredEvent}. */
export function parseStoredEvent(json: string): StoredEvent {
  // Indexed reads, not destructuring: this runs once per event read.
  const t = JSON.parse(json) as EventTuple;
  const strings = t[8];
  return {
    id: t[7],
    aggregateId: strings[0],
    aggregateType: strings[1],
    type: strings[2],
    data: t[5],
    metadata: t[6] ?? {},
    version: t[2],
    globalPosition: t[0],
    occurredAt: new Date(t[3]),
    processedAt: new Date(t[4]),
    // The text formatCheckpoint() makes.
    checkpoint: `${t[1]}:${t[0]}`,
  };
}

/**
 * The checkpoint of one {@link EVENT_JSON} text without parsing it: its
 * first two fields, `[global_position,"txid",…`.
 *
 * @example
 * ```ts
 * checkpointOfEventJson('[40,"812",1,…]') // '812:40'
 * ```
 */
export function checkpointOfEventJson(json: string): LogCheckpoint {
  const comma = json.indexOf(',');
  const txid = json.slice(comma + 2, json.indexOf('"', comma + 2));
  return `${txid}:${json.slice(1, comma)}`;
}

/** Map a row of {@link EVENT_COLUMNS} to a {@link StoredEvent}. */
export function toStoredEvent(row: EventRow): StoredEvent {
  return parseStoredEvent(row.event_json);
}
