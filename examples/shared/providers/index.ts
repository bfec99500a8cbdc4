/**
 * The payment and shipping ports a host gives the commerce module: HTTP
 * clients of the providers' service when `PROVIDERS_URL` is set (several
 * hosts then share one provider, and its ledger shows every side effect),
 * the library's in-process fakes otherwise (one host, nothing to run).
 */
import {
  FakePaymentGateway,
  FakeShippingProvider,
  type PaymentGateway,
  type ShippingProvider,
} from '@creatorflow/sync/commerce';
import { HttpPaymentGateway } from './http-payment-gateway.js';
import { HttpShippingProvider } from './http-shipping-provider.js';

export { HttpPaymentGateway } from './http-payment-gateway.js';
export { HttpShippingProvider } from './http-shipping-provider.js';
export { providerRequest, type ProviderRequest } from './provider-request.js';

/**
 * Choose the provider ports.
 *
 * @example
 * ```ts
 * const { payments, shipping } = providerPorts({ providersUrl: process.env.PROVIDERS_URL, shippingProvider: 'shippo' });
 * ```
 */
export function providerPorts(options: { providersUrl?: string | undefined; shippingProvider: string }): {
  payments: PaymentGateway;
  shipping: ShippingProvider;
} {
  const { providersUrl: baseUrl, shippingProvider: name } = options;
  if (baseUrl) {
    return {
      payments: new HttpPaymentGateway({ baseUrl }),
      shipping: new HttpShippingProvider({ baseUrl, name }),
    };
  }
  return {
    payments: new FakePaymentGateway({ latencyMs: [20, 120] }),
    shipping: new FakeShippingProvider({ name, latencyMs: [30, 150] }),
  };
}
