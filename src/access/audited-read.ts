/**
 * A read scoped to the caller's tenants; when an admin's read reaches beyond
 * their own tenants, it is written to the access audit before its result is
 * returned (no entry, no rows).
 */
import { hasRole, type Authorization } from '../core/authorization.js';
import type { AccessAuditStore } from './access-audit.js';
import { AccessDeniedError } from './errors.js';
import { assertPrincipal } from './principal.js';
import { readScope, type ReadScope } from './read-scope.js';

/**
 * What {@link auditedRead} reads, for whom, and where it records cross-tenant reads.
 *
 * @example
 * ```ts
 * const options: AuditedReadOptions = { audit, auth, action: 'commerce.rows', resource: 'order_metrics' };
 * ```
 */
export interface AuditedReadOptions {
  audit: AccessAuditStore;
  auth: Authorization;
  /** What is read, e.g. `commerce.rows`. */
  action: string;
  /** The table or queue read. */
  resource: string;
  /** Narrow the read to these tenants (an admin reading one creator). */
  tenantIds?: readonly string[] | undefined;
}

/**
 * Run `read` with the caller's scope; audit it when it is cross-tenant.
 *
 * @example
 * ```ts
 * const rows = await auditedRead({ audit, auth, action: 'reports.orders', resource: 'orders' },
 *   (scope) => ordersOf(scope.tenantIds), (rows) => rows.length);
 * ```
 */
export async function auditedRead<T>(
  options: AuditedReadOptions,
  read: (scope: ReadScope) => Promise<T>,
  count: (result: T) => number | null = () => null,
): Promise<T> {
  const { auth } = options;
  assertPrincipal(auth, `${options.action} of ${options.resource}`);
  const scope = readScope(auth, options.tenantIds);
  const result = await read(scope);
  if (scope.crossTenant) {
    const own = new Set(auth.tenantIds);
    await options.audit.record({
      userId: auth.userId,
      roles: auth.roles ?? [],
      action: options.action,
      resource: options.resource,
      tenantIds: scope.tenantIds === null ? null : scope.tenantIds.filter((t) => !own.has(t)),
      rowCount: count(result),
    });
  }
  return result;
}

/**
 * Throw {@link AccessDeniedError} unless the caller holds one of `roles`
 * (`MissingPrincipalError` / `InvalidPrincipalError` first when
 * there is no well-formed caller at all).
 *
 * @example
 * ```ts
 * requireRole(auth, ['admin'], 'Deciding a conflict');
 * ```
 */
export function requireRole(auth: Authorization, roles: readonly string[], what: string): void {
  assertPrincipal(auth, what);
  if (!roles.some((role) => hasRole(auth, role))) throw new AccessDeniedError(auth.userId, roles, what);
}
