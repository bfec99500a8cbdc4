/**
 * Errors of authorisation: a caller who is not signed in, or who lacks the
 * role an operation needs (HTTP layers map them to 401 and 403), and a read
 * API handed no principal or a malformed one.
 */
import { SyncError } from '../core/errors.js';

/**
 * Stable codes of the access errors.
 *
 * @example
 * ```ts
 * if (isSyncError(err) && (ACCESS_ERROR_CODES as readonly string[]).includes(err.code)) reply(403);
 * ```
 */
export const ACCESS_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'PRINCIPAL_MISSING',
  'PRINCIPAL_INVALID',
] as const;

/**
 * No identity (no token, an unknown or revoked key): HTTP 401.
 *
 * @example
 * ```ts
 * const auth = await serviceKeys.verify(key);
 * if (!auth) throw new UnauthenticatedError('Unknown or revoked API key');
 * ```
 */
export class UnauthenticatedError extends SyncError {
  constructor(message = 'Sign in first') {
    super('UNAUTHENTICATED', message);
  }
}

/**
 * The caller is known but may not do this (a role is missing): HTTP 403.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof AccessDeniedError) console.log(err.userId, err.needs); }
 * ```
 */
export class AccessDeniedError extends SyncError {
  readonly userId: string;
  /** The roles any one of which would have allowed it. */
  readonly needs: readonly string[];
  constructor(userId: string, needs: readonly string[], what: string) {
    super('FORBIDDEN', `${what} needs the role ${needs.map((r) => `"${r}"`).join(' or ')}`);
    this.userId = userId;
    this.needs = needs;
  }
}

/**
 * A scoped read was called without a principal (`undefined` or `null` where
 * the caller's `Authorization` belongs): no identity, so nothing is read. HTTP 401.
 *
 * @example
 * ```ts
 * await commerce.rows('inventory_levels', undefined as never); // throws MissingPrincipalError
 * ```
 */
export class MissingPrincipalError extends SyncError {
  constructor(what: string) {
    super('PRINCIPAL_MISSING', `${what} needs the caller's Authorization ({ userId, tenantIds, roles })`);
  }
}

/**
 * A scoped read was handed a malformed principal: `userId` not a non-empty
 * string, `tenantIds` not an array of non-empty strings (a lone string would
 * be read letter by letter), or `roles` not an array of strings. The host's
 * `authorize()` built it wrongly, so it is a setup bug: HTTP 500.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof InvalidPrincipalError) log.error(err.problem); }
 * ```
 */
export class InvalidPrincipalError extends SyncError {
  /** What is wrong with it, e.g. `tenantIds is not an array of non-empty strings`. */
  readonly problem: string;
  constructor(what: string, problem: string) {
    super('PRINCIPAL_INVALID', `${what} was given an invalid Authorization: ${problem}`);
    this.problem = problem;
  }
}
