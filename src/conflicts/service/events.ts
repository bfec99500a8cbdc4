/**
 * Events the resolver appends to the entity's stream, and their payloads.
 */
import { formatHlc } from '../../core/hlc.js';
import type { NewEvent } from '../../store/types.js';
import type { JsonObject } from '../json.js';
import { ownPayload } from './own-payloads.js';
import type { ConflictKind, EscalationReason, ConflictMarker, Resolution } from '../types.js';

/**
 * Appended when a stock conflict is detected (the name the specification uses;
 * the payload also satisfies the commerce catalog's schema).
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === CONFLICT_DETECTED_EVENT);
 * ```
 */
export const CONFLICT_DETECTED_EVENT = 'inventory.sync_conflict_detected';
/**
 * Appended instead of {@link CONFLICT_DETECTED_EVENT} when the conflict is not
 * a stock conflict the commerce catalog's `inventory.sync_conflict_detected`
 * schema can describe (orders, payments, or no creator id known).
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === CONFLICT_DETECTED_EVENT || e.type === GENERIC_CONFLICT_DETECTED_EVENT);
 * ```
 */
export const GENERIC_CONFLICT_DETECTED_EVENT = 'conflict.detected';
/**
 * Appended when a conflict is resolved, automatically or by an admin.
 *
 * @example
 * ```ts
 * if (e.type === CONFLICT_RESOLVED_EVENT) applyToReadModel(e.data as ConflictResolvedData);
 * ```
 */
export const CONFLICT_RESOLVED_EVENT = 'conflict.resolved';
/**
 * Appended when a conflict waits for an admin.
 *
 * @example
 * ```ts
 * if (e.type === CONFLICT_ESCALATED_EVENT) notifyAdmins(e.data as ConflictEscalatedData);
 * ```
 */
export const CONFLICT_ESCALATED_EVENT = 'conflict.escalated';

/** Fields of the commerce catalog's `inventory.sync_conflict_detected` payload. */
export interface StockConflictFields {
  creatorId: string;
  productId: string;
  /** Stock before the conflict (our side). */
  localQuantity: number;
  /** The highest-ranked contender's count that differs from ours. */
  remoteQuantity: number;
  remoteSource: string;
  /** The resolved stock, when resolved automatically. */
  resolvedQuantity?: number;
}

/**
 * Payload of {@link CONFLICT_DETECTED_EVENT} / {@link GENERIC_CONFLICT_DETECTED_EVENT}.
 * `creatorId` is set whenever the creator is known (the base state's, or
 * `ResolveOptions.creatorId`), for order and payment conflicts too.
 */
export interface ConflictDetectedData extends Partial<StockConflictFields> {
  conflictId: string;
  entityType: string;
  entityId: string;
  kind: ConflictKind;
  /** Every contender; in summary form (`eventDetail: 'summary'`), the first of each source. */
  contenders: { eventId: string; source: string; sourceId: string; hlc: string; trusted: boolean }[];
  /** How many contenders the conflict had, when `contenders` is a summary (absent: all are listed). */
  contenderCount?: number;
  escalated: boolean;
}

/** Payload of {@link CONFLICT_RESOLVED_EVENT}: apply `set`, then add `adjust`, to the entity. */
export interface ConflictResolvedData {
  conflictId: string;
  entityType: string;
  entityId: string;
  strategy: string;
  rule: string;
  winner: string | null;
  losers: string[];
  merged: string[];
  set: JsonObject;
  adjust: Record<string, number>;
  manual: boolean;
  adminId?: string;
  note?: string;
  decidedAt?: string;
}

/** Payload of {@link CONFLICT_ESCALATED_EVENT}. */
export interface ConflictEscalatedData {
  conflictId: string;
  entityType: string;
  entityId: string;
  reasons: EscalationReason[];
  markers: Record<string, ConflictMarker[]>;
}

/**
 * The detected event of a resolution. A stock conflict whose creator, stock
 * before and a contender's count are known is an `inventory.sync_conflict_detected`
 * that also satisfies the commerce catalog's schema (extra keys are allowed);
 * anything else is a `conflict.detected`.
 *
 * @example
 * ```ts
 * const event = detectedEvent(resolution, id, { stockField: 'quantity', creatorId: 'creator-1' });
 * ```
 */
