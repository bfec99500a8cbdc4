/**
 * Errors of the commerce domain. The saga turns the permanent ones
 * (rejections, invalid orders, missing stock) into terminal step failures;
 * {@link ProviderUnavailableError} is retried.
 */
import { SyncError } from '../core/errors.js';

/**
 * A third party (payment, shipping, TikTok) is temporarily unavailable; retry.
 *
 * @example
 * ```ts
 * throw new ProviderUnavailableError('payment', 'charge', 'upstream 503');
 * ```
 */
export class ProviderUnavailableError extends SyncError {
  readonly provider: string;
  readonly operation: string;
  constructor(provider: string, operation: string, message: string, options?: { cause?: unknown }) {
    super('PROVIDER_UNAVAILABLE', `${provider}.${operation}: ${message}`, options);
    this.provider = provider;
    this.operation = operation;
  }
}

/**
 * A third party refused the request for good (card declined, address invalid).
 *
 * @example
 * ```ts
 * throw new ProviderRejectedError('payment', 'charge', 'card declined');
 * ```
 */
export class ProviderRejectedError extends SyncError {
  readonly provider: string;
  readonly operation: string;
  /**
   * The refusal does not prove nothing happened: the provider already holds a
   * request under this idempotency key (a 409 "key reused"), which may have acted.
   */
  readonly mayHaveActed: boolean;
  constructor(
    provider: string,
    operation: string,
    message: string,
    options?: { cause?: unknown; mayHaveActed?: boolean },
  ) {
    super('PROVIDER_REJECTED', `${provider}.${operation}: ${message}`, options);
    this.provider = provider;
    this.operation = operation;
    this.mayHaveActed = options?.mayHaveActed ?? false;
  }
}

/**
 * An order cannot be fulfilled as it is (no lines, cancelled on TikTok …).
 *
 * @example
 * ```ts
 * throw new OrderInvalidError('o-1', 'the order has no line items');
 * ```
 */
export class OrderInvalidError extends SyncError {
  readonly orderId: string;
  constructor(orderId: string, message: string) {
    super('ORDER_INVALID', `order ${orderId}: ${message}`);
    this.orderId = orderId;
  }
}

/** One product an allocation could not cover. */
export interface StockShortfall {
  productId: string;
  requested: number;
  available: number;
}

/**
 * Not enough available stock to allocate an order.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof InsufficientStockError) console.log(err.shortfalls); }
 * ```
 */
export class InsufficientStockError extends SyncError {
  readonly orderId: string;
  readonly shortfalls: readonly StockShortfall[];
  constructor(orderId: string, shortfalls: readonly StockShortfall[]) {
    super(
      'INSUFFICIENT_STOCK',
      `order ${orderId}: not enough stock for ${shortfalls
        .map((s) => `${s.productId} (${s.requested} requested, ${s.available} available)`)
        .join(', ')}`,
    );
    this.orderId = orderId;
    this.shortfalls = shortfalls;
  }
}

/**
 * True for errors that retrying will not fix.
 *
 * @example
 * ```ts
 * if (isPermanentCommerceError(err)) throw new TerminalError(err.message, { cause: err });
 * ```
 */
export function isPermanentCommerceError(err: unknown): boolean {
  return (
    err instanceof ProviderRejectedError ||
    err instanceof OrderInvalidError ||
    err instanceof InsufficientStockError
  );
}

/**
 * A webhook names a shop, creator or order this host does not serve for its
 * sender (an unbound TikTok shop, a shipping provider not bound to the
 * creator, an order the creator does not have). Nothing was written; the
 * answer is 403 (`UNKNOWN_SHOP`, `UNKNOWN_CREATOR`) or 404 (`UNKNOWN_ORDER`).
 *
 * @example
 * ```ts
 * throw new WebhookSubjectUnknownError('UNKNOWN_ORDER', 'Creator c-1 has no order o-9');
 * ```
 */
export class WebhookSubjectUnknownError extends SyncError {
  override readonly code: 'UNKNOWN_SHOP' | 'UNKNOWN_CREATOR' | 'UNKNOWN_ORDER';
  constructor(code: WebhookSubjectUnknownError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}

/**
 * The capacity check's or a host sampler's options are impossible (a
 * capacity or memory limit that is not a positive finite number, a
 * threshold share outside (0, 1], an interval shorter than a minute …).
 * Thrown when the schedule or the sampler is built; `issues` lists every
 * problem.
 *
 * @example
 * ```ts
 * throw new CapacityConfigError(['capacities.diskGb: expected a positive number, got -1']);
 * ```
 */
export class CapacityConfigError extends SyncError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super('INVALID_CAPACITY_CONFIG', `Invalid capacity planning options: ${issues.join('; ')}`);
    this.issues = issues;
  }
}
