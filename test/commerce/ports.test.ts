/**
 * Ports: the adapter over the real TikTok Shop HTTP client, and the fakes'
 * idempotency and failure injection.
 */
import { describe, expect, it } from 'vitest';
import {
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  OrderInvalidError,
  ProviderRejectedError,
  ProviderUnavailableError,
  parseTikTokOrderDetail,
  tikTokShopClientFromHttp,
} from '../../src/commerce/index.js';
import type { TikTokShopHttpClient } from '../../src/commerce/index.js';

const detail = {
  orders: [
    {
      id: '5764',
      status: 'AWAITING_SHIPMENT',
      payment: { total_amount: '59.97', currency: 'USD' },
      line_items: [
        { id: 'l1', product_id: 'p1', sku_id: 's1', sale_price: '19.99' },
        { id: 'l2', product_id: 'p1', sku_id: 's1', sale_price: '19.99' },
        { id: 'l3', product_id: 'p2', sku_id: 's2', sale_price: '19.99' },
      ],
    },
  ],
};

describe('TikTok Shop port over the HTTP client', () => {
  it('sums TikTok line items (one per unit) per product', () => {
    expect(parseTikTokOrderDetail(detail, '5764')).toEqual({
      orderId: '5764',
      status: 'AWAITING_SHIPMENT',
      totalAmount: 59.97,
      currency: 'USD',
      lines: [
        { productId: 'p1', sku: 's1', quantity: 2, unitPrice: 19.99 },
        { productId: 'p2', sku: 's2', quantity: 1, unitPrice: 19.99 },
      ],
    });
  });

  it('rejects a response that is not an order detail', () => {
    expect(() => parseTikTokOrderDetail({ orders: [] }, '1')).toThrow(OrderInvalidError);
  });

  it('calls the shop client of the order and maps the carrier to a provider id', async () => {
    const calls: unknown[] = [];
    const http: TikTokShopHttpClient = {
      request: async () => undefined as never,
      getOrderDetail: async (ids) => {
        calls.push(['detail', ids]);
        return detail;
      },
      updateShippingInfo: async (orderId, info) => {
        calls.push(['ship', orderId, info]);
        return {};
      },
      shipPackage: async () => ({}),
    };
    const shops: string[] = [];
    const port = tikTokShopClientFromHttp({
      clientFor: (shop) => {
        shops.push(shop);
        return http;
      },
      shippingProviderId: (carrier) => (carrier === 'USPS' ? '6617675021119438849' : 'other'),
    });
    expect((await port.getOrder({ shopId: 'shop-9', orderId: '5764' })).lines).toHaveLength(2);
    await port.updateShipping({
      shopId: 'shop-9',
      orderId: '5764',
      trackingNumber: '9400',
      carrier: 'USPS',
      provider: 'shippo',
      idempotencyKey: 'k',
    });
    expect(shops).toEqual(['shop-9', 'shop-9']);
    expect(calls).toEqual([
      ['detail', ['5764']],
      ['ship', '5764', { trackingNumber: '9400', shippingProviderId: '6617675021119438849' }],
    ]);
  });
});

describe('fakes', () => {
  it('charge once per idempotency key, and refund', async () => {
    const payments = new FakePaymentGateway();
    const req = { creatorId: 'c', orderId: 'o', amount: 10, currency: 'USD', idempotencyKey: 'k1' };
    const a = await payments.charge(req);
    const b = await payments.charge(req);
    expect(b).toEqual(a);
    expect(payments.netCaptured()).toBe(10);
    await payments.refund({ ...req, paymentId: a.paymentId, idempotencyKey: 'r1' });
    await payments.refund({ ...req, paymentId: a.paymentId, idempotencyKey: 'r1' });
    expect(payments.netCaptured()).toBe(0);
  });

  it('fail as scripted, then at the configured rates', async () => {
    const shipping = new FakeShippingProvider();
    shipping.behaviour.failNext('createLabel', 'transient').failNext('createLabel', 'permanent');
    const req = { creatorId: 'c', orderId: 'o', lines: [], idempotencyKey: 'k' };
    await expect(shipping.createLabel(req)).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(shipping.createLabel(req)).rejects.toBeInstanceOf(ProviderRejectedError);
    expect((await shipping.createLabel(req)).trackingNumber).toMatch(/^TRK/);

    let n = 0;
    // A deterministic "random" source (two draws per call: rejection, then failure): every other call fails.
    const tiktok = new FakeTikTokShopClient({ failureRate: 0.5, random: () => (n++ % 4 === 1 ? 0.1 : 0.9) });
    tiktok.addOrder({
      orderId: 'o',
      status: 'AWAITING_SHIPMENT',
      lines: [],
      totalAmount: 0,
      currency: 'USD',
    });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await tiktok.getOrder({ shopId: 's', orderId: 'o' }).then(
          () => 'ok',
          (e: unknown) => (e instanceof ProviderUnavailableError ? 'unavailable' : 'other'),
        ),
      );
    }
    expect(outcomes).toEqual(['unavailable', 'ok', 'unavailable', 'ok']);
  });

  it('wait the configured latency and honour abort signals', async () => {
    const payments = new FakePaymentGateway({ latencyMs: 10_000 });
    const controller = new AbortController();
    const pending = payments.charge({
      creatorId: 'c',
      orderId: 'o',
      amount: 1,
      currency: 'USD',
      idempotencyKey: 'k',
      signal: controller.signal,
    });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(payments.payments.size).toBe(0);
  });
});
