/**
 * Errors of the conflict engine. Each has a stable `code`; bad input is
 * rejected before anything is written.
 */
import { SyncError, type ValidationIssue } from '../core/errors.js';

/**
 * Stable codes of the conflict engine's errors.
 *
 * @example
 * ```ts
 * if (isSyncError(err) && (CONFLICT_ERROR_CODES as readonly string[]).includes(err.code)) reply(400);
 * ```
 */
export const CONFLICT_ERROR_CODES = [
  'CONFLICT_MALFORMED_INPUT',
  'CONFLICT_UNKNOWN_SOURCE',
  'CONFLICT_ENTITY_MISMATCH',
  'CONFLICT_UNKNOWN_STRATEGY',
  'CONFLICT_NOT_FOUND',
  'CONFLICT_NOT_PENDING',
] as const;
/** One of {@link CONFLICT_ERROR_CODES}. */
export type ConflictErrorCode = (typeof CONFLICT_ERROR_CODES)[number];

/**
 * Base class of the conflict engine's errors.
 *
 * @example
 * ```ts
 * catch (err) { if (isConflictError(err) && err.code === 'CONFLICT_UNKNOWN_SOURCE') reject(400); }
 * ```
 */
export class ConflictError extends SyncError {
  declare readonly code: ConflictErrorCode;
  constructor(code: ConflictErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A contender, conflict, configuration or manual decision failed validation.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof MalformedConflictInputError) console.log(err.issues); }
 * ```
 */
export class MalformedConflictInputError extends ConflictError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('CONFLICT_MALFORMED_INPUT', detail ? `${message}: ${detail}` : message, options);
    this.issues = issues;
  }
}

/**
 * A contender names a source that has no configured priority.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof UnknownSourceError) console.log(err.source); }
 * ```
 */
export class UnknownSourceError extends ConflictError {
  readonly source: string;
  constructor(source: string) {
    super('CONFLICT_UNKNOWN_SOURCE', `Unknown conflict source "${source}"; configure its priority first`);
    this.source = source;
  }
}

/**
 * A contender belongs to another entity than the conflict it was given with.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof EntityMismatchError) console.log(err.eventId); }
 * ```
 */
export class EntityMismatchError extends ConflictError {
  readonly eventId: string;
  constructor(eventId: string, expected: string, actual: string) {
    super('CONFLICT_ENTITY_MISMATCH', `Contender ${eventId} is for ${actual}, not ${expected}`);
    this.eventId = eventId;
  }
}

/**
 * A configuration names a strategy that is neither built in nor registered.
 *
 * @example
 * ```ts
 * createConflictEngine({ entities: { product: { strategy: 'nope' } } }); // throws UnknownStrategyError
 * ```
 */
export class UnknownStrategyError extends ConflictError {
  readonly strategy: string;
  constructor(strategy: string) {
    super('CONFLICT_UNKNOWN_STRATEGY', `Unknown conflict strategy "${strategy}"`);
    this.strategy = strategy;
  }
}

/**
 * No conflict has this id.
 *
 * @example
 * ```ts
 * await resolver.resolveManually('00000000-0000-0000-0000-000000000000', decision); // throws ConflictNotFoundError
 * ```
 */
export class ConflictNotFoundError extends ConflictError {
  readonly conflictId: string;
  constructor(conflictId: string) {
    super('CONFLICT_NOT_FOUND', `No conflict with id ${conflictId}`);
    this.conflictId = conflictId;
  }
}

/**
 * A manual decision was given for a conflict that is not waiting for one
 * (resolved automatically, or already decided by another admin).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ConflictNotPendingError) showAlreadyDecided(err.conflictId); }
 * ```
 */
export class ConflictNotPendingError extends ConflictError {
  readonly conflictId: string;
  constructor(conflictId: string, status: string) {
    super('CONFLICT_NOT_PENDING', `Conflict ${conflictId} is ${status}, not pending a manual decision`);
    this.conflictId = conflictId;
  }
}

/**
 * True when `err` is an error of the conflict engine.
 *
 * @example
 * ```ts
 * if (isConflictError(err)) reply(err.code === 'CONFLICT_NOT_FOUND' ? 404 : 400);
 * ```
 */
export function isConflictError(err: unknown): err is ConflictError {
  return err instanceof ConflictError;
}
