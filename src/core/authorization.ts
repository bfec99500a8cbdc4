/**
 * Who is asking: the identity a host's `authorize(request)` returns, shared by
 * the realtime hub, scoped reads and HTTP routes. Role names are plain
 * strings; a domain decides which it uses (commerce: creator, admin, service).
 */

/**
 * An authenticated caller.
 *
 * @example
 * ```ts
 * const auth: Authorization = { userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] };
 * ```
 */
export interface Authorization {
  userId: string;
  /** Tenants whose rows this user may see: values of each channel's `tenantColumn` (a creator, a board, a shop…). */
  tenantIds: readonly string[];
  /**
   * What the caller may do beyond reading their tenants' rows. `'admin'`
   * ({@link ADMIN_ROLE}) reads across tenants (every such read is written to
   * the access audit); `'service'` ({@link SERVICE_ROLE}) marks a machine
   * caller (a service API key). None when absent.
   */
  roles?: readonly string[] | undefined;
}

/**
 * The role that may read every tenant's rows (each read beyond the caller's own tenants is access-audited).
 *
 * @example
 * ```ts
 * const admin: Authorization = { userId: 'ops-1', tenantIds: [], roles: [ADMIN_ROLE] };
 * ```
 */
export const ADMIN_ROLE = 'admin';

/**
 * The role of machine callers authenticated by a service API key.
 *
 * @example
 * ```ts
 * const key = await serviceKeys.issue({ name: 'inventory-sync', tenantIds: ['creator-1'], roles: [SERVICE_ROLE] });
 * ```
 */
export const SERVICE_ROLE = 'service';

/**
 * Whether the caller holds a role.
 *
 * @example
 * ```ts
 * if (!hasRole(auth, ADMIN_ROLE)) throw new AccessDeniedError('deciding a conflict needs the admin role');
 * ```
 */
export function hasRole(auth: Authorization, role: string): boolean {
  return auth.roles?.includes(role) ?? false;
}
