/**
 * `conflict_queue`: one row per conflict `resolve-sync-conflicts` audited —
 * stock figures and orders (TikTok vs the shipping provider on a status, a
 * payment amount, a refund) — detected, then settled automatically, or
 * pending in the manual queue until an admin decides; streamed as a realtime
 * channel of the same name for the dashboard's conflicts panel, scoped by
 * the creator every detected event names. The panel derives the queue's
 * size, its trend and the latest resolutions from these rows; it needs no
 * admin route (the queue's HTTP routes are for deciding, with the admin role).
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
  /** Stock conflicts: the figures (ours, the highest-ranked differing one, the settled one). */
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
  /** What the sources disagree on, e.g. `status: cancelled (tiktok_webhook) / delivered (shipping_provider)`. */
  disputed: string | null;
  /** The settled values other than stock, e.g. `status: cancelled`. */
  settled: string | null;
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

type Markers = Record<string, { source: string; value?: unknown }[]>;

const byConflict = (e: StoredEvent) => ({ conflict_id: (e.data as { conflictId: string }).conflictId });
const at = (e: StoredEvent) => e.occurredAt.toISOString();
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** `field: value (source) / value (source)` per disputed field, from an escalation's markers. */
function disputed(markers: Markers): string | null {
  const fields = Object.entries(markers).map(
    ([field, seen]) => `${field}: ${seen.map((m) => `${text(m.value)} (${m.source})`).join(' / ')}`,
  );
  return fields.length === 0 ? null : fields.join('; ');
}

/** The settled values of a non-stock conflict (stock has its own column). */
function settled(set: Record<string, unknown>): string | null {
  const fields = Object.entries(set)
    .filter(([field]) => field !== 'quantity' && field !== 'creatorId')
    .map(([field, value]) => `${field}: ${text(value)}`);
  return fields.length === 0 ? null : fields.join(', ');
}

/** A detected conflict (stock or order) as its row; the outcome in the same append completes it. */
function detectedRow(current: ConflictQueueRow | null, e: StoredEvent): Partial<ConflictQueueRow> {
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
    disputed: current?.disputed ?? null,
    settled: current?.settled ?? null,
  };
}

/** Only conflicts whose creator is known can be shown (to that creator). */
const ofCreator = (e: StoredEvent) => ((e.data as Detected).creatorId ? byConflict(e) : null);

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
    // Order conflicts: what the sources disagree on, and what was settled.
    `ALTER TABLE :TABLE: ADD COLUMN disputed text, ADD COLUMN settled text;`,
  ],
  handlers: {
    'inventory.sync_conflict_detected': { key: ofCreator, apply: detectedRow },
    // Orders (status, amounts, refunds): the same conflict without stock figures.
    'conflict.detected': { key: ofCreator, apply: detectedRow },
    'conflict.escalated': {
      key: byConflict,
      // A conflict without its detected row (no creator known) stays out.
      apply: (current, e) => {
        if (!current) return null;
        const d = e.data as { reasons: { code: string }[]; markers: Markers };
        return {
          ...current,
          status: 'pending',
          reasons: d.reasons.map((r) => r.code).join(','),
          disputed: disputed(d.markers),
        };
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
          set: { quantity?: unknown } & Record<string, unknown>;
        };
        const quantity = typeof d.set.quantity === 'number' ? d.set.quantity : current.resolved_quantity;
        return {
          ...current,
          status: d.manual ? 'manually_resolved' : 'resolved',
          resolved_quantity: quantity,
          resolved_at: d.decidedAt ?? at(e),
          decided_by: d.manual ? (d.adminId ?? null) : null,
          settled: settled(d.set),
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
