/**
 * `conflict_queue`: one row per stock conflict `resolve-sync-conflicts`
 * audited — detected, then settled automatically, or pending in the manual
 * queue until an admin decides — streamed as a realtime channel of the same
 * name for the dashboard's conflicts panel. The panel derives the queue's
 * size, its trend and the latest resolutions from these rows; it needs no
 * admin route (the queue's HTTP routes are for deciding, with the admin role).
 * Conflicts whose events carry no creator (orders) are not shown.
 */
import { defineProjection, type Row, type StoredEvent } from '@creatorflow/sync';

/** A `conflict_queue` row. */
export interface ConflictQueueRow extends Row {
  conflict_id: string;
  creator_id: string;
  entity_type: string;
  entity_id: string;
  kind: string;
  /** `pending` (in the manual queue), `resolved` (automatically) or `manually_resolved`. */
  status: 'pending' | 'resolved' | 'manually_resolved';
  local_quantity: number | null;
  remote_quantity: number | null;
  remote_source: string | null;
  resolved_quantity: number | null;
  /** Sources of the contenders, comma-separated. */
  sources: string;
  /** Why it was escalated, comma-separated (empty when it was not). */
  reasons: string;
  detected_at: string | Date;
  resolved_at: string | Date | null;
  decided_by: string | null;
}

interface Detected {
  conflictId: string;
  creatorId?: string;
  entityType: string;
  entityId: string;
  kind: string;
  contenders: { source: string }[];
  escalated: boolean;
  localQuantity?: number;
  remoteQuantity?: number;
  remoteSource?: string;
  resolvedQuantity?: number;
}

const byConflict = (e: StoredEvent) => ({ conflict_id: (e.data as { conflictId: string }).conflictId });
const at = (e: StoredEvent) => e.occurredAt.toISOString();

/**
 * The projection (its `channel` makes the engine stream it).
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, projections: [conflictQueueProjection] });
 * ```
 */
export const conflictQueueProjection = defineProjection<ConflictQueueRow>({
  name: 'conflict_queue',
  key: ['conflict_id'],
  migrations: [
    `CREATE TABLE :TABLE: (
      conflict_id text PRIMARY KEY,
      creator_id text NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      kind text NOT NULL,
      status text NOT NULL,
      local_quantity integer,
      remote_quantity integer,
      remote_source text,
      resolved_quantity integer,
      sources text NOT NULL,
      reasons text NOT NULL,
      detected_at timestamptz NOT NULL,
      resolved_at timestamptz,
      decided_by text
    );
    CREATE INDEX :TABLE_NAME:_creator ON :TABLE: (creator_id, status);`,
  ],
  handlers: {
    'inventory.sync_conflict_detected': {
      // Only the creator's conflicts can be shown to the creator.
      key: (e) => ((e.data as Detected).creatorId ? byConflict(e) : null),
      apply: (current, e) => {
        const d = e.data as Detected;
        return {
          creator_id: d.creatorId!,
          entity_type: d.entityType,
          entity_id: d.entityId,
          kind: d.kind,
          // The outcome follows in the same append; until then the conflict counts as waiting.
          status: current?.status ?? 'pending',
          local_quantity: d.localQuantity ?? null,
          remote_quantity: d.remoteQuantity ?? null,
          remote_source: d.remoteSource ?? null,
          resolved_quantity: d.resolvedQuantity ?? null,
          sources: [...new Set(d.contenders.map((c) => c.source))].sort().join(','),
          reasons: current?.reasons ?? '',
          detected_at: at(e),
          resolved_at: current?.resolved_at ?? null,
          decided_by: current?.decided_by ?? null,
        };
      },
    },
    'conflict.escalated': {
      key: byConflict,
      // A conflict without its detected row (an order's) stays out.
      apply: (current, e) =>
        current && {
          ...current,
          status: 'pending',
          reasons: (e.data as { reasons: string[] }).reasons.join(','),
        },
    },
    'conflict.resolved': {
      key: byConflict,
      apply: (current, e) => {
        if (!current) return null;
        const d = e.data as {
          manual: boolean;
          adminId?: string;
          decidedAt?: string;
          set: { quantity?: unknown };
        };
        const quantity = typeof d.set.quantity === 'number' ? d.set.quantity : current.resolved_quantity;
        return {
          ...current,
          status: d.manual ? 'manually_resolved' : 'resolved',
          resolved_quantity: quantity,
          resolved_at: d.decidedAt ?? at(e),
          decided_by: d.manual ? (d.adminId ?? null) : null,
        };
      },
    },
  },
  channel: {
    tenantColumn: 'creator_id',
    filterableColumns: ['status', 'entity_type'],
    throttleMs: 250,
  },
});
