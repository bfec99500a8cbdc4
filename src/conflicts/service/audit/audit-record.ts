/**
 * The audit record of one conflict and the port that stores it.
 */
import type { SqlQueryable } from '../../../core/sql-client.js';
import type { JsonObject } from '../../json.js';
import type { DecisionActor, Resolution } from '../../types.js';

/**
 * Lifecycle of an audited conflict.
 *
 * @example
 * ```ts
 * AUDIT_STATUSES.includes(record.status); // 'resolved' | 'pending' | 'manually_resolved'
 * ```
 */
export const AUDIT_STATUSES = ['resolved', 'pending', 'manually_resolved'] as const;
/** One of {@link AUDIT_STATUSES}. */
export type AuditStatus = (typeof AUDIT_STATUSES)[number];

/** An admin's intervention. */
export interface ManualOverride {
  adminId: string;
  /** Who decided as the host names them (`ManualDecision.actor`), when given. */
  actor?: DecisionActor;
  values: JsonObject;
  note?: string;
  /** ISO time of the decision. */
  decidedAt: string;
}

/**
 * Everything the audit keeps about one conflict: the resolution (entities and
 * states, every contender, strategy and rule, winner, losers, merged), manual
 * overrides and timing.
 */
export interface ConflictRecord {
  conflictId: string;
  /** The tenant the entity belongs to (commerce: the creator), from `ResolveOptions.tenantId`; null when none was given. */
  tenantId: string | null;
  status: AuditStatus;
  /** The current resolution (the admin's once decided; the escalation and markers are kept). */
  resolution: Resolution;
  manualOverride: ManualOverride | null;
  /** ISO time the conflict was detected. */
  detectedAt: string;
  /** ISO time it was resolved (null while pending). */
  resolvedAt: string | null;
  /** Detection to resolution in ms (null while pending). */
  resolutionMs: number | null;
  /** Correlation id of the conflict's events. */
  correlationId: string;
  /** Ids of the events appended for the conflict. */
  events: { detected: string; outcome: string; manual: string | null };
}

/** Filter of {@link ConflictAuditStore.list}. */
export interface AuditQuery {
  /** Detected at or after. */
  from?: Date;
  /** Detected before. */
  to?: Date;
  status?: AuditStatus;
  entityType?: string;
  /** Only records of these tenants (absent: every tenant; records without a tenant only then). */
  tenantIds?: readonly string[];
  limit?: number;
}

/**
 * Where audit records live: PostgreSQL/PGlite through the SQL port, or memory.
 *
 * @example
 * ```ts
 * const audit: ConflictAuditStore = sql ? new SqlAuditStore(sql, 'app') : new MemoryAuditStore();
 * ```
 */
export interface ConflictAuditStore {
  /** Create the table (SQL only). */
  migrate(): Promise<void>;
  /**
   * Insert a record; false (and nothing written) when the conflict is already
   * audited. `tx` runs it inside an open transaction (SQL only).
   */
  insert(record: ConflictRecord, tx?: SqlQueryable): Promise<boolean>;
  /** Insert several records in one statement (already audited ones are skipped). */
  insertMany(records: readonly ConflictRecord[], tx?: SqlQueryable): Promise<void>;
  get(conflictId: string): Promise<ConflictRecord | undefined>;
  /** Replace a pending record by its decided version; false when it was no longer pending. */
  completePending(record: ConflictRecord): Promise<boolean>;
  /** Records by detection time (oldest first). */
  list(query?: AuditQuery): Promise<ConflictRecord[]>;
}
