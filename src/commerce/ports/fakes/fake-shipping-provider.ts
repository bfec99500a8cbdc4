/**
 * An in-process shipping provider for examples and tests.
 */
import { randomUUID } from 'node:crypto';
import type {
  CancelLabelRequest,
  LabelLookup,
  LabelRequest,
  ShippingLabel,
  ShippingProvider,
} from '../shipping-provider.js';
import { FakeBehaviour, type FakeBehaviourOptions } from './fake-behaviour.js';

/**
 * Labels kept in memory, idempotent by key, with injectable latency and failures.
 *
 * @example
 * ```ts
 * const shipping = new FakeShippingProvider({ name: 'shippo', carrier: 'USPS', latencyMs: 10 });
 * ```
 */
export class FakeShippingProvider implements ShippingProvider {
  readonly name: string;
  readonly behaviour: FakeBehaviour;
  /** Labels by id, with whether they were voided. */
  readonly labels = new Map<string, ShippingLabel & { orderId: string; cancelled: boolean }>();
  readonly #carrier: string;
  readonly #created = new Map<string, ShippingLabel>();

  constructor(options: FakeBehaviourOptions & { name?: string; carrier?: string } = {}) {
    this.name = options.name ?? 'fake_shipping';
    this.#carrier = options.carrier ?? 'USPS';
    this.behaviour = new FakeBehaviour(this.name, options);
  }

  async createLabel(request: LabelRequest): Promise<ShippingLabel> {
    // Unreachable for a repeated key too; once reached, a repeat returns the first label.
    await this.behaviour.call('createLabel', request.signal);
    let label = this.#created.get(request.idempotencyKey);
    if (!label) {
      label = {
        labelId: `lbl_${randomUUID()}`,
        trackingNumber: `TRK${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`,
        carrier: this.#carrier,
      };
      this.#created.set(request.idempotencyKey, label);
      this.labels.set(label.labelId, { ...label, orderId: request.orderId, cancelled: false });
    }
    this.behaviour.reply('createLabel');
    return label;
  }

  async cancelLabel(request: CancelLabelRequest): Promise<void> {
    const label = this.labels.get(request.labelId);
    if (label?.cancelled) return;
    await this.behaviour.call('cancelLabel', request.signal);
    if (label) label.cancelled = true;
  }

  async findLabel(request: LabelLookup): Promise<ShippingLabel | null> {
    return this.#created.get(request.idempotencyKey) ?? null;
  }

  /** Labels not voided. */
  activeLabels(): number {
    return [...this.labels.values()].filter((l) => !l.cancelled).length;
  }
}
