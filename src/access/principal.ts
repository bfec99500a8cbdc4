/**
 * The principal check every scoped read starts with: a read handed no
 * `Authorization`, or one whose fields are not what they claim (a lone string
 * for `tenantIds` would be read letter by letter by a `Set`), fails with a
 * typed error before anything is read.
 */
import type { Authorization } from '../core/authorization.js';
import { InvalidPrincipalError, MissingPrincipalError } from './errors.js';

const isName = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * Throw {@link MissingPrincipalError} when `principal` is absent, and
 * {@link InvalidPrincipalError} when it is not a well-formed `Authorization`.
 *
 * @example
 * ```ts
 * assertPrincipal(auth, 'Reading inventory_levels');
 * const scope = readScope(auth);
 * ```
 */
export function assertPrincipal(principal: unknown, what: string): asserts principal is Authorization {
  if (principal === undefined || principal === null) throw new MissingPrincipalError(what);
  if (typeof principal !== 'object') throw new InvalidPrincipalError(what, 'it is not an object');
  const { userId, tenantIds, roles } = principal as Record<string, unknown>;
  if (!isName(userId)) throw new InvalidPrincipalError(what, 'userId is not a non-empty string');
  if (!Array.isArray(tenantIds) || !tenantIds.every(isName))
    throw new InvalidPrincipalError(what, 'tenantIds is not an array of non-empty strings');
  if (roles !== undefined && !(Array.isArray(roles) && roles.every(isName)))
    throw new InvalidPrincipalError(what, 'roles is not an array of non-empty strings');
}

/**
 * A frozen copy of a checked principal: a reader bound to it keeps the scope
 * it was given even if the caller's object changes later.
 *
 * @example
 * ```ts
 * const principal = frozenPrincipal(auth, 'commerce.as');
 * ```
 */
export function frozenPrincipal(principal: unknown, what: string): Readonly<Authorization> {
  assertPrincipal(principal, what);
  return Object.freeze({
    userId: principal.userId,
    tenantIds: Object.freeze([...principal.tenantIds]),
    ...(principal.roles === undefined ? {} : { roles: Object.freeze([...principal.roles]) }),
  });
}