export function detectedEvent(
  r: Resolution,
  id: string,
  options: { stockField?: string; creatorId?: string } = {},
): NewEvent<typeof CONFLICT_DETECTED_EVENT | typeof GENERIC_CONFLICT_DETECTED_EVENT, ConflictDetectedData> {
  const stock =
    options.stockField === undefined ? null : stockConflictFields(r, options.stockField, options.creatorId);
  // Every conflict of a known creator names it (orders and payments too), so readers can scope it.
  const creator = creatorOf(r, options.creatorId);
  return {
    id,
    type: stock ? CONFLICT_DETECTED_EVENT : GENERIC_CONFLICT_DETECTED_EVENT,
    data: ownPayload({
      ...(creator === undefined ? {} : { creatorId: creator }),
      ...stock,
      conflictId: r.conflictId,
      entityType: r.entityType,
      entityId: r.entityId,
      kind: r.kind,
      contenders: r.contenders.map((c) => ({
        eventId: c.eventId,
        source: c.source,
        sourceId: c.sourceId,
        hlc: formatHlc(c.hlc),
        trusted: c.trusted,
      })),
      escalated: r.status === 'escalated',
    }),
  };
}

const isQuantity = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;

/** The creator of a conflict: the base state's `creatorId`, else the one given. */
function creatorOf(r: Resolution, creatorId: string | undefined): string | undefined {
  const creator = isId(r.before.creatorId) ? r.before.creatorId : creatorId;
  return isId(creator) ? creator : undefined;
}

/**
 * The commerce fields of a stock conflict, or null when one of them is unknown.
 *
 * @example
 * ```ts
 * stockConflictFields(resolution, 'quantity', 'creator-1') // { creatorId, productId, localQuantity, ... } | null
 * ```
 */
export function stockConflictFields(
  r: Resolution,
  field: string,
  creatorId?: string,
): StockConflictFields | null {
  const creator = creatorOf(r, creatorId);
  const local = r.before[field];
  if (!isId(creator) || !isId(r.entityId) || !isQuantity(local)) return null;
  const counts = r.contenders.filter((c) => isQuantity(c.changes[field]));
  const remote = counts.find((c) => c.changes[field] !== local) ?? counts[0];
  if (!remote) return null;
  const resolved = r.status === 'resolved' ? r.after?.[field] : undefined;
  return {
    creatorId: creator,
    productId: r.entityId,
    localQuantity: local,
    remoteQuantity: remote.changes[field] as number,
    remoteSource: remote.source,
    ...(isQuantity(resolved) ? { resolvedQuantity: resolved } : {}),
  };
}

/**
 * The resolved event of a resolution (automatic or manual).
 *
 * @example
 * ```ts
 * const event = resolvedEvent(resolution, id, { manual: false });
 * ```
 */
export function resolvedEvent(
  r: Resolution,
  id: string,
  manual: { manual: false } | { manual: true; adminId: string; note?: string; decidedAt: string },
): NewEvent<typeof CONFLICT_RESOLVED_EVENT, ConflictResolvedData> {
  return {
    id,
    type: CONFLICT_RESOLVED_EVENT,
    data: ownPayload({
      conflictId: r.conflictId,
      entityType: r.entityType,
      entityId: r.entityId,
      strategy: r.strategy,
      rule: r.rule,
      winner: r.winner,
      losers: r.losers,
      merged: r.merged,
      set: r.set,
      adjust: r.adjust,
      ...manual,
    }),
  };
}

/**
 * The escalated event of a resolution.
 *
 * @example
 * ```ts
 * const event = escalatedEvent(resolution, id);
 * ```
 */
export function escalatedEvent(
  r: Resolution,
  id: string,
): NewEvent<typeof CONFLICT_ESCALATED_EVENT, ConflictEscalatedData> {
  return {
    id,
    type: CONFLICT_ESCALATED_EVENT,
    data: ownPayload({
      conflictId: r.conflictId,
      entityType: r.entityType,
      entityId: r.entityId,
      reasons: r.escalation?.reasons ?? [],
      markers: r.markers,
    }),
  };
}
