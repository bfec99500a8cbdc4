/**
 * Errors of the realtime delta stream. Each has a stable `code` that
 * transports map to HTTP statuses and wire `error` envelopes.
 */
import { SyncError, type ValidationIssue } from '../core/errors.js';
import { problemOf } from '../http/problem.js';

/**
 * A subscription filter is malformed, names a column outside the channel's
 * allow-list, or uses an unknown operator. Raised at subscribe time, never as a silent no-match.
 *
 * @example
 * ```ts
 * try { parseFilter(channel, 'price=like.5'); }
 * catch (err) { if (err instanceof InvalidFilterError) reply(400, err.toJSON()); }
 * ```
 */
export class InvalidFilterError extends SyncError {
  /** The offending filter text. */
  readonly filter: string;
  constructor(filter: string, reason: string, options?: { cause?: unknown }) {
    super('INVALID_FILTER', `Invalid filter "${filter}": ${reason}`, options);
    this.filter = filter;
  }
}

/**
 * A subscription's `select` names a column the channel does not have (or is
 * not a column name). Raised at subscribe time (HTTP 400, WebSocket 4400),
 * or when the first snapshot shows the table lacks it.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof InvalidSelectError) reply(400, err.toJSON()); }
 * ```
 */
export class InvalidSelectError extends SyncError {
  /** The offending column. */
  readonly column: string;
  constructor(channel: string, column: string, options?: { cause?: unknown }) {
    super('INVALID_SELECT', `Channel "${channel}" has no column "${column}" to select`, options);
    this.column = column;
  }
}

/**
 * A multiplexed connection asked for more subscriptions than it may carry
 * (`maxSubscriptionsPerConnection`, default 50). Not retried: the client
 * must open fewer (or a second connection).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof TooManySubscriptionsError) console.warn(err.limit); }
 * ```
 */
export class TooManySubscriptionsError extends SyncError {
  readonly limit: number;
  constructor(limit: number) {
    super('TOO_MANY_SUBSCRIPTIONS', `A realtime connection carries at most ${limit} subscriptions`);
    this.limit = limit;
  }
}

/**
 * A subscription names a channel the hub does not serve.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof UnknownChannelError) reply(404); }
 * ```
 */
export class UnknownChannelError extends SyncError {
  readonly channel: string;
  constructor(channel: string) {
    super('UNKNOWN_CHANNEL', `Unknown realtime channel "${channel}"`);
    this.channel = channel;
  }
}

/**
 * A user already holds the maximum number of realtime connections (HTTP 429).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof TooManyConnectionsError) res.setHeader('Retry-After', err.retryAfterSeconds); }
 * ```
 */
export class TooManyConnectionsError extends SyncError {
  readonly userId: string;
  readonly limit: number;
  /** Seconds the client should wait before trying again. */
  readonly retryAfterSeconds: number;
  constructor(userId: string, limit: number, retryAfterSeconds: number) {
    super('TOO_MANY_CONNECTIONS', `User "${userId}" already has ${limit} realtime connections`);
    this.userId = userId;
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The host's `authorize(request)` refused the request (HTTP 401/403).
 *
 * @example
 * ```ts
 * authorize: (req) => { if (!req.headers.authorization) throw new UnauthorizedError(); ... }
 * ```
 */
export class UnauthorizedError extends SyncError {
  constructor(message = 'Not authorized for realtime', options?: { cause?: unknown }) {
    super('UNAUTHORIZED', message, options);
  }
}

/**
 * A browser page from an origin the host does not allow tried to open a
 * realtime connection (HTTP 403, WebSocket close 4403). Checked before
 * `authorize`, so a page cannot ride on a logged-in user's cookies.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof OriginNotAllowedError) console.warn('refused', err.origin); }
 * ```
 */
export class OriginNotAllowedError extends SyncError {
  /** The refused `Origin` header. */
  readonly origin: string;
  constructor(origin: string, host: string | undefined) {
    super(
      'ORIGIN_NOT_ALLOWED',
      `Origin "${origin}" may not open realtime connections to host "${host ?? ''}" (see allowedOrigins)`,
    );
    this.origin = origin;
  }
}

/**
 * Fetching a snapshot for a subscription (initial load or reset) failed.
 *
 * @example
 * ```ts
 * hub.messages(request, auth).subscribe({ error: (err) => err instanceof SnapshotError && retryLater() });
 * ```
 */
export class SnapshotError extends SyncError {
  constructor(channel: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_FAILED', `Snapshot of channel "${channel}" failed`, options);
  }
}

/**
 * The connection limiter could not decide (a custom shared limiter failed);
 * the client should retry (HTTP 503).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof RealtimeUnavailableError) retryLater(); }
 * ```
 */
export class RealtimeUnavailableError extends SyncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REALTIME_UNAVAILABLE', message, options);
  }
}

/**
 * A message arriving over pub/sub (Redis, PostgreSQL NOTIFY) is not a valid
 * change notice. It is dropped and reported as the hub's `'error'`; the
 * subscription goes on with the next message.
 *
 * @example
 * ```ts
 * hub.events.on('error', (err) => { if (isPubSubMessageError(err)) metrics.badMessages.inc(); });
 * ```
 */
export class PubSubMessageError extends SyncError {
  /** The pub/sub channel the message came on. */
  readonly channel: string;
  readonly issues: readonly ValidationIssue[];
  constructor(channel: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super(
      'PUBSUB_MESSAGE_INVALID',
      `Dropped a malformed message on pub/sub channel "${channel}": ${detail}`,
      options,
    );
    this.channel = channel;
    this.issues = issues;
  }
}

/**
 * True when `err` is a {@link PubSubMessageError}.
 *
 * @example
 * ```ts
 * if (isPubSubMessageError(err)) log.warn(err.channel, err.issues);
 * ```
 */
export function isPubSubMessageError(err: unknown): err is PubSubMessageError {
  return err instanceof PubSubMessageError;
}

/**
 * The HTTP status a transport answers for an error: the one mapping of
 * `problemOf` (`@creatorflow/sync/http`), from the error registry.
 *
 * @example
 * ```ts
 * res.statusCode = httpStatusOf(err); // 400 for INVALID_FILTER, 429 for TOO_MANY_CONNECTIONS
 * ```
 */
export function httpStatusOf(err: unknown): number {
  return problemOf(err).status;
}
