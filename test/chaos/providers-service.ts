/**
 * Fake payment and shipping providers as one HTTP service shared by every
 * host of a chaos run, so a step retried on another host reaches the same
 * provider (in-process fakes would each see a first request). Idempotent per
 * key like a real provider; `GET /ledger` lists, per provider, operation and
 * idempotency key, how often it was requested and how often it acted.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The operations, by URL path. */
export const PROVIDER_ROUTES = {
  '/payment/charge': { provider: 'payment', operation: 'charge' },
  '/payment/refund': { provider: 'payment', operation: 'refund' },
  '/shipping/create_label': { provider: 'shipping', operation: 'create_label' },
  '/shipping/cancel_label': { provider: 'shipping', operation: 'cancel_label' },
} as const;

/** A request body: the port's request without its signal. */
export interface ProviderRequest {
  idempotencyKey: string;
  orderId: string;
  [field: string]: unknown;
}

/** One side effect of the ledger. */
export interface LedgerEntry {
  provider: string;
  operation: string;
  key: string;
  orderId: string;
  /** Requests carrying this key. */
  requested: number;
  /** Times the provider performed the effect (an idempotent provider: at most 1). */
  acted: number;
}

/** Options of {@link startProvidersService}. */
export interface ProvidersServiceOptions {
  /** Uniform [0, 1) source for latency and failures. */
  random: () => number;
  /** Latency per call, ms. Default [20, 120] (the demo's fakes). */
  latencyMs?: readonly [number, number];
  /** Share of first attempts answered 503 without acting (the saga retries). Default 0.02. */
  failureRate?: number;
}

/** A running providers service. */
export interface ProvidersService {
  readonly url: string;
  ledger(): LedgerEntry[];
  close(): Promise<void>;
}

interface Outcome {
  status: number;
  body: unknown;
}

async function readJson(req: IncomingMessage): Promise<ProviderRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProviderRequest;
}

function send(res: ServerResponse, { status, body }: Outcome): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Serve the providers on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const providers = await startProvidersService({ random: seededRandom(1) });
 * // hosts: PROVIDERS_URL=providers.url
 * const entries = providers.ledger();
 * ```
 */
export async function startProvidersService(options: ProvidersServiceOptions): Promise<ProvidersService> {
  const [minMs, maxMs] = options.latencyMs ?? [20, 120];
  const failureRate = options.failureRate ?? 0.02;
  const entries = new Map<string, LedgerEntry>();
  // The first request of a key decides; concurrent repeats wait for its outcome.
  const outcomes = new Map<string, Promise<Outcome>>();
  const payments = new Set<string>();

  async function act(
    op: (typeof PROVIDER_ROUTES)[keyof typeof PROVIDER_ROUTES],
    req: ProviderRequest,
    entry: LedgerEntry,
  ): Promise<Outcome> {
    await new Promise((r) => setTimeout(r, minMs + options.random() * (maxMs - minMs)));
    if (options.random() < failureRate) return { status: 503, body: { error: 'temporarily unavailable' } };
    if (op.operation === 'refund' && !payments.has(String(req.paymentId))) {
      return { status: 422, body: { error: `unknown payment ${String(req.paymentId)}` } };
    }
    entry.acted++;
    switch (op.operation) {
      case 'charge': {
        const paymentId = `pay_${randomUUID()}`;
        payments.add(paymentId);
        return { status: 200, body: { paymentId, amount: req.amount, currency: req.currency } };
      }
      case 'refund':
        return { status: 200, body: { refundId: `re_${randomUUID()}` } };
      case 'create_label':
        return {
          status: 200,
          body: {
            labelId: `lbl_${randomUUID()}`,
            trackingNumber: `TRK${randomUUID().slice(0, 8)}`,
            carrier: 'UPS',
          },
        };
      default:
        return { status: 200, body: {} };
    }
  }

  async function handle(req: IncomingMessage): Promise<Outcome> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/ledger') {
      return { status: 200, body: { entries: [...entries.values()] } };
    }
    const op = PROVIDER_ROUTES[url.pathname as keyof typeof PROVIDER_ROUTES];
    if (req.method !== 'POST' || !op) return { status: 404, body: { error: 'not found' } };
    const body = await readJson(req);
    const id = `${op.provider}:${op.operation}:${body.idempotencyKey}`;
    let entry = entries.get(id);
    if (!entry) {
      entry = { ...op, key: body.idempotencyKey, orderId: body.orderId, requested: 0, acted: 0 };
      entries.set(id, entry);
    }
    entry.requested++;
    let outcome = outcomes.get(id);
    if (!outcome) {
      outcome = act(op, body, entry);
      outcomes.set(id, outcome);
    }
    const result = await outcome;
    // Only a performed effect is remembered; a failure leaves the key free for the retry.
    if (result.status !== 200 && outcomes.get(id) === outcome) outcomes.delete(id);
    return result;
  }

  const server: Server = createServer((req, res) => {
    handle(req).then(
      (outcome) => send(res, outcome),
      (err: unknown) => send(res, { status: 500, body: { error: String(err) } }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ledger: () => [...entries.values()].map((e) => ({ ...e })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
