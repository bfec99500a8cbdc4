/**
 * The one check of an {@link AuditQuery}, shared by the audit stores, so a
 * query no store can answer is refused alike everywhere (PostgreSQL threw its
 * own error for a negative limit, `toISOString` a `RangeError` for an invalid
 * date, while memory dropped the last records or matched none).
 */
import { InvalidArgumentError } from '../../../core/errors.js';
import { AUDIT_STATUSES, type AuditQuery } from './audit-record.js';

const isValidDate = (value: unknown): boolean => value instanceof Date && Number.isFinite(value.getTime());

/**
 * Throw `INVALID_ARGUMENT` for a `from` / `to` that is not a valid `Date`, a
 * `limit` that is not a non-negative integer, an unknown `status`, or an
 * `entityType` / `tenantIds` that are not strings.
 *
 * @example
 * ```ts
 * assertAuditQuery({ from: new Date('2026-12-01'), limit: 50 }); // passes
 * assertAuditQuery({ limit: -1 }); // throws InvalidArgumentError
 * ```
 */
export function assertAuditQuery(query: AuditQuery): void {
  for (const field of ['from', 'to'] as const) {
    if (query[field] !== undefined && !isValidDate(query[field]))
      throw new InvalidArgumentError(`Conflict audit query: ${field} must be a valid Date`);
  }
  const { limit, status, entityType, tenantIds } = query;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
    throw new InvalidArgumentError(
      `Conflict audit query: limit must be a non-negative integer, got ${limit}`,
    );
  if (status !== undefined && !(AUDIT_STATUSES as readonly unknown[]).includes(status))
    throw new InvalidArgumentError(`Conflict audit query: unknown status ${String(status)}`);
  if (entityType !== undefined && typeof entityType !== 'string')
    throw new InvalidArgumentError('Conflict audit query: entityType must be a string');
  if (tenantIds !== undefined && !(Array.isArray(tenantIds) && tenantIds.every((t) => typeof t === 'string')))
    throw new InvalidArgumentError('Conflict audit query: tenantIds must be strings');
}
