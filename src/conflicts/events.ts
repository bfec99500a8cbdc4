/**
 * Events the resolver appends to the entity's stream, and their payloads.
 */
import { formatHlc } from '../core/hlc.js';
import type { NewEvent } from '../store/types.js';
import type { JsonObject } from './json.js';
import type { ConflictKind, EscalationReason, ConflictMarker, Resolution } from './types.js';

/**
 * Appended when a conflict is detected (the name the specification uses).
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === CONFLICT_DETECTED_EVENT);
 * ```
 */
export const CONFLICT_DETECTED_EVENT = 'inventory.sync_conflict_detected';
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

/** Payload of {@link CONFLICT_DETECTED_EVENT}. */
export interface ConflictDetectedData {
  conflictId: string;
  entityType: string;
  entityId: string;
  kind: ConflictKind;
  contenders: { eventId: string; source: string; sourceId: string; hlc: string; trusted: boolean }[];
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
 * The detected event of a resolution.
 *
 * @example
 * ```ts
 * const event = detectedEvent(resolution, id);
 * ```
 */
export function detectedEvent(
  r: Resolution,
  id: string,
): NewEvent<typeof CONFLICT_DETECTED_EVENT, ConflictDetectedData> {
  return {
    id,
    type: CONFLICT_DETECTED_EVENT,
    data: {
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
    },
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
    data: {
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
    },
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
    data: {
      conflictId: r.conflictId,
      entityType: r.entityType,
      entityId: r.entityId,
      reasons: r.escalation?.reasons ?? [],
      markers: r.markers,
    },
  };
}
