/**
 * What the conflict resolver is given for a window, the same whether it is
 * resolved ahead (`prepare`) or when due (`resolve`): the request (the
 * window's contenders and the state before it) and the options (the creator
 * it belongs to, and the outcome event that rides in the resolver's append).
 */
import type { JsonObject } from '../../conflicts/json.js';
import type { ResolveOptions, ResolveRequest } from '../../conflicts/service/conflict-resolver.js';
import type { OpenEntity, StagedContender } from './contender-staging.js';
import { RESOLVE_SYNC_CONFLICTS } from './resolve-sync-conflicts-name.js';
import { settledOutcome } from './settled-outcome.js';

/**
 * The resolver's request for a window: its reports' contenders over `base`.
 *
 * @example
 * ```ts
 * await resolver.resolve(resolveRequest(entity, window, base), resolveOptions(entity, base));
 * ```
 */
export function resolveRequest(
  entity: Omit<OpenEntity, 'anchorMs'>,
  window: readonly StagedContender[],
  base: JsonObject,
): ResolveRequest {
  return {
    entityType: entity.entityType,
    entityId: entity.entityId,
    contenders: window.map((r) => r.contender),
    base,
  };
}

/**
 * The resolver's options for a window of `entity` resolved over `base`.
 * The resolved value rides in the resolver's append: it commits with the audit row, in
 * one transaction per group commit instead of a second append per conflict.
 *
 * @example
 * ```ts
 * resolver.prepare(resolveRequest(entity, window, base), resolveOptions(entity, base));
 * ```
 */
export function resolveOptions(entity: Omit<OpenEntity, 'anchorMs'>, base: JsonObject): ResolveOptions {
  return {
    ownerId: entity.creatorId,
    tenantId: entity.creatorId,
    followUp: (resolution) => {
      if (resolution.status !== 'resolved' || !resolution.after) return [];
      const { conflictId } = resolution;
      const outcome = settledOutcome(
        entity.entityType,
        entity.creatorId,
        entity.entityId,
        resolution.after,
        base,
        conflictId,
      );
      if (!outcome) return [];
      return [{ ...outcome.event, metadata: { source: RESOLVE_SYNC_CONFLICTS, correlationId: conflictId } }];
    },
  };
}
