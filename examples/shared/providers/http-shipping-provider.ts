/**
 * The commerce `ShippingProvider` port over a carrier aggregator's HTTP API
 * (the simulator's fake providers in the demo).
 */
import type {
  CancelLabelRequest,
  LabelLookup,
  LabelRequest,
  ShippingLabel,
  ShippingProvider,
} from '@creatorflow/sync/commerce';
import { providerLookup, providerRequest } from './provider-request.js';

/**
 * Labels over HTTP, each with the saga's idempotency key.
 *
 * @example
 * ```ts
 * const shipping = new HttpShippingProvider({ baseUrl: process.env.PROVIDERS_URL!, name: 'shippo' });
 * const label = await shipping.createLabel({ creatorId, orderId, lines, idempotencyKey });
 * ```
 */
export class HttpShippingProvider implements ShippingProvider {
  readonly name: string;
  readonly #baseUrl: string;

  constructor(options: { baseUrl: string; name: string }) {
    this.name = options.name;
    this.#baseUrl = options.baseUrl;
  }

  createLabel(request: LabelRequest): Promise<ShippingLabel> {
    const { creatorId, orderId, lines } = request;
    return providerRequest<ShippingLabel>({
      baseUrl: this.#baseUrl,
      path: `/shipping/${encodeURIComponent(this.name)}/labels`,
      body: { creatorId, orderId, lines },
      idempotencyKey: request.idempotencyKey,
      provider: this.name,
      operation: 'createLabel',
      signal: request.signal,
    });
  }

  async cancelLabel(request: CancelLabelRequest): Promise<void> {
    const { creatorId, orderId, labelId } = request;
    await providerRequest<{ cancelled: boolean }>({
      baseUrl: this.#baseUrl,
      path: `/shipping/${encodeURIComponent(this.name)}/labels/${encodeURIComponent(labelId)}/cancel`,
      body: { creatorId, orderId },
      idempotencyKey: request.idempotencyKey,
      provider: this.name,
      operation: 'cancelLabel',
      signal: request.signal,
    });
  }

  findLabel(request: LabelLookup): Promise<ShippingLabel | null> {
    const key = encodeURIComponent(request.idempotencyKey);
    return providerLookup<ShippingLabel>({
      baseUrl: this.#baseUrl,
      path: `/shipping/${encodeURIComponent(this.name)}/labels/by-key/${key}`,
      provider: this.name,
      operation: 'findLabel',
      signal: request.signal,
    });
  }
}
