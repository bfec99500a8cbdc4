/**
 * The stored form of an audit record (`conflict_audit.record`, format 2).
 *
 * A resolution names its contenders by event id everywhere but in its
 * `contenders` list: winner, losers, merged, pending and the fields'
 * contributors are ids, and the markers of an escalation repeat every
 * contender's value. The stored form keeps each contender once, as a tuple
 * (event id first, so `record->'resolution'->'contenders' @> '[["<event id>"]]'`
 * finds the conflicts an event took part in), and leaves out what follows from
 * it: the markers and the pending list when they are the ones the engine
 * derives. Reading expands it back into the same `ConflictRecord`, so nothing
 * of the audit is lost; a stock conflict of 20 contenders takes about a third
 * of the bytes of the full record. Records written before (format 1, the
 * whole record) are read as they are.
 */
import type { HlcTimestamp } from '../../../core/hlc.js';
import { jsonEquals, type JsonObject } from '../../json.js';
import { markersFor } from '../../pipeline/resolve.js';
import type { ConflictMarker, Contender, Resolution } from '../../types.js';
import type { ConflictRecord } from './audit-record.js';

/**
 * The format number written in `record.v`; format 1 rows have none.
 *
 * @example
 * ```ts
 * (JSON.parse(encodeAuditRecord(record)) as { v: number }).v === AUDIT_RECORD_FORMAT; // true
 * ```
 */
export const AUDIT_RECORD_FORMAT = 2;

/**
 * One contender of the resolution's entity, as stored: event id, source,
 * source id, HLC wall ms, logical, node, priority, trusted, changes, then its
 * deltas when it has any.
 */
export type StoredContender =
  | [string, string, string, number, number, string, number, boolean, JsonObject]
  | [string, string, string, number, number, string, number, boolean, JsonObject, Record<string, number>];

/** A resolution as stored: `markers` and `pending` absent when derived from the contenders. */
export interface StoredResolution extends Omit<Resolution, 'contenders' | 'markers' | 'pending'> {
  /** Tuples; a contender of another entity (never written by the engine) stays an object. */
  contenders: (StoredContender | Contender)[];
  markers?: Record<string, ConflictMarker[]>;
  pending?: string[];
}

/** The record as stored in format {@link AUDIT_RECORD_FORMAT}. */
export interface StoredAuditRecord extends Omit<ConflictRecord, 'resolution'> {
  v: typeof AUDIT_RECORD_FORMAT;
  resolution: StoredResolution;
}

// A resolution is not changed once built (the engine and a manual decision make new
// ones), so its stored JSON is computed once: ahead, for a prepared resolution.
const encodedResolutions = new WeakMap<Resolution, string>();

/**
 * The stored JSON of a record's resolution, computed once per resolution object.
 * A caller that knows a record before it is written (a prepared resolution)
 * calls it then, so writing the record only adds the few fields around it.
 *
 * @example
 * ```ts
 * encodeResolution(prepared.resolution); // now, during the grace; the write reuses it
 * ```
 */
export function encodeResolution(resolution: Resolution): string {
  let json = encodedResolutions.get(resolution);
  if (json === undefined) {
    json = JSON.stringify(storedResolution(resolution));
    encodedResolutions.set(resolution, json);
  }
  return json;
}

/**
 * The JSON text of a record in its stored form.
 *
 * @example
 * ```ts
 * await sql.query('INSERT … VALUES ($1::jsonb)', [encodeAuditRecord(record)]);
 * ```
 */
export function encodeAuditRecord(record: ConflictRecord): string {
  const { resolution, ...rest } = record;
  const head = JSON.stringify({ v: AUDIT_RECORD_FORMAT, ...rest });
  return `${head.slice(0, -1)},"resolution":${encodeResolution(resolution)}}`;
}

/**
 * A stored record (as parsed from jsonb) back as the `ConflictRecord` it was
 * written from; a format 1 record is returned as it is (with `tenantId` null
 * when it predates tenants).
 *
 * @example
 * ```ts
 * const record = decodeAuditRecord(row.record);
 * ```
 */
export function decodeAuditRecord(stored: unknown): ConflictRecord {
  const record = stored as ConflictRecord | StoredAuditRecord;
  if (!('v' in record)) return record.tenantId === undefined ? { ...record, tenantId: null } : record;
  const { v: _format, resolution: r, ...rest } = record;
  const contenders = r.contenders.map((c) =>
    Array.isArray(c) ? contenderOf(c, r.entityType, r.entityId) : c,
  );
  const { markers, pending, ...fields } = r;
  const resolution: Resolution = {
    ...fields,
    contenders,
    pending: pending ?? contenders.map((c) => c.eventId),
    markers: markers ?? markersFor(contenders),
  };
  return { ...rest, resolution };
}

function storedResolution(r: Resolution): StoredResolution {
  const { contenders, markers, pending, ...fields } = r;
  const stored: StoredResolution = {
    ...fields,
    contenders: contenders.map((c) => storedContender(c, r)),
  };
  // Absent means derived: the escalation's pending list is every contender in the total order.
  if (!sameIds(pending, contenders)) stored.pending = pending;
  if (!derivedMarkers(markers, contenders)) stored.markers = markers;
  return stored;
}

function storedContender(c: Contender, r: Resolution): StoredContender | Contender {
  if (c.entityType !== r.entityType || c.entityId !== r.entityId) return c;
  const { hlc } = c;
  const head: StoredContender = [
    c.eventId,
    c.source,
    c.sourceId,
    hlc.wallMs,
    hlc.logical,
    hlc.node,
    c.priority,
    c.trusted,
    c.changes,
  ];
  for (const _ in c.deltas) return [...head, c.deltas] as StoredContender;
  return head;
}

function contenderOf(t: StoredContender, entityType: string, entityId: string): Contender {
  const hlc: HlcTimestamp = { wallMs: t[3], logical: t[4], node: t[5] };
  return {
    entityType,
    entityId,
    source: t[1],
    sourceId: t[2],
    eventId: t[0],
    hlc,
    changes: t[8],
    deltas: t[9] ?? {},
    priority: t[6],
    trusted: t[7],
  };
}

function sameIds(ids: readonly string[], contenders: readonly Contender[]): boolean {
  if (ids.length !== contenders.length || ids.length === 0) return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== contenders[i]!.eventId) return false;
  return true;
}

// Markers are either none or every contender's value per touched field (an escalation).
function derivedMarkers(
  markers: Record<string, ConflictMarker[]>,
  contenders: readonly Contender[],
): boolean {
  const derived = markersFor(contenders);
  let fields = 0;
  for (const field in markers) {
    const list = markers[field]!;
    const expected = derived[field];
    if (expected?.length !== list.length) return false;
    for (let i = 0; i < list.length; i++) if (!sameMarker(list[i]!, expected[i]!)) return false;
    fields += 1;
  }
  return fields > 0 && fields === Object.keys(derived).length;
}

function sameMarker(a: ConflictMarker, b: ConflictMarker): boolean {
  if (a.eventId !== b.eventId || a.source !== b.source || a.delta !== b.delta) return false;
  if (
    Object.hasOwn(a, 'value') !== Object.hasOwn(b, 'value') ||
    Object.hasOwn(a, 'delta') !== Object.hasOwn(b, 'delta')
  )
    return false;
  return a.value === undefined || jsonEquals(a.value, b.value!);
}
