/**
 * Errors raised by @creatorflow/sync. Every error carries a stable string `code`
 * that callers (and HTTP layers) branch on; messages are for people.
 */

import { type ErrorCodeOf, type RegisteredErrorCode, errorCodesOf } from './error-codes.js';

/**
 * The codes of the core and the store, in registry order (see `ERROR_REGISTRY`
 * for every module's). New codes are added, existing ones never change meaning.
 *
 * @example
 * ```ts
 * ERROR_CODES.includes('CONCURRENCY_CONFLICT') // true
 * ```
 */
export const ERROR_CODES: readonly (ErrorCodeOf<'core'> | ErrorCodeOf<'store'>)[] = Object.freeze([
  ...errorCodesOf('core'),
  ...errorCodesOf('store'),
]);

/**
 * A stable error code: one of `ERROR_REGISTRY` (a domain entry point adds its
 * own, e.g. `COMMERCE_ERROR_REGISTRY`).
 */
export type ErrorCode = RegisteredErrorCode | (string & {});

/**
 * Base class of every error thrown by the library.
 *
 * @example
 * ```ts
 * try { await store.append(id, events, { expectedVersion: 3 }); }
 * catch (err) { if (isSyncError(err)) console.log(err.code); }
 * ```
 */
export class SyncError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** A plain object safe to log or send over the wire. */
  toJSON(): { name: string; code: ErrorCode; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Expected-version rule of an append, see {@link ExpectedVersion}. */
export type ExpectedVersionDescription = number | 'any' | 'no_stream' | 'stream_exists';

/**
 * An append's expected version did not match the stream.
 *
 * @example
 * ```ts
 * catch (err) { if (isConcurrencyError(err)) retryFrom(err.actualVersion); }
 * ```
 */
export class ConcurrencyError extends SyncError {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersionDescription;
  /** The stream's version when the append was checked; 0 when the stream does not exist. */
  readonly actualVersion: number;
  constructor(streamId: string, expectedVersion: ExpectedVersionDescription, actualVersion: number) {
    super(
      'CONCURRENCY_CONFLICT',
      `Stream "${streamId}" expected version ${String(expectedVersion)} but is at version ${actualVersion}`,
    );
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** One problem found while validating input. */
export interface ValidationIssue {
  /** Dotted path into the input, empty for the root. */
  path: string;
  message: string;
}

/**
 * Input failed validation; `issues` lists every problem found.
 *
 * @example
 * ```ts
 * catch (err) { if (isValidationError(err)) err.issues.forEach((i) => console.log(i.path, i.message)); }
 * ```
 */
export class ValidationError extends SyncError {
  readonly issues: readonly ValidationIssue[];
  constructor(message: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('VALIDATION_FAILED', detail ? `${message}: ${detail}` : message, options);
    this.issues = issues;
  }
}

/**
 * A payload is larger than the configured limit.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof PayloadTooLargeError) console.log(err.sizeBytes, err.limitBytes); }
 * ```
 */
export class PayloadTooLargeError extends SyncError {
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(what: string, sizeBytes: number, limitBytes: number) {
    super('PAYLOAD_TOO_LARGE', `${what} is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * An argument is malformed (empty append, bad option, unknown name).
 *
 * @example
 * ```ts
 * throw new InvalidArgumentError('events must not be empty');
 * ```
 */
export class InvalidArgumentError extends SyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/**
 * A host option object is malformed: `createSyncEngine`, `createRealtimeHub`
 * and the other factories validate their options once, before anything
 * starts. `issues` names every bad field by its path.
 *
 * @example
 * ```ts
 * catch (err) { if (isInvalidOptionsError(err)) console.error(err.what, err.issues.map((i) => i.path)); }
 * ```
 */
export class InvalidOptionsError extends SyncError {
  /** What the options were for, e.g. `'createSyncEngine'`. */
  readonly what: string;
  readonly issues: readonly ValidationIssue[];
  constructor(what: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('INVALID_OPTIONS', `Invalid ${what} options: ${detail}`, options);
    this.what = what;
    this.issues = issues;
  }
}

/**
 * True when `err` is an {@link InvalidOptionsError}.
 *
 * @example
 * ```ts
 * if (isInvalidOptionsError(err)) process.exit(78); // EX_CONFIG
 * ```
 */
export function isInvalidOptionsError(err: unknown): err is InvalidOptionsError {
  return err instanceof InvalidOptionsError;
}

/**
 * A named resource (a dead letter, a route, a record) does not exist.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof NotFoundError) reply(404); }
 * ```
 */
export class NotFoundError extends SyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

/**
 * The operation needs a capability this adapter does not have (say, a rebuild
 * on a store without SQL).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof NotSupportedError) useSqlStore(); }
 * ```
 */
export class NotSupportedError extends SyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_SUPPORTED', message, options);
  }
}

/**
 * The store (or another resource) was used after `close()`.
 *
 * @example
 * ```ts
 * await store.close(); await store.append(...); // throws StoreClosedError
 * ```
 */
export class StoreClosedError extends SyncError {
  constructor(what = 'Event store') {
    super('STORE_CLOSED', `${what} is closed`);
  }
}

/**
 * An idempotency key already names an append to another stream. A key names
 * one operation; reusing it elsewhere is a bug in the caller, so nothing is written.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof IdempotencyKeyReusedError) console.log(err.key, err.firstStreamId); }
 * ```
 */
export class IdempotencyKeyReusedError extends SyncError {
  readonly key: string;
  readonly streamId: string;
  /** The stream the key's first append went to. */
  readonly firstStreamId: string;
  constructor(key: string, streamId: string, firstStreamId: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency key "${key}" was used for stream "${firstStreamId}" and cannot be reused for "${streamId}"`,
    );
    this.key = key;
    this.streamId = streamId;
    this.firstStreamId = firstStreamId;
  }
}

/**
 * An event id of the append is already stored, but not as this append's
 * events (another stream, or a different set of events). Re-sending the very
 * same append with the same ids is not this error: it returns the stored result.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof DuplicateEventIdError) console.log(err.storedInStreamId); }
 * ```
 */
export class DuplicateEventIdError extends SyncError {
  readonly streamId: string;
  /** A stream already holding one of the ids. */
  readonly storedInStreamId: string;
  constructor(streamId: string, storedInStreamId: string) {
    super(
      'DUPLICATE_EVENT_ID',
      `An event id of the append to "${streamId}" is already stored in stream "${storedInStreamId}"`,
    );
    this.streamId = streamId;
    this.storedInStreamId = storedInStreamId;
  }
}

/**
 * The database could not be reached long enough to learn whether an append
 * committed (a timeout or a dropped connection while it ran, then no answer
 * before the store's recovery window closed). Retrying the append with the
 * same event ids or idempotency key is safe: it is written at most once.
 *
 * @example
 * ```ts
 * catch (err) { if (isRetryableStoreError(err)) await store.append(id, sameEvents, sameOptions); }
 * ```
 */
export class AppendOutcomeUnknownError extends SyncError {
  readonly retryable = true;
  readonly streamId: string;
  /** The append's event ids: re-send them to retry safely. */
  readonly eventIds: readonly string[];
  constructor(streamId: string, eventIds: readonly string[], cause: unknown) {
    super(
      'APPEND_OUTCOME_UNKNOWN',
      `The database did not confirm whether the append to "${streamId}" committed; ` +
        'retry it with the same event ids or idempotency key',
      { cause },
    );
    this.streamId = streamId;
    this.eventIds = eventIds;
  }
}

/**
 * The database is unreachable and the operation did not reach it, so nothing
 * was written. Safe to retry.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof StoreUnavailableError) reply(503, { retryAfter: 1 }); }
 * ```
 */
export class StoreUnavailableError extends SyncError {
  readonly retryable = true;
  constructor(message: string, cause: unknown) {
    super('STORE_UNAVAILABLE', message, { cause });
  }
}

/**
 * True for store errors a caller may retry as they are: {@link AppendOutcomeUnknownError}
 * (with the same event ids or key) and {@link StoreUnavailableError}.
 *
 * @example
 * ```ts
 * if (isRetryableStoreError(err)) res.status(503).set('Retry-After', '1').end();
 * ```
 */
export function isRetryableStoreError(
  err: unknown,
): err is AppendOutcomeUnknownError | StoreUnavailableError {
  return err instanceof AppendOutcomeUnknownError || err instanceof StoreUnavailableError;
}

/**
 * Schema migration failed, or the database holds a newer schema than this library knows.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof MigrationError && err.code === 'SCHEMA_TOO_NEW') upgradeLibrary(); }
 * ```
 */
export class MigrationError extends SyncError {
  constructor(code: 'SCHEMA_TOO_NEW' | 'MIGRATION_FAILED', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * True when `err` is any error raised by this library.
 *
 * @example
 * ```ts
 * if (isSyncError(err) && err.code === 'PAYLOAD_TOO_LARGE') reply(413);
 * ```
 */
export function isSyncError(err: unknown): err is SyncError {
  return err instanceof SyncError;
}

/**
 * True when `err` is a {@link ConcurrencyError}.
 *
 * @example
 * ```ts
 * if (isConcurrencyError(err)) console.log(err.expectedVersion, err.actualVersion);
 * ```
 */
export function isConcurrencyError(err: unknown): err is ConcurrencyError {
  return err instanceof ConcurrencyError;
}

/**
 * True when `err` is a {@link ValidationError}.
 *
 * @example
 * ```ts
 * if (isValidationError(err)) console.log(err.issues);
 * ```
 */
export function isValidationError(err: unknown): err is ValidationError {
  return err instanceof ValidationError;
}
