/**
 * The shipping port the fulfillment saga buys and voids labels through.
 */

/** A label request. */
export interface LabelRequest {
  creatorId: string;
  orderId: string;
  lines: readonly { productId: string; quantity: number }[];
  idempotencyKey: string;
  signal?: AbortSignal;
}

/** A bought label. */
export interface ShippingLabel {
  labelId: string;
  trackingNumber: string;
  carrier: string;
}

/** A void request. */
export interface CancelLabelRequest {
  creatorId: string;
  orderId: string;
  labelId: string;
  idempotencyKey: string;
  signal?: AbortSignal;
}

/** Look a label up by the idempotency key it was bought with. */
export interface LabelLookup {
  creatorId: string;
  orderId: string;
  /** The label's key (the saga step's `"<sagaId>:generate_shipping_label"`). */
  idempotencyKey: string;
  signal?: AbortSignal;
}

/**
 * Shipping labels. Throw `ProviderUnavailableError` for retryable failures and
 * `ProviderRejectedError` for permanent ones.
 *
 * @example
 * ```ts
 * const label = await shipping.createLabel({ creatorId: 'c1', orderId: 'o1', lines, idempotencyKey: 'k' });
 * ```
 */
export interface ShippingProvider {
  /** Provider name recorded on `order.shipped`, e.g. `'shippo'`. */
  readonly name: string;
  createLabel(request: LabelRequest): Promise<ShippingLabel>;
  cancelLabel(request: CancelLabelRequest): Promise<void>;
  /**
   * The label bought with this key, or null when none was. Needed to void a
   * label whose reply was lost; without it such a void is dead-lettered.
   */
  findLabel?(request: LabelLookup): Promise<ShippingLabel | null>;
}
