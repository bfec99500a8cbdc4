/**
 * The conflict audit, the manual queue and the reports, read per creator:
 * every read takes the caller's `Authorization` and returns only the
 * conflicts of creators they may see. An admin reads across creators (each
 * such read is written to the access audit first) and alone decides a
 * pending conflict; a decision on another creator's conflict is access-audited too.
 */
import type { AccessAuditStore } from '../../access/access-audit.js';
import { actorOf } from '../../access/acting-principal.js';
import { auditedRead, requireRole } from '../../access/audited-read.js';
import { frozenPrincipal } from '../../access/principal.js';
import type { Authorization } from '../../core/authorization.js';
import type { AuditQuery, ConflictRecord } from '../../conflicts/service/audit/audit-record.js';
import { ConflictNotFoundError } from '../../conflicts/errors.js';
import type { JsonObject } from '../../conflicts/json.js';
import type { ConflictReport, ReportBucket } from '../../conflicts/service/reports.js';
import type { ConflictResolver } from '../../conflicts/service/conflict-resolver.js';
import { COMMERCE_DECIDE_ROLES, COMMERCE_READ_ROLES } from '../roles.js';

/**
 * What {@link ConflictQueue.report} takes besides the caller.
 *
 * @example
 * ```ts
 * const options: ConflictReportOptions = { from: new Date(Date.now() - 86_400_000), to: new Date(), bucket: 'hour' };
 * ```
 */
export interface ConflictReportOptions {
  from: Date;
  to: Date;
  bucket: ReportBucket;
  /** Only these creators (within what the caller may see; an admin naming other creators is access-audited). */
  tenantIds?: readonly string[];
}

/**
 * The conflict audit, queue and reports bound to one caller
 * (`queue.as(principal)` or `commerce.as(principal).conflicts`): the same
 * reads as {@link ConflictQueue} without the principal argument to forget.
 *
 * @example
 * ```ts
 * const mine = commerce.as({ userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] }).conflicts!;
 * const pending = await mine.pending({ entityType: 'inventory' });
 * ```
 */
export interface ConflictReader {
  /** The caller every read is scoped to (a frozen copy). */
  readonly principal: Readonly<Authorization>;
  pending(query?: Omit<AuditQuery, 'status'>): Promise<ConflictRecord[]>;
  list(query?: AuditQuery): Promise<ConflictRecord[]>;
  report(options: ConflictReportOptions): Promise<ConflictReport>;
  /** Admin only. */
  decide(conflictId: string, decision: { values: JsonObject; note: string }): Promise<ConflictRecord>;
}

/**
 * The tenant-scoped face of a conflict resolver.
 *
 * @example
 * ```ts
 * const queue = new ConflictQueue(commerce.conflicts!.unscopedResolver, commerce.accessAudit);
 * const mine = await queue.pending({ userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] });
 * ```
 */
export class ConflictQueue {
  readonly #resolver: ConflictResolver;
  readonly #audit: AccessAuditStore;

  constructor(resolver: ConflictResolver, audit: AccessAuditStore) {
    this.#resolver = resolver;
    this.#audit = audit;
  }

  /** Conflicts waiting for an admin, oldest first, of the creators the caller may see. */
  async pending(auth: Authorization, query: Omit<AuditQuery, 'status'> = {}): Promise<ConflictRecord[]> {
    return this.list(auth, { ...query, status: 'pending' }, 'conflicts.pending');
  }

  /** Audit records by detection time, of the creators the caller may see (`tenantIds` narrows them). */
  async list(
    auth: Authorization,
    query: AuditQuery = {},
    action = 'conflicts.audit',
  ): Promise<ConflictRecord[]> {
    requireRole(auth, COMMERCE_READ_ROLES, 'Reading conflicts');
    const { tenantIds, ...rest } = query;
    return auditedRead(
      { audit: this.#audit, auth, action, resource: 'conflict_audit', tenantIds },
      (scope) =>
        this.#resolver.list(scope.tenantIds === null ? rest : { ...rest, tenantIds: scope.tenantIds }),
      (records) => records.length,
    );
  }

  /** A report over the conflicts of the creators the caller may see. */
  async report(auth: Authorization, options: ConflictReportOptions): Promise<ConflictReport> {
    requireRole(auth, COMMERCE_READ_ROLES, 'Reading conflict reports');
    const { tenantIds, ...range } = options;
    return auditedRead(
      { audit: this.#audit, auth, action: 'conflicts.report', resource: 'conflict_audit', tenantIds },
      (scope) =>
        this.#resolver.report(scope.tenantIds === null ? range : { ...range, tenantIds: scope.tenantIds }),
      (report) => report.total,
    );
  }

  /**
   * Decide a pending conflict (admin only). A conflict of a creator outside
   * the admin's own is access-audited before the decision is written. The
   * admin's actor (`{ kind: 'admin', id }`) is recorded in the metadata of
   * the decision's `conflict.resolved` and of the settled event that follows,
   * and in the audit (`manualOverride.actor`).
   */
  async decide(
    auth: Authorization,
    conflictId: string,
    decision: { values: JsonObject; note: string },
  ): Promise<ConflictRecord> {
    requireRole(auth, COMMERCE_DECIDE_ROLES, 'Deciding a conflict');
    const record = await this.#resolver.get(conflictId);
    if (!record) throw new ConflictNotFoundError(conflictId);
    const tenantIds = record.tenantId === null ? undefined : [record.tenantId];
    await auditedRead(
      { audit: this.#audit, auth, action: 'conflicts.decide', resource: conflictId, tenantIds },
      async () => undefined,
    );
    return this.#resolver.resolveManually(conflictId, {
      values: decision.values,
      adminId: auth.userId,
      note: decision.note,
      // Recorded on the decision's events and in the audit, as every other write records its actor.
      actor: actorOf(auth),
    });
  }

  /**
   * This queue bound to one caller: checks the principal now
   * (`MissingPrincipalError` / `InvalidPrincipalError`) and keeps a
   * frozen copy, so later reads cannot drift from the scope it was given.
   *
   * @example
   * ```ts
   * const reader = commerce.conflictQueue!.as(auth);
   * const report = await reader.report({ from, to, bucket: 'hour' });
   * ```
   */
  as(principal: Authorization): ConflictReader {
    const auth = frozenPrincipal(principal, 'ConflictQueue.as');
    return Object.freeze({
      principal: auth,
      pending: (query?: Omit<AuditQuery, 'status'>) => this.pending(auth, query),
      list: (query?: AuditQuery) => this.list(auth, query),
      report: (options: ConflictReportOptions) => this.report(auth, options),
      decide: (conflictId: string, decision: { values: JsonObject; note: string }) =>
        this.decide(auth, conflictId, decision),
    });
  }
}
