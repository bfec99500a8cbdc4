/**
 * An in-process payment gateway for examples and tests.
 */
import { randomUUID } from 'node:crypto';
import { ProviderRejectedError } from '../../errors.js';
import type {
  ChargeLookup,
  ChargeRequest,
  Payment,
  PaymentGateway,
  RefundRequest,
} from '../payment-gateway.js';
import { FakeBehaviour, type FakeBehaviourOptions } from './fake-behaviour.js';

/**
 * Charges and refunds kept in memory, idempotent by key, with injectable
 * latency and failures.
 *
 * @example
 * ```ts
 * const payments = new FakePaymentGateway({ latencyMs: [5, 30], failureRate: 0.02 });
 * payments.behaviour.failNext('charge', 'permanent'); // the next charge is declined
 * ```
 */
export class FakePaymentGateway implements PaymentGateway {
  readonly behaviour: FakeBehaviour;
  /** Captured payments by payment id. */
  readonly payments = new Map<string, Payment & { orderId: string; refunded: number }>();
  readonly #charges = new Map<string, Payment>();
  readonly #refunds = new Map<string, string>();

  constructor(options: FakeBehaviourOptions = {}) {
    this.behaviour = new FakeBehaviour('payment', options);
  }

  async charge(request: ChargeRequest): Promise<Payment> {
    // A provider can be unreachable for a repeated key too; once reached, a
    // repeated key returns the first charge.
    await this.behaviour.call('charge', request.signal);
    let payment = this.#charges.get(request.idempotencyKey);
    if (!payment) {
      payment = { paymentId: `pay_${randomUUID()}`, amount: request.amount, currency: request.currency };
      this.#charges.set(request.idempotencyKey, payment);
      this.payments.set(payment.paymentId, { ...payment, orderId: request.orderId, refunded: 0 });
    }
    this.behaviour.reply('charge');
    return payment;
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    const done = this.#refunds.get(request.idempotencyKey);
    if (done) return { refundId: done };
    await this.behaviour.call('refund', request.signal);
    const payment = this.payments.get(request.paymentId);
    if (!payment)
      throw new ProviderRejectedError('payment', 'refund', `unknown payment ${request.paymentId}`);
    payment.refunded += request.amount;
    const refundId = `re_${randomUUID()}`;
    this.#refunds.set(request.idempotencyKey, refundId);
    return { refundId };
  }

  async findCharge(request: ChargeLookup): Promise<Payment | null> {
    return this.#charges.get(request.idempotencyKey) ?? null;
  }

  /** Net captured amount (charges minus refunds). */
  netCaptured(): number {
    let total = 0;
    for (const p of this.payments.values()) total += p.amount - p.refunded;
    return total;
  }
}
