/**
 * One POST to a payment or shipping provider's HTTP API, with its
 * idempotency key, a timeout, and the answer mapped onto the commerce
 * errors the fulfillment saga branches on: no answer, a timeout, 429 or a
 * 5xx is `ProviderUnavailableError` (retried with the same key, which the
 * provider answers with its first result); any other 4xx is
 * `ProviderRejectedError` (the step fails for good, compensations run).
 */
import { ProviderRejectedError, ProviderUnavailableError } from '@creatorflow/sync/commerce';
import { pooledFetch } from '../pooled-fetch.js';

/** One keep-alive pool for every provider call of the process (see pooled-fetch.ts). */
const providersFetch = pooledFetch();

/** One request. */
export interface ProviderRequest {
  baseUrl: string;
  path: string;
  body: unknown;
  idempotencyKey: string;
  /** Names the provider and operation in errors, e.g. `'payment'`, `'charge'`. */
  provider: string;
  operation: string;
  signal?: AbortSignal | undefined;
  /** Default 10,000 ms. */
  timeoutMs?: number;
  /** Default: a pooled fetch shared by the process's provider calls. */
  fetch?: typeof fetch;
}

/**
 * Send the request; resolve with the JSON answer of a 2xx.
 *
 * @example
 * ```ts
 * const payment = await providerRequest<Payment>({ baseUrl, path: '/payments/charges', body, idempotencyKey: key,
 *   provider: 'payment', operation: 'charge' });
 * ```
 */
export async function providerRequest<T>(request: ProviderRequest): Promise<T> {
  const { response, text } = await send(request, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey },
    body: JSON.stringify(request.body),
  });
  if (response.ok) return JSON.parse(text) as T;
  throw failure(request, response, text);
}

/** One GET of a provider's record (no body, no key). */
export type ProviderLookup = Omit<ProviderRequest, 'body' | 'idempotencyKey'>;

/**
 * GET a record; null when the provider answers 404 (it has none).
 *
 * @example
 * ```ts
 * const charge = await providerLookup<Payment>({ baseUrl, path: `/payments/charges/by-key/${key}`,
 *   provider: 'payment', operation: 'findCharge' });
 * ```
 */
export async function providerLookup<T>(request: ProviderLookup): Promise<T | null> {
  const { response, text } = await send(request, { method: 'GET' });
  if (response.ok) return JSON.parse(text) as T;
  if (response.status === 404) return null;
  throw failure(request, response, text);
}

async function send(
  request: ProviderLookup,
  init: RequestInit,
): Promise<{ response: Response; text: string }> {
  const timeout = AbortSignal.timeout(request.timeoutMs ?? 10_000);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  try {
    const response = await (request.fetch ?? providersFetch)(new URL(request.path, request.baseUrl), {
      ...init,
      signal,
    });
    return { response, text: await response.text() };
  } catch (err) {
    // The caller's own abort is not the provider's fault: let it through as is.
    if (request.signal?.aborted) throw request.signal.reason;
    throw new ProviderUnavailableError(request.provider, request.operation, 'no answer', { cause: err });
  }
}

function failure(request: ProviderLookup, response: Response, text: string): Error {
  const message = errorMessage(text) ?? `HTTP ${response.status}`;
  if (response.status === 429 || response.status >= 500) {
    return new ProviderUnavailableError(request.provider, request.operation, message);
  }
  // 409: the provider holds an earlier request under this idempotency key (a
  // different body); it may have acted on it, so the step's effect is unknown.
  return new ProviderRejectedError(request.provider, request.operation, message, {
    mayHaveActed: response.status === 409,
  });
}

function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return body.error ? `${body.error.code ?? 'error'}: ${body.error.message ?? ''}` : undefined;
  } catch {
    return undefined;
  }
}
