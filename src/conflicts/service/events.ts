/**
 * Events the resolver appends to the entity's stream, and their payloads.
 */
import { formatHlc } from '../../core/hlc.js';
import type { NewEvent } from '../../store/types.js';
import type { DetectedEventRule, QuantityConflictFields } from '../config.js';
import type { Json, JsonObject } from '../json.js';
import { ownPayload } from './own-payloads.js';
import type { ConflictKind, EscalationReason, ConflictMarker, Resolution } from '../types.js';

/**
 * Appended when a conflict is detected, unless the configuration's
 * `detectedEvent.quantityEvent` names another type for it.
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === GENERIC_CONFLICT_DETECTED_EVENT);
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

/**
 * Payload of a detected event: {@link GENERIC_CONFLICT_DETECTED_EVENT}, or the
 * quantity event of the configuration's {@link DetectedEventRule}. With a rule,
 * its `ownerKey` names the owner whenever it is known (the base state's, or
 * `ResolveOptions.ownerId`), and a quantity event adds its `subjectKey` (the
 * entity id) and the {@link QuantityConflictFields}, owner and subject first.
 */
export interface ConflictDetectedData extends Partial<QuantityConflictFields> {
  conflictId: string;
  entityType: string;
  entityId: string;
  kind: ConflictKind;
  /** Every contender; in summary form (`eventDetail: 'summary'`), the first of each source. */
  contenders: { eventId: string; source: string; sourceId: string; hlc: string; trusted: boolean }[];
  /** How many contenders the conflict had, when `contenders` is a summary (absent: all are listed). */
  contenderCount?: number;
  escalated: boolean;
  /** The rule's owner and subject keys. */
  [key: string]: Json | undefined;
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
 * The detected event of a resolution. Without a quantity event in `rule`, or
 * when one of its fields is unknown, it is a `conflict.detected`.
 *
 * @example
 * ```ts
 * const event = detectedEvent(resolution, id, { rule: config.detectedEvent, quantityField: 'free', ownerId: 'venue-1' });
 * ```
 */
export function detectedEvent(
  r: Resolution,
  id: string,
  options: { rule?: Readonly<DetectedEventRule> | null; quantityField?: string; ownerId?: string } = {},
): NewEvent<string, ConflictDetectedData> {
  const rule = options.rule ?? null;
  const quantity =
    rule?.quantityEvent === undefined || options.quantityField === undefined
      ? null
      : quantityConflictFields(r, options.quantityField, rule, options.ownerId);
  // Every conflict of a known owner names it, so readers can scope it.
  const owner = rule === null ? undefined : ownerOf(r, rule, options.ownerId);
  return {
    id,
    type: quantity ? rule!.quantityEvent!.type : GENERIC_CONFLICT_DETECTED_EVENT,
    data: ownPayload({
      ...(owner === undefined ? {} : { [rule!.ownerKey]: owner }),
      ...quantity,
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

/** The owner of a conflict: the base state's value of the owner key, else the one given. */
function ownerOf(
  r: Resolution,
  rule: Readonly<DetectedEventRule>,
  ownerId: string | undefined,
): string | undefined {
  const stated = r.before[rule.ownerKey];
  const owner = isId(stated) ? stated : ownerId;
  return isId(owner) ? owner : undefined;
}

/**
 * The owner, subject and counts of a quantity conflict over `field`, keyed as
 * `rule` says (owner, subject, then the counts), or null when one of them is
 * unknown or the rule has no quantity event.
 *
 * @example
 * ```ts
 * quantityConflictFields(resolution, 'free', config.detectedEvent!, 'venue-1')
 * // { venueId: 'venue-1', showId: 'show-9', localQuantity: 50, remoteQuantity: 48, remoteSource: 'box_office' } | null
 * ```
 */
export function quantityConflictFields(
  r: Resolution,
  field: string,
  rule: Readonly<DetectedEventRule>,
  ownerId?: string,
): (QuantityConflictFields & Record<string, Json>) | null {
  if (rule.quantityEvent === undefined) return null;
  const owner = ownerOf(r, rule, ownerId);
  const local = r.before[field];
  if (owner === undefined || !isId(r.entityId) || !isQuantity(local)) return null;
  const counts = r.contenders.filter((c) => isQuantity(c.changes[field]));
  const remote = counts.find((c) => c.changes[field] !== local) ?? counts[0];
  if (!remote) return null;
  const resolved = r.status === 'resolved' ? r.after?.[field] : undefined;
  return {
    [rule.ownerKey]: owner,
    [rule.quantityEvent.subjectKey]: r.entityId,
    localQuantity: local,
    remoteQuantity: remote.changes[field] as number,
    remoteSource: remote.source,
    ...(isQuantity(resolved) ? { resolvedQuantity: resolved } : {}),
  } as QuantityConflictFields & Record<string, Json>;
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
