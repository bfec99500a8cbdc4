/**
 * The roles the commerce domain uses and what each may do:
 * - `creator`: reads their own creators' rows, conflicts and reports, and
 *   syncs their own inventory;
 * - `service`: a machine caller (service API key), reads and writes like a
 *   creator, scoped to its key's creators;
 * - `admin`: reads and writes every creator (each read or write beyond their
 *   own creators is written to the access audit) and decides conflicts in
 *   the manual queue.
 * The library's jobs act as system principals (`systemPrincipal`).
 */
import { ADMIN_ROLE, SERVICE_ROLE } from '../core/authorization.js';

/**
 * The commerce role names.
 *
 * @example
 * ```ts
 * const auth: Authorization = { userId: 'u1', tenantIds: ['creator-1'], roles: [COMMERCE_ROLES.creator] };
 * ```
 */
export const COMMERCE_ROLES = Object.freeze({
  creator: 'creator',
  admin: ADMIN_ROLE,
  service: SERVICE_ROLE,
} as const);

/**
 * Roles that may read read models, the conflict audit, the queue and reports (each scoped to its creators).
 *
 * @example
 * ```ts
 * requireRole(auth, COMMERCE_READ_ROLES, 'Reading inventory_levels');
 * ```
 */
export const COMMERCE_READ_ROLES: readonly string[] = Object.freeze([
  COMMERCE_ROLES.creator,
  COMMERCE_ROLES.admin,
  COMMERCE_ROLES.service,
]);

/**
 * Roles that may decide a conflict in the manual queue.
 *
 * @example
 * ```ts
 * requireRole(auth, COMMERCE_DECIDE_ROLES, 'Deciding a conflict');
 * ```
 */
export const COMMERCE_DECIDE_ROLES: readonly string[] = Object.freeze([COMMERCE_ROLES.admin]);

/**
 * Roles that may write for their creators (`syncInventoryLevels`): the same
 * scoping as reads; an admin beyond their own creators is access-audited.
 *
 * @example
 * ```ts
 * await authorizeWrite({ audit, auth, roles: COMMERCE_WRITE_ROLES, action: 'commerce.sync_inventory',
 *   resource: 'inventory_levels', tenantId: 'creator-1' });
 * ```
 */
export const COMMERCE_WRITE_ROLES: readonly string[] = COMMERCE_READ_ROLES;
