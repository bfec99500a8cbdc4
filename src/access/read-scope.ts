/**
 * Which tenants a read may return: the caller's own, or (admin) any. A read
 * that reaches beyond the caller's own tenants is "cross-tenant" and must be
 * written to the access audit (`auditedRead` does both).
 */
import { ADMIN_ROLE, hasRole, type Authorization } from '../core/authorization.js';

/**
 * The tenants one read may return.
 *
 * @example
 * ```ts
 * const scope = readScope(auth); // { tenantIds: ['creator-1'], crossTenant: false }
 * ```
 */
export interface ReadScope {
  /** Tenants the read may return; `null`: every tenant (an admin who named none). */
  tenantIds: readonly string[] | null;
  /** True when the read may return rows of tenants outside the caller's own (admin only). */
  crossTenant: boolean;
}

/**
 * The scope of a read by `auth`, narrowed to `requested` tenants when given.
 * Without the admin role the scope never leaves `auth.tenantIds` (a tenant
 * asked for outside them is silently dropped, as if it had no rows); an admin
 * gets what they ask for, or every tenant.
 *
 * @example
 * ```ts
 * readScope({ userId: 'u', tenantIds: ['a'] }, ['a', 'b']);          // { tenantIds: ['a'], crossTenant: false }
 * readScope({ userId: 'o', tenantIds: [], roles: ['admin'] });       // { tenantIds: null, crossTenant: true }
 * readScope({ userId: 'o', tenantIds: ['a'], roles: ['admin'] }, ['a']); // { tenantIds: ['a'], crossTenant: false }
 * ```
 */
export function readScope(auth: Authorization, requested?: readonly string[]): ReadScope {
  const own = new Set(auth.tenantIds);
  if (!hasRole(auth, ADMIN_ROLE)) {
    const tenantIds = requested === undefined ? [...own] : requested.filter((t) => own.has(t));
    return { tenantIds: [...new Set(tenantIds)], crossTenant: false };
  }
  if (requested === undefined) return { tenantIds: null, crossTenant: true };
  const tenantIds = [...new Set(requested)];
  return { tenantIds, crossTenant: tenantIds.some((t) => !own.has(t)) };
}

/**
 * Whether a row of `tenantId` lies in the scope.
 *
 * @example
 * ```ts
 * rows.filter((r) => inScope(scope, r.creator_id));
 * ```
 */
export function inScope(scope: ReadScope, tenantId: unknown): boolean {
  if (scope.tenantIds === null) return true;
  return typeof tenantId === 'string' && scope.tenantIds.includes(tenantId);
}
