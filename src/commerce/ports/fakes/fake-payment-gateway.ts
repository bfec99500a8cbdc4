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
 * Options of {@link FakePaymentGateway}: its latency and failures, and what a charge captures.
 *
 * @example
 * ```ts
 * // One charge in fifty captures 20 % less than asked (a partial capture).
 * const options: FakePaymentGatewayOptions = {
 *   capturedAmount: (request) => (Math.random() < 0.02 ? Math.round(request.amount * 80) / 100 : request.amount),
 * };
 * ```
 */
export interface FakePaymentGatewayOptions extends FakeBehaviourOptions {
  /** The amount a new charge captures. Default: the amount requested. */
  capturedAmount?: (request: ChargeRequest) => number;
}

/**
 * Charges and refunds kept in memory, idempotent by key, with injectable
 * latency and failures, and captures of another amount than asked.
 *
 * @example
 * ```ts
 * const payments = new FakePaymentGateway({ latencyMs: [5, 30], failureRate: 0.02 });
 * payments.behaviour.failNext('charge', 'permanent'); // the next charge is declined
 * payments.captureNext(80); // the next new charge captures 80, whatever was asked
 * ```
 */
export class FakePaymentGateway implements PaymentGateway {
  readonly behaviour: FakeBehaviour;
  /** Captured payments by payment id. */
  readonly payments = new Map<string, Payment & { orderId: string; refunded: number }>();
  readonly #charges = new Map<string, Payment>();
  readonly #refunds = new Map<string, string>();
  readonly #capturedAmount: ((request: ChargeRequest) => number) | undefined;
  readonly #nextCaptures: number[] = [];

  constructor(options: FakePaymentGatewayOptions = {}) {
    const { capturedAmount, ...behaviour } = options;
    this.behaviour = new FakeBehaviour('payment', behaviour);
    this.#capturedAmount = capturedAmount;
  }

  /** The next `times` new charges capture `amount` instead of the amount requested (a repeated key still returns its first charge). */
  captureNext(amount: number, times = 1): this {
    for (let i = 0; i < times; i++) this.#nextCaptures.push(amount);
    return this;
  }

  async charge(request: ChargeRequest): Promise<Payment> {
    // A provider can be unreachable for a repeated key too; once reached, a
    // repeated key returns the first charge.
    await this.behaviour.call('charge', request.signal);
    let payment = this.#charges.get(request.idempotencyKey);
    if (!payment) {
      const amount = this.#nextCaptures.shift() ?? this.#capturedAmount?.(request) ?? request.amount;
      payment = { paymentId: `pay_${randomUUID()}`, amount, currency: request.currency };
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
