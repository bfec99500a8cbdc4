/**
 * The zod schemas of the events the conflict resolver appends, so a `strict`
 * store accepts them (the resolver registers them on its store) and a typed
 * catalog can include them (`defineEvents({ ...conflictEventSchemas, ... })`).
 */
import { z, type ZodType } from 'zod';
import {
  CONFLICT_ESCALATED_EVENT,
  CONFLICT_RESOLVED_EVENT,
  GENERIC_CONFLICT_DETECTED_EVENT,
  type ConflictDetectedData,
  type ConflictEscalatedData,
  type ConflictResolvedData,
} from './events.js';

const id = z.string().min(1);
const entity = { conflictId: id, entityType: id, entityId: id };
const quantity = z.number().int().min(0);

const detected = z.object({
  ...entity,
  kind: z.string().min(1),
  contenders: z.array(
    z.object({ eventId: id, source: id, sourceId: z.string(), hlc: id, trusted: z.boolean() }),
  ),
  contenderCount: z.number().int().min(1).optional(),
  escalated: z.boolean(),
  // The owner key of the configuration's DetectedEventRule is one of the other keys, which pass.
  localQuantity: quantity.optional(),
  remoteQuantity: quantity.optional(),
  remoteSource: z.string().optional(),
  resolvedQuantity: quantity.optional(),
});

const resolved = z.object({
  ...entity,
  strategy: id,
  rule: z.string(),
  winner: z.string().nullable(),
  losers: z.array(z.string()),
  merged: z.array(z.string()),
  set: z.record(z.string(), z.json()),
  adjust: z.record(z.string(), z.number()),
  manual: z.boolean(),
  adminId: z.string().optional(),
  note: z.string().optional(),
  decidedAt: z.string().optional(),
});

const escalated = z.object({
  ...entity,
  reasons: z.array(z.looseObject({ code: z.string(), message: z.string() })),
  markers: z.record(z.string(), z.array(z.looseObject({ eventId: z.string(), source: z.string() }))),
});

/**
 * Schemas of `conflict.detected`, `conflict.resolved` and `conflict.escalated`
 * (a quantity event of the configuration's `detectedEvent` rule belongs to the
 * host's catalog; commerce's is in its catalog). Typed by the payload interfaces the resolver writes.
 *
 * @example
 * ```ts
 * const events = defineEvents({ ...conflictEventSchemas, 'task.created': z.object({ title: z.string() }) });
 * const store = createEventStore({ events }); // strict, and the resolver's events are in the union
 * ```
 */
export const conflictEventSchemas: {
  readonly [GENERIC_CONFLICT_DETECTED_EVENT]: ZodType<ConflictDetectedData, ConflictDetectedData>;
  readonly [CONFLICT_RESOLVED_EVENT]: ZodType<ConflictResolvedData, ConflictResolvedData>;
  readonly [CONFLICT_ESCALATED_EVENT]: ZodType<ConflictEscalatedData, ConflictEscalatedData>;
} = Object.freeze({
  // The schemas check the same shapes as the interfaces; the interfaces name
  // the unions (conflict kinds, escalation codes) the resolver writes.
  [GENERIC_CONFLICT_DETECTED_EVENT]: detected as unknown as ZodType<
    ConflictDetectedData,
    ConflictDetectedData
  >,
  [CONFLICT_RESOLVED_EVENT]: resolved as unknown as ZodType<ConflictResolvedData, ConflictResolvedData>,
  [CONFLICT_ESCALATED_EVENT]: escalated as unknown as ZodType<ConflictEscalatedData, ConflictEscalatedData>,
});

/**
 * The stream of an entity's conflict records: `conflicts-<entityType>-<entityId>`.
 * Conflict events live there, never in the entity's own stream, so resolving
 * a conflict does not move the entity's version under a client's expected version.
 *
 * @example
 * ```ts
 * const { events } = await store.readStream(conflictStreamId('inventory', 'sku-1'));
 * ```
 */
export function conflictStreamId(entityType: string, entityId: string): string {
  return `conflicts-${entityType}-${entityId}`;
}
