/**
 * Fake payment and shipping providers as one HTTP service, so that several
 * hosts share them and a checker can ask, through `GET /ledger`, whether
 * every side effect happened once. Modelled on real providers: an
 * `Idempotency-Key` header on every POST (required), the first result
 * returned for a repeated key, 409 for a key reused with another request,
 * 503 for a transient failure, 402 / 422 for a refusal. Latency and
 * failures can be injected, including a lost response (the provider acted,
 * the caller sees 503 and must retry with the same key).
 *
 * | route | body → answer |
 * |---|---|
 * | `POST /payments/charges` | `{creatorId, orderId, amount, currency}` → `{paymentId, amount, currency}` |
 * | `POST /payments/refunds` | `{creatorId, orderId, paymentId, amount, currency}` → `{refundId}` |
 * | `POST /shipping/:provider/labels` | `{creatorId, orderId, lines}` → `{labelId, trackingNumber, carrier}` |
 * | `POST /shipping/:provider/labels/:labelId/cancel` | `{creatorId, orderId}` → `{cancelled: true}` |
 * | `GET /payments/charges/by-key/:key` | → the charge made with that key, or 404 |
 * | `GET /shipping/:provider/labels/by-key/:key` | → the label bought with that key, or 404 |
 * | `GET /ledger` | → `LedgerEntry[]` |
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FakeBehaviour, type FakeBehaviourOptions } from '@creatorflow/sync/commerce';
import { isSyncError } from '@creatorflow/sync';
import { listen, readBody, sendJson as send } from '../http-server.js';
import { IdempotencyKeyReusedError, ProviderLedger } from './ledger.js';

/** Options of {@link fakeProvidersHandler}. */
export interface FakeProvidersOptions {
  /** Payment latency and failures. Default: 20–120 ms, no failures. */
  payment?: FakeBehaviourOptions;
  /** Shipping latency and failures. Default: 30–150 ms, no failures. */
  shipping?: FakeBehaviourOptions;
  /** Probability (0–1) that a request acts and then answers 503 (a lost response). Default 0. */
  lostResponseRate?: number;
  /**
   * Probability (0–1) that a charge captures 80 % of the amount asked (a
   * partial capture): with the hosts' `reportOrderState` it differs from the
   * order's TikTok total by more than 10 % and lands in the manual queue.
   * Default 0.
   */
  partialCaptureRate?: number;
  /** Carrier on labels. Default `'UPS'`. */
  carrier?: string;
  random?: () => number;
}

/** The service: its handler and ledger. */
export interface FakeProviders {
  readonly ledger: ProviderLedger;
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Lose the answers of the next `count` POSTs (they act, the caller sees 503). */
  loseNextResponses(count: number): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Falls through to the 400 below.
  }
  throw new HttpError(400, 'invalid_body', 'the body must be a JSON object');
}

function field(body: Record<string, unknown>, name: string, type: 'string' | 'number'): string | number {
  const value = body[name];
  if (typeof value !== type) throw new HttpError(400, 'invalid_body', `${name} must be a ${type}`);
  return value as string | number;
}

/**
 * Build the service.
 *
 * @example
 * ```ts
 * const providers = fakeProvidersHandler({ lostResponseRate: 0.05 });
 * http.createServer(providers.handler).listen(3200);
 * ```
 */
