/**
 * Inside a chaos host: route the example host's in-process payment and
 * shipping fakes to the shared providers service at `PROVIDERS_URL`.
 *
 * Why a prototype patch: the example host builds its fakes itself and has no
 * option for other ports yet (the hosts are to read `PROVIDERS_URL`); until
 * then this keeps the harness honest without editing the example.
 */
import { ProviderRejectedError, ProviderUnavailableError } from '../../src/commerce/errors.js';
import { FakePaymentGateway, FakeShippingProvider } from '../../src/commerce/ports/index.js';
import type { PROVIDER_ROUTES } from './providers-service.js';

type Route = keyof typeof PROVIDER_ROUTES;

async function call<T>(base: string, route: Route, request: { signal?: AbortSignal }): Promise<T> {
  const { signal, ...body } = request;
  const [provider = '', operation = ''] = route.slice(1).split('/');
  let response: Response;
  try {
    response = await fetch(new URL(route, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new ProviderUnavailableError(provider, operation, 'unreachable', { cause: err });
  }
  const text = await response.text();
  if (response.status >= 500) throw new ProviderUnavailableError(provider, operation, text);
  if (response.status >= 400) throw new ProviderRejectedError(provider, operation, text);
  return JSON.parse(text) as T;
}

/**
 * Make every `FakePaymentGateway` and `FakeShippingProvider` of this process call `base`.
 *
 * @example
 * ```ts
 * if (process.env.PROVIDERS_URL) useRemoteProviders(process.env.PROVIDERS_URL);
 * ```
 */
export function useRemoteProviders(base: string): void {
  FakePaymentGateway.prototype.charge = (request) => call(base, '/payment/charge', request);
  FakePaymentGateway.prototype.refund = (request) => call(base, '/payment/refund', request);
  FakeShippingProvider.prototype.createLabel = (request) => call(base, '/shipping/create_label', request);
  FakeShippingProvider.prototype.cancelLabel = (request) => call(base, '/shipping/cancel_label', request);
}
