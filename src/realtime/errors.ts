/**
 * Errors of the realtime delta stream. Each has a stable `code` that
 * transports map to HTTP statuses and wire `error` envelopes.
 */
import { SyncError } from '../core/errors.js';

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
 * The HTTP status a transport answers for a realtime error code.
 *
 * @example
 * ```ts
 * res.statusCode = httpStatusOf(err); // 400 for INVALID_FILTER, 429 for TOO_MANY_CONNECTIONS
 * ```
 */
export function httpStatusOf(err: unknown): number {
  if (!(err instanceof SyncError)) return 500;
  switch (err.code) {
    case 'INVALID_FILTER':
    case 'INVALID_SELECT':
    case 'TOO_MANY_SUBSCRIPTIONS':
    case 'INVALID_ARGUMENT':
    case 'VALIDATION_FAILED':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'ORIGIN_NOT_ALLOWED':
      return 403;
    case 'UNKNOWN_CHANNEL':
      return 404;
    case 'TOO_MANY_CONNECTIONS':
      return 429;
    case 'SNAPSHOT_FAILED':
    case 'REALTIME_UNAVAILABLE':
    case 'STORE_CLOSED':
      return 503;
    default:
      return 500;
  }
}
