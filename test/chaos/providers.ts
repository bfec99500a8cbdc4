/**
 * The payment and shipping providers of a chaos run: the simulator's fake
 * providers service (the same HTTP API the example hosts' provider clients
 * call with `PROVIDERS_URL`), shared by every host so a step retried on
 * another host reaches the same provider. Idempotent per key like a real
 * provider; 2 % of calls answer 503 without acting and 1 % act and then
 * lose their answer, so retries and uncertain steps happen. Its ledger is
 * mapped to the checker's shape.
 */
import type { Server } from 'node:http';
import type { LedgerEntry as ServiceEntry } from '../../examples/simulator/fake-providers/ledger.js';
import { serveFakeProviders } from '../../examples/simulator/fake-providers/provider-service.js';

/** One side effect as the checker reads it. */
export interface LedgerEntry {
  provider: string;
  /** `charge`, `refund`, `create_label`, `cancel_label`. */
  operation: string;
  key: string;
  orderId: string;
  /** Requests carrying this key. */
  requested: number;
  /** Times the provider performed the effect (an idempotent provider: at most 1). */
  acted: number;
}

/** A running providers service. */
export interface ProvidersService {
  readonly url: string;
  ledger(): LedgerEntry[];
  close(): Promise<void>;
}

const OPERATIONS: Record<string, string> = {
  charge: 'charge',
  refund: 'refund',
  createLabel: 'create_label',
  cancelLabel: 'cancel_label',
};

/**
 * The service's ledger in the checker's shape.
 *
 * @example
 * ```ts
 * toLedgerEntries(providers.ledger.entries())
 * ```
 */
export function toLedgerEntries(entries: readonly ServiceEntry[]): LedgerEntry[] {
  return entries.map((e) => ({
    provider: e.provider,
    operation: OPERATIONS[e.operation] ?? e.operation,
    key: e.idempotencyKey,
    orderId: String(e.subject.orderId ?? ''),
    requested: e.requested,
    acted: e.acted,
  }));
}

/**
 * Start the providers on a free port.
 *
 * @example
 * ```ts
 * const providers = await startChaosProviders(seededRandom(seed));
 * // hosts: PROVIDERS_URL=providers.url
 * ```
 */
export async function startChaosProviders(random: () => number): Promise<ProvidersService> {
  const { server, url, providers } = await serveFakeProviders({
    payment: { failureRate: 0.02, random },
    shipping: { failureRate: 0.02, random },
    lostResponseRate: 0.01,
    random,
  });
  return {
    url,
    ledger: () => toLedgerEntries(providers.ledger.entries()),
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
