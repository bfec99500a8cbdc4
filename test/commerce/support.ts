/**
 * Commerce test engines: the in-memory store, PGlite and real PostgreSQL,
 * each open() a fresh store (own schema) with the commerce domain wired on
 * fake third parties.
 */
import { sqlEngines } from '../support/databases.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import {
  commerceEvent,
  createCommerce,
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  type Commerce,
  type CommerceOptions,
  type CommercePorts,
} from '../../src/commerce/index.js';

/** A store with the commerce domain on fakes. */
export interface CommerceTestbed {
  store: EventStore;
  commerce: Commerce;
  payments: FakePaymentGateway;
  shipping: FakeShippingProvider;
  tiktok: FakeTikTokShopClient;
  close(): Promise<void>;
}

/** Commerce options of a testbed; `ports: null` runs without the sagas (default: the fakes). */
export type CommerceTestbedOptions = Omit<Partial<CommerceOptions>, 'ports'> & {
  ports?: CommercePorts | null;
};

/** An engine for `describe.each`. */
export interface CommerceEngine {
  name: 'memory' | 'pglite' | 'postgres';
  readonly available: boolean;
  open(options?: CommerceTestbedOptions): Promise<CommerceTestbed>;
}

/** Fast retries so failure paths do not wait. */
export const FAST_RETRY = { attempts: 3, minTimeoutMs: 1, maxTimeoutMs: 5, factor: 2, jitter: false };

async function wire(
  store: EventStore,
  options: CommerceTestbedOptions,
  closeDb: () => Promise<void>,
): Promise<CommerceTestbed> {
  const payments = new FakePaymentGateway();
  const shipping = new FakeShippingProvider({ name: 'shippo', carrier: 'USPS' });
  const tiktok = new FakeTikTokShopClient();
  const { ports = { payments, shipping, tiktok }, ...rest } = options;
  const commerce = createCommerce({
    store,
    ...(ports === null ? {} : { ports }),
    stepRetry: FAST_RETRY,
    pollIntervalMs: 20,
    ...rest,
  });
  await commerce.start();
  return {
    store,
    commerce,
    payments,
    shipping,
    tiktok,
    async close() {
      await commerce.stop();
      await store.close();
      await closeDb();
    },
  };
}

/** The flows replay dated histories (sales days, spikes), so the stores take any occurredAt. */
const HISTORY = { occurredAtWindow: null };

export const commerceEngines: readonly CommerceEngine[] = [
  {
    name: 'memory',
    available: true,
    open: (options = {}) => wire(createEventStore(HISTORY), options, async () => undefined),
  },
  ...sqlEngines.map((engine): CommerceEngine => ({
    name: engine.name,
    get available() {
      return engine.available;
    },
    async open(options = {}) {
      const db = await engine.open();
      const store = createEventStore({ sql: db.sql, schema: db.schema, ...HISTORY });
      return wire(store, options, () => db.close());
    },
  })),
];

/**
 * A paid TikTok order as the intake records it: `AWAITING_SHIPMENT`, USD,
 * shop-1, updated 2026-03-01 10:00 UTC; `order` adds its lines and total.
 *
 * @example
 * ```ts
 * await store.append(orderStream('c1', 'o1'), [receivedOrder('c1', 'o1', { totalAmount: 40 })]);
 * ```
 */
export function receivedOrder(
  creatorId: string,
  orderId: string,
  order: { lineItems?: { productId: string; quantity: number }[]; totalAmount?: number } = {},
) {
  return commerceEvent('order.received_from_tiktok', {
    creatorId,
    shopId: 'shop-1',
    orderId,
    status: 'AWAITING_SHIPMENT',
    updateTime: '2026-03-01T10:00:00.000Z',
    currency: 'USD',
    ...order,
  });
}

/**
 * Put `quantity` units of `productId` on the creator's shelf (`inventory.stock_updated`, `restock`).
 *
 * @example
 * ```ts
 * await restock(store, 'c1', 'p1', 10);
 * ```
 */
export function restock(store: EventStore, creatorId: string, productId: string, quantity: number) {
  return store.append(`inventory-${creatorId}-${productId}`, [
    commerceEvent('inventory.stock_updated', { creatorId, productId, quantity, reason: 'restock' }),
  ]);
}
