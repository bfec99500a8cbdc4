/**
 * Errors of authorisation: a caller who is not signed in, or who lacks the
 * role an operation needs. HTTP layers map them to 401 and 403.
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
export const ACCESS_ERROR_CODES = ['UNAUTHENTICATED', 'FORBIDDEN'] as const;

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
