/**
 * What the fulfillment saga reads of the order's stream: the first look reads
 * it whole, each later cancellation guard only what was appended since (the
 * saga's own appends are not read back), and allocation does not read it at
 * all when the stock is there. A cancellation committed just before the
 * guard that precedes the charge is still seen: nobody is charged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  createCommerce,
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  InventoryService,
  orderFulfillmentSaga,
  orderStream,
  type Commerce,
} from '../../src/commerce/index.js';
import { createSagaRunner, type SagaRunner } from '../../src/sagas/index.js';
import { createEventStore, type EventStore, type ReadStreamOptions } from '../../src/store/index.js';
import { FAST_RETRY } from './support.js';

const C = 'creator-1';

interface StreamRead {
  streamId: string;
  fromVersion: number;
  versions: number[];
}

describe('the fulfillment saga reading its order stream', () => {
  let store: EventStore;
  let commerce: Commerce;
  let runner: SagaRunner;
  let payments: FakePaymentGateway;
  let reads: StreamRead[];
  /** Runs once, just before the first read that starts past version 1 (a later guard). */
  let beforeTailRead: (() => Promise<void>) | undefined;
  /** Runs once, just before the saga's first append (validate_order's). */
  let beforeFirstAppend: (() => Promise<void>) | undefined;
  let saga: ReturnType<typeof orderFulfillmentSaga>;

  beforeEach(async () => {
    store = createEventStore({ occurredAtWindow: null });
    commerce = createCommerce({ store, pollIntervalMs: 20 });
    await commerce.start();
    reads = [];
    beforeTailRead = undefined;
    beforeFirstAppend = undefined;
    // The real store, its reads recorded.
    const counted = new Proxy(store, {
      get(target, prop) {
        if (prop === 'readStream') {
          return async (streamId: string, options?: ReadStreamOptions) => {
            const fromVersion = options?.fromVersion ?? 1;
            const hook = fromVersion > 1 ? beforeTailRead : undefined;
            beforeTailRead = hook ? undefined : beforeTailRead;
            await hook?.();
            const result = await target.readStream(streamId, options);
            reads.push({ streamId, fromVersion, versions: result.events.map((e) => e.version) });
            return result;
          };
        }
        if (prop === 'append') {
          return async (...args: Parameters<EventStore['append']>) => {
            const hook = beforeFirstAppend;
            beforeFirstAppend = undefined;
            await hook?.();
            return target.append(...args);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    payments = new FakePaymentGateway();
    saga = orderFulfillmentSaga({
      store: counted,
      inventory: new InventoryService({ store: counted, readModels: commerce.readModels }),
      payments,
      shipping: new FakeShippingProvider({ name: 'shippo', carrier: 'USPS' }),
      tiktok: new FakeTikTokShopClient(),
    });
    runner = createSagaRunner({ pollIntervalMs: 20, retry: FAST_RETRY, compensationRetry: FAST_RETRY });
    runner.register(saga);
    runner.startWorker();
    await store.append(`inventory-${C}-p1`, [
      commerceEvent('inventory.stock_updated', {
        creatorId: C,
        productId: 'p1',
        quantity: 50,
        reason: 'restock',
        threshold: 0,
      }),
    ]);
    await commerce.whenIdle();
  });

  afterEach(async () => {
    await runner.close({ drainMs: 0 });
    await commerce.stop();
    await store.close();
  });

  /** Receive order `orderId` and run its saga to the end (`extra` input: what a trigger adds). */
  const fulfil = async (orderId: string, extra: { cleanThrough?: number } = {}) => {
    await store.append(orderStream(C, orderId), [
      commerceEvent('order.received_from_tiktok', {
        creatorId: C,
        shopId: 'shop-1',
        orderId,
        status: 'AWAITING_SHIPMENT',
        updateTime: '2026-03-01T10:00:00.000Z',
        currency: 'USD',
      }),
    ]);
    const { sagaId } = await runner.start(saga, {
      creatorId: C,
      shopId: 'shop-1',
      orderId,
      lineItems: [{ productId: 'p1', quantity: 2 }],
      totalAmount: 30,
      currency: 'USD',
      ...extra,
    });
    return runner.waitFor(sagaId, { timeoutMs: 20_000 });
  };

  it('reads each event of the order once, in three looks', async () => {
    expect((await fulfil('o1')).status).toBe('completed');
    const looks = reads.filter((r) => r.streamId === orderStream(C, 'o1'));
    // Before validating, before charging, before telling TikTok; allocation reads nothing.
    expect(looks.map((r) => r.fromVersion > 1)).toEqual([false, true, true]);
    const seen = looks.flatMap((r) => r.versions);
    expect(new Set(seen).size).toBe(seen.length);
    // The saga's own order.validated and order.payment_processed are never read back.
    const { events } = await store.readStream(orderStream(C, 'o1'));
    const own = events.filter((e) => e.type === 'order.validated' || e.type === 'order.payment_processed');
    expect(own).toHaveLength(2);
    for (const e of own) expect(seen).not.toContain(e.version);
  });

  it('sees a cancellation committed just before the guard that precedes the charge', async () => {
    beforeTailRead = async () => {
      await store.append(orderStream(C, 'o2'), [
        commerceEvent('order.cancelled', {
          creatorId: C,
          orderId: 'o2',
          cancelledBy: 'buyer',
          reason: 'changed my mind',
          cancelledAt: '2026-03-01T10:01:00.000Z',
        }),
      ]);
    };
    const state = await fulfil('o2');
    expect(state.status).toBe('compensated');
    expect(state.error?.message).toMatch(/cancelled/);
    expect(payments.netCaptured()).toBe(0);
  });

  it('validates without a read when the trigger saw the stream clean: two tail looks in all', async () => {
    const state = await fulfil('o3', { cleanThrough: 1 });
    expect(state.status).toBe('completed');
    const looks = reads.filter((r) => r.streamId === orderStream(C, 'o3'));
    // Before charging and before telling TikTok, each from after what is known clean.
    expect(looks.map((r) => r.fromVersion)).toEqual([3, looks[1]!.fromVersion]);
    expect(looks[1]!.fromVersion).toBeGreaterThan(3);
    // What validate_order found clean is in the saga's state, for a guard on any process.
    const log = await runner.history(state.sagaId);
    const validate = log.find((e) => e.name === 'validate_order' && e.phase === 'action');
    expect(validate?.output).toMatchObject({ cleanThrough: 2 });
  });

  it('still sees a cancellation appended after the trigger saw the stream', async () => {
    // The trigger saw version 1 (received); the cancellation lands at 2 before validate_order runs.
    beforeFirstAppend = async () => {
      await store.append(orderStream(C, 'o4'), [
        commerceEvent('order.cancelled', {
          creatorId: C,
          orderId: 'o4',
          cancelledBy: 'buyer',
          cancelledAt: '2026-03-01T10:01:00.000Z',
        }),
      ]);
    };
    const state = await fulfil('o4', { cleanThrough: 1 });
    expect(reads.filter((r) => r.streamId === orderStream(C, 'o4')).map((r) => r.fromVersion)).toEqual([2]);
    expect(state.error?.message).toMatch(/cancelled/);
    const { events } = await store.readStream(orderStream(C, 'o4'));
    expect(events.map((e) => e.type)).not.toContain('order.validated');
    expect(payments.netCaptured()).toBe(0);
  });
});
