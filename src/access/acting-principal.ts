/**
 * Who a write acts as. A write for a tenant takes the caller's principal and
 * is checked by the rules reads use: without the admin role only the
 * caller's own tenants; an admin any tenant, each write beyond their own
 * written to the access audit before it happens (no entry, no write). The
 * library's own jobs act as a system principal, which only
 * {@link systemPrincipal} makes: a role string `system` arriving from a token
 * or a key is an ordinary, unknown role.
 */
import { ADMIN_ROLE, SERVICE_ROLE, hasRole, type Authorization } from '../core/authorization.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { AccessAuditStore } from './access-audit.js';
import { requireRole } from './audited-read.js';
import { AccessDeniedError } from './errors.js';
import { assertPrincipal } from './principal.js';

/** The role a {@link systemPrincipal} holds (honoured only on principals it made). */
export const SYSTEM_ROLE = 'system';

/** What kind of caller acted, most privileged first. */
export type ActorKind = 'system' | 'admin' | 'service' | 'user';

/**
 * Who did it, as written into events' metadata (`actor`) and audits: the
 * principal's kind and id, never a secret.
 *
 * @example
 * ```ts
 * const actor: ActorRef = { kind: 'service', id: 'service:warehouse' };
 * ```
 */
export interface ActorRef {
  kind: ActorKind;
  id: string;
  /** A system run someone asked for by hand (a schedule's manual trigger): who asked. */
  requestedBy?: string;
}

// One registry per process, even if two bundles of this module are loaded (the ESM and CJS builds).
const REGISTRY = Symbol.for('@creatorflow/sync.system-principals');
const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??=
  new WeakSet<object>()) as WeakSet<object>;

/**
 * The principal of one of the host's or the library's own jobs (a schedule,
 * a processor): acts for every tenant, is not access-audited (it is not a
 * person reading or changing another's data), and is recorded as
 * `{ kind: 'system', id: 'system:<name>' }`. Never hand one to a request.
 *
 * @example
 * ```ts
 * await commerce.syncInventoryLevels('creator-1', systemPrincipal('nightly-sync'));
 * ```
 */
export function systemPrincipal(name: string, requestedBy?: string): Readonly<Authorization> {
  if (typeof name !== 'string' || name === '')
    throw new InvalidArgumentError('a system principal needs a name');
  const principal = Object.freeze({
    userId: `system:${name}`,
    tenantIds: Object.freeze([] as string[]),
    roles: Object.freeze([SYSTEM_ROLE]),
    ...(requestedBy === undefined ? {} : { requestedBy }),
  });
  registry.add(principal);
  return principal;
}

/**
 * Whether `auth` was made by {@link systemPrincipal} (a look-alike object is not).
 *
 * @example
 * ```ts
 * isSystemPrincipal({ userId: 'system:x', tenantIds: [], roles: ['system'] }); // false
 * ```
 */
export function isSystemPrincipal(auth: unknown): boolean {
  return typeof auth === 'object' && auth !== null && registry.has(auth);
}

/**
 * The kind and id of a checked principal.
 *
 * @example
 * ```ts
 * actorOf({ userId: 'u1', tenantIds: ['c1'], roles: ['creator'] }); // { kind: 'user', id: 'u1' }
 * ```
 */
export function actorOf(auth: Authorization): ActorRef {
  if (isSystemPrincipal(auth)) {
    const requestedBy = (auth as { requestedBy?: unknown }).requestedBy;
    return {
      kind: 'system',
      id: auth.userId,
      ...(typeof requestedBy === 'string' ? { requestedBy } : {}),
    };
  }
  const kind: ActorKind = hasRole(auth, ADMIN_ROLE)
    ? 'admin'
    : hasRole(auth, SERVICE_ROLE)
      ? 'service'
      : 'user';
  return { kind, id: auth.userId };
}

/**
 * The actor of a {@link systemPrincipal} named `name`, for a job that
 * records who acts without a principal to check (a saga started by no one):
 * `{ kind: 'system', id: 'system:<name>' }`.
 *
 * @example
 * ```ts
 * systemActor('saga:order_review'); // { kind: 'system', id: 'system:saga:order_review' }
 * ```
 */
export function systemActor(name: string): ActorRef {
  return actorOf(systemPrincipal(name));
}

/**
 * What {@link authorizeWrite} checks.
 *
 * @example
 * ```ts
 * const options: WriteAccess = { audit, auth, roles: ['creator', 'service', 'admin'],
 *   action: 'commerce.sync_inventory', resource: 'inventory_levels', tenantId: 'creator-1' };
 * ```
 */
export interface WriteAccess {
  audit: AccessAuditStore;
  auth: Authorization;
  /** Roles any one of which may make this write (a system principal always may). */
  roles: readonly string[];
  /** What is written, e.g. `commerce.sync_inventory`. */
  action: string;
  /** The table, stream or queue written. */
  resource: string;
  /** The tenant the write is for; `null`: every tenant (admin only). */
  tenantId: string | null;
  /** Recorded with an admin's write beyond their own tenants. */
  detail?: string;
}

/**
 * Check a write before it happens and say who makes it: a missing or
 * malformed principal (`PRINCIPAL_MISSING` / `PRINCIPAL_INVALID`), none of
 * `roles` or a tenant outside the caller's own without the admin role
 * (`FORBIDDEN`) throw and nothing is written. An admin's write beyond their
 * own tenants is recorded in the access audit first.
 *
 * @example
 * ```ts
 * const actor = await authorizeWrite({ audit, auth, roles: ['creator', 'admin'],
 *   action: 'commerce.sync_inventory', resource: 'inventory_levels', tenantId: 'creator-1' });
 * await store.append(stream, events, { metadata: { actor, userId: actor.id } });
 * ```
 */
export async function authorizeWrite(access: WriteAccess): Promise<ActorRef> {
  const { auth, tenantId, action } = access;
  assertPrincipal(auth, action);
  if (isSystemPrincipal(auth)) return actorOf(auth);
  requireRole(auth, access.roles, action);
  const own = tenantId !== null && auth.tenantIds.includes(tenantId);
  if (own) return actorOf(auth);
  if (!hasRole(auth, ADMIN_ROLE)) {
    throw new AccessDeniedError(
      auth.userId,
      [ADMIN_ROLE],
      tenantId === null ? `${action} for every tenant` : `${action} for ${tenantId}`,
    );
  }
  await access.audit.record({
    userId: auth.userId,
    roles: auth.roles ?? [],
    action,
    resource: access.resource,
    tenantIds: tenantId === null ? null : [tenantId],
    rowCount: null,
    ...(access.detail === undefined ? {} : { detail: access.detail }),
  });
  return actorOf(auth);
}

/**
 * The metadata a write carries for its actor: `actor` (kind and id) and the
 * store's conventional `userId`.
 *
 * @example
 * ```ts
 * await store.append(stream, events, { metadata: { source: 'manual_admin', ...actorMetadata(actor) } });
 * ```
 */
export function actorMetadata(actor: ActorRef | undefined): { actor?: ActorRef; userId?: string } {
  return actor === undefined ? {} : { actor: { ...actor }, userId: actor.id };
}
