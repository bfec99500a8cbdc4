/**
 * The payment port the fulfillment saga charges and refunds through.
 */

/** A charge request. */
export interface ChargeRequest {
  creatorId: string;
  orderId: string;
  amount: number;
  currency: string;
  /** The same key must never charge twice (the saga retries with it). */
  idempotencyKey: string;
  signal?: AbortSignal;
}

/** A captured payment. */
export interface Payment {
  paymentId: string;
  amount: number;
  currency: string;
}

/** A refund request. */
export interface RefundRequest {
  creatorId: string;
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
  signal?: AbortSignal;
}

/** Look a charge up by the idempotency key it was requested with. */
export interface ChargeLookup {
  creatorId: string;
  orderId: string;
  /** The charge's key (the saga step's `"<sagaId>:process_payment"`). */
  idempotencyKey: string;
  signal?: AbortSignal;
}

/**
 * Charges and refunds. Throw `ProviderUnavailableError` for retryable
 * failures and `ProviderRejectedError` for permanent ones.
 *
 * @example
 * ```ts
 * const payment = await gateway.charge({ creatorId: 'c1', orderId: 'o1', amount: 25, currency: 'USD', idempotencyKey: 'k' });
 * ```
 */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<Payment>;
  refund(request: RefundRequest): Promise<{ refundId: string }>;
  /**
   * The charge made with this key, or null when none was. Needed to refund a
   * charge whose reply was lost (the saga cannot know it happened); without
   * it such a refund is dead-lettered for a person.
   */
  findCharge?(request: ChargeLookup): Promise<Payment | null>;
}
