/**
 * An admin's decision on an escalated stock or order conflict
 * (`conflict.resolved`, manual) reaching the read models: the decided values
 * over the state the conflict was resolved against, appended once per
 * conflict (idempotency key `sync-conflict:<conflictId>:manual`).
 */
import { actorFromMetadata } from '../../access/actor-check.js';
import type { ConflictResolver } from '../../conflicts/service/conflict-resolver.js';
import type { ConflictResolvedData } from '../../conflicts/service/events.js';
import type { EventMetadata, EventStore } from '../../store/types.js';
import { appendOutcome } from './append-outcome.js';
import type { SettledEntityType } from './contender-staging.js';

/**
 * Whether `data` is a manual decision on a stock or order conflict: the only
 * `conflict.resolved` {@link applyManualDecision} acts on (the resolver's own
 * resolutions, and other kinds, it leaves alone).
 *
 * @example
 * ```ts
 * if (isSyncDecision(event.data as ConflictResolvedData)) await applyManualDecision(…);
 * ```
 */
export function isSyncDecision(data: ConflictResolvedData): boolean {
  return Boolean(data.manual) && (data.entityType === 'inventory' || data.entityType === 'order');
}

/**
 * Apply a manual decision to the read models; a decision on another kind of conflict,
 * or on one this processor did not audit, is left alone.
 *
 * @example
 * ```ts
 * if (event.type === CONFLICT_RESOLVED_EVENT)
 *   await applyManualDecision(resolver, store, event.data as ConflictResolvedData, event.metadata);
 * ```
 */
export async function applyManualDecision(
  resolver: ConflictResolver,
  store: EventStore,
  data: ConflictResolvedData,
  metadata: EventMetadata,
): Promise<void> {
  if (!isSyncDecision(data)) return;
  const record = await resolver.get(data.conflictId);
  const creatorId = record?.resolution.before.creatorId;
  if (!record || typeof creatorId !== 'string') return; // not one of ours
  const entity = { creatorId, entityType: data.entityType as SettledEntityType, entityId: data.entityId };
  await appendOutcome(
    (...args) => store.append(...args),
    entity,
    { ...record.resolution.before, ...data.set },
    record.resolution.before,
    {
      key: `sync-conflict:${data.conflictId}:manual`,
      causationId: record.events.manual ?? record.events.outcome,
      conflictId: data.conflictId,
      // A decision without its admin is still a decision (the resolver reads it the same way).
      decidedBy: data.adminId ?? 'unknown',
      // The admin who decided is the settled event's actor too.
      ...actorFromMetadata(metadata),
    },
  );
}