export function fakeProvidersHandler(options: FakeProvidersOptions = {}): FakeProviders {
  const random = options.random ?? Math.random;
  const ledger = new ProviderLedger();
  const payment = new FakeBehaviour('payment', { latencyMs: [20, 120], random, ...options.payment });
  const shipping = new FakeBehaviour('shipping', { latencyMs: [30, 150], random, ...options.shipping });
  const payments = new Map<string, { orderId: string; amount: number; refunded: number }>();
  const labels = new Map<string, { orderId: string; cancelled: boolean }>();
  let lostScripted = 0;

  // What a real provider offers for a lost reply: the result of a key, if it acted.
  function lookup(pathname: string): [number, unknown] {
    const charge = /^\/payments\/charges\/by-key\/([^/]+)$/.exec(pathname);
    const label = /^\/shipping\/([^/]+)\/labels\/by-key\/([^/]+)$/.exec(pathname);
    const found = charge
      ? ledger.result('payment', 'charge', decodeURIComponent(charge[1]!))
      : label
        ? ledger.result(decodeURIComponent(label[1]!), 'createLabel', decodeURIComponent(label[2]!))
        : undefined;
    if (found === undefined) throw new HttpError(404, 'not_found', `nothing at ${pathname}`);
    return [200, found];
  }

  async function route(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/ledger') return [200, ledger.entries()];
    if (req.method === 'GET') return lookup(url.pathname);
    if (req.method !== 'POST')
      throw new HttpError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '' || key.length > 255) {
      throw new HttpError(
        400,
        'idempotency_key_required',
        'an Idempotency-Key header (1-255 characters) is required',
      );
    }
    const body = await readJson(req);
    const creatorId = field(body, 'creatorId', 'string');
    const orderId = field(body, 'orderId', 'string');

    if (url.pathname === '/payments/charges') {
      const amount = field(body, 'amount', 'number') as number;
      const currency = field(body, 'currency', 'string');
      const result = await ledger.once(
        'payment',
        'charge',
        key,
        { creatorId, orderId, amount, currency },
        async () => {
          await payment.call('charge');
          const paymentId = `pay_${randomUUID()}`;
          const partial = random() < (options.partialCaptureRate ?? 0);
          const captured = partial ? Math.round(amount * 80) / 100 : amount;
          payments.set(paymentId, { orderId: String(orderId), amount: captured, refunded: 0 });
          return { paymentId, amount: captured, currency };
        },
      );
      return [200, result];
    }
    if (url.pathname === '/payments/refunds') {
      const paymentId = String(field(body, 'paymentId', 'string'));
      const amount = field(body, 'amount', 'number') as number;
      const currency = field(body, 'currency', 'string');
      const subject = { creatorId, orderId, paymentId, amount, currency };
      const result = await ledger.once('payment', 'refund', key, subject, async () => {
        const charged = payments.get(paymentId);
        if (!charged) throw new HttpError(404, 'payment_not_found', `unknown payment ${paymentId}`);
        await payment.call('refund');
        charged.refunded += amount;
        return { refundId: `re_${randomUUID()}` };
      });
      return [200, result];
    }
    const labelRoute = /^\/shipping\/([^/]+)\/labels(?:\/([^/]+)\/cancel)?$/.exec(url.pathname);
    if (labelRoute) {
      const provider = decodeURIComponent(labelRoute[1]!);
      const labelId = labelRoute[2] === undefined ? undefined : decodeURIComponent(labelRoute[2]);
      if (labelId === undefined) {
        const lines = body.lines;
        if (!Array.isArray(lines)) throw new HttpError(400, 'invalid_body', 'lines must be an array');
        const result = await ledger.once(
          provider,
          'createLabel',
          key,
          { creatorId, orderId, lines },
          async () => {
            await shipping.call('createLabel');
            const id = `lbl_${randomUUID()}`;
            labels.set(id, { orderId: String(orderId), cancelled: false });
            return {
              labelId: id,
              trackingNumber: `TRK${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`,
              carrier: options.carrier ?? 'UPS',
            };
          },
        );
        return [200, result];
      }
      const result = await ledger.once(
        provider,
        'cancelLabel',
        key,
        { creatorId, orderId, labelId },
        async () => {
          await shipping.call('cancelLabel');
          const label = labels.get(labelId);
          if (label) label.cancelled = true;
          return { cancelled: true };
        },
      );
      return [200, result];
    }
    throw new HttpError(404, 'not_found', `no route POST ${url.pathname}`);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req)
      .then(([status, body]) => {
        // A lost response: the side effect happened, the caller cannot know.
        const lose =
          req.method === 'POST' && (lostScripted > 0 || random() < (options.lostResponseRate ?? 0));
        if (lose) {
          lostScripted = Math.max(0, lostScripted - 1);
          return send(res, 503, { error: { code: 'response_lost', message: 'upstream connection reset' } });
        }
        send(res, status, body);
      })
      .catch((err: unknown) => {
        if (err instanceof HttpError)
          return send(res, err.status, { error: { code: err.code, message: err.message } });
        if (err instanceof IdempotencyKeyReusedError) {
          return send(res, 409, { error: { code: 'idempotency_key_reused', message: err.message } });
        }
        if (isSyncError(err) && err.code === 'PROVIDER_REJECTED') {
          return send(res, 402, { error: { code: 'rejected', message: err.message } });
        }
        if (isSyncError(err) && err.code === 'PROVIDER_UNAVAILABLE') {
          return send(res, 503, { error: { code: 'unavailable', message: err.message } });
        }
        send(res, 500, { error: { code: 'internal', message: 'internal error' } });
      });
  };
  return {
    ledger,
    handler,
    loseNextResponses(count) {
      lostScripted += count;
    },
  };
}

/**
 * Serve the fake providers on `port` (0 = any free port) of 127.0.0.1.
 *
 * @example
 * ```ts
 * const { url, providers, server } = await serveFakeProviders({}, 3200);
 * // hosts: PROVIDERS_URL=<url>; checkers: GET <url>/ledger
 * ```
 */
export async function serveFakeProviders(
  options: FakeProvidersOptions = {},
  port = 0,
  host = '127.0.0.1',
): Promise<{ server: Server; url: string; providers: FakeProviders }> {
  const providers = fakeProvidersHandler(options);
  const server = createServer(providers.handler);
  return { server, url: await listen(server, port, host), providers };
}
