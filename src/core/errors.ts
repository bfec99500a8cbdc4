/**
 * Errors raised by @creatorflow/sync. Every error carries a stable string `code`
 * that callers (and HTTP layers) branch on; messages are for people.
 */

/** Stable error codes. New codes are added, existing ones never change meaning. */
export const ERROR_CODES = [
  'CONCURRENCY_CONFLICT',
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'INVALID_ARGUMENT',
  'UNKNOWN_EVENT_TYPE',
  'STORE_CLOSED',
  'SCHEMA_TOO_NEW',
  'MIGRATION_FAILED',
  'NOT_FOUND',
] as const;

/** A stable error code; modules may define their own beyond {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number] | (string & {});

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
