/**
 * Appending a settled state on its own — a lone report's figures, or an
 * admin's decision on an escalated conflict — as the outcome event the read
 * models fold (`settled-outcome.ts`). Its idempotency key is derived from
 * what caused it, so settling again after a crash writes nothing twice.
 */
import { actorMetadata, type ActorRef } from '../../access/acting-principal.js';
import type { JsonObject } from '../../conflicts/json.js';
import type { EventStore } from '../../store/types.js';
import type { OpenEntity } from './contender-staging.js';
import { RESOLVE_SYNC_CONFLICTS } from './resolve-sync-conflicts-name.js';
import { settledOutcome } from './settled-outcome.js';

/** What caused an outcome: its idempotency key and the metadata it carries. */
export interface OutcomeCause {
  key: string;
  causationId: string;
  conflictId?: string;
  decidedBy?: string;
  actor?: ActorRef;
}

/**
 * Append the outcome of `entity` moving from `before` to `after` (nothing when it says
 * nothing the read models hold).
 *
 * @example
 * ```ts
 * await appendOutcome(store.append.bind(store), entity, { quantity: 8 }, { quantity: 10 },
 *   { key: `sync-report:${eventId}`, causationId: eventId });
 * ```
 */
export async function appendOutcome(
  append: EventStore['append'],
  entity: Omit<OpenEntity, 'anchorMs'>,
  after: JsonObject,
  before: JsonObject,
  cause: OutcomeCause,
): Promise<void> {
  const outcome = settledOutcome(
    entity.entityType,
    entity.creatorId,
    entity.entityId,
    after,
    before,
    cause.conflictId,
    cause.decidedBy,
  );
  if (!outcome) return;
  await append(outcome.streamId, [outcome.event], {
    aggregateType: outcome.aggregateType,
    idempotencyKey: cause.key,
    metadata: {
      source: RESOLVE_SYNC_CONFLICTS,
      causationId: cause.causationId,
      ...(cause.conflictId === undefined ? {} : { correlationId: cause.conflictId }),
      ...actorMetadata(cause.actor),
    },
  });
}
