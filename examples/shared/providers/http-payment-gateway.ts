/**
 * The commerce `PaymentGateway` port over a provider's HTTP API (the
 * simulator's fake providers in the demo): what a real client would do.
 */
import type {
  ChargeLookup,
  ChargeRequest,
  Payment,
  PaymentGateway,
  RefundRequest,
} from '@creatorflow/sync/commerce';
import { providerLookup, providerRequest } from './provider-request.js';

/**
 * Charges and refunds over HTTP, each with the saga's idempotency key.
 *
 * @example
 * ```ts
 * const payments = new HttpPaymentGateway({ baseUrl: process.env.PROVIDERS_URL! });
 * await payments.charge({ creatorId, orderId, amount: 25, currency: 'USD', idempotencyKey });
 * ```
 */
export class HttpPaymentGateway implements PaymentGateway {
  readonly #baseUrl: string;

  constructor(options: { baseUrl: string }) {
    this.#baseUrl = options.baseUrl;
  }

  charge(request: ChargeRequest): Promise<Payment> {
    const { creatorId, orderId, amount, currency } = request;
    return providerRequest<Payment>({
      baseUrl: this.#baseUrl,
      path: '/payments/charges',
      body: { creatorId, orderId, amount, currency },
      idempotencyKey: request.idempotencyKey,
      provider: 'payment',
      operation: 'charge',
      signal: request.signal,
    });
  }

  refund(request: RefundRequest): Promise<{ refundId: string }> {
    const { creatorId, orderId, paymentId, amount, currency } = request;
    return providerRequest<{ refundId: string }>({
      baseUrl: this.#baseUrl,
      path: '/payments/refunds',
      body: { creatorId, orderId, paymentId, amount, currency },
      idempotencyKey: request.idempotencyKey,
      provider: 'payment',
      operation: 'refund',
      signal: request.signal,
    });
  }

  findCharge(request: ChargeLookup): Promise<Payment | null> {
    return providerLookup<Payment>({
      baseUrl: this.#baseUrl,
      path: `/payments/charges/by-key/${encodeURIComponent(request.idempotencyKey)}`,
      provider: 'payment',
      operation: 'findCharge',
      signal: request.signal,
    });
  }
}
