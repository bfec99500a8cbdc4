import { describe, expect, it } from 'vitest';
import {
  COMMERCE_EVENT_SCHEMAS,
  COMMERCE_EVENT_TYPES,
  commerceEvent,
  isCommerceEventType,
  registerCommerceEvents,
} from '../../src/commerce/events/catalog.js';
import { isValidationError } from '../../src/core/errors.js';
import { memoryStore } from './support.js';

const SPEC_TYPES = [
  'inventory.stock_updated',
  'inventory.reserved',
  'inventory.released',
  'inventory.low_stock_detected',
  'inventory.reorder_triggered',
  'inventory.sync_conflict_detected',
  'order.received_from_tiktok',
  'order.validated',
  'order.inventory_allocated',
  'order.payment_processed',
  'order.shipped',
  'order.delivered',
  'order.cancelled',
  'order.refunded',
  'system.health_check_completed',
  'system.performance_threshold_exceeded',
  'system.api_rate_limit_approached',
  'system.sync_failure_detected',
  'system.recovery_completed',
  'tiktok.webhook_received',
  'tiktok.order_status_changed',
  'tiktok.product_updated',
  'tiktok.rate_limit_hit',
  'tiktok.api_error',
  // Not the specification's: the analytics updater's run, folded by the analytics read models.
  'analytics.run_completed',
  // Not the specification's events but its capacity planning: the scheduled capacity check.
  'system.capacity_checked',
  'system.capacity_threshold_predicted',
  'system.host_resources_reported',
];

const at = '2026-01-15T12:00:00.000Z';
/** One valid payload per type. */
const SAMPLES: Record<string, unknown> = {
  'analytics.run_completed': {
    creatorId: 'c1',
    asOf: at,
    leadTimeDays: 7,
    serviceLevel: 0.95,
    historyDays: 730,
    mentions: [{ productId: 'p1', fromDate: '2026-01-01', daily: [0, 3, 40] }],
  },
  'inventory.stock_updated': { creatorId: 'c1', productId: 'p1', quantity: 5, reason: 'sale' },
  'inventory.reserved': { creatorId: 'c1', productId: 'p1', orderId: 'o1', quantity: 2 },
  'inventory.released': { creatorId: 'c1', productId: 'p1', orderId: 'o1', quantity: 2, reason: 'cancelled' },
  'inventory.low_stock_detected': {
    creatorId: 'c1',
    productId: 'p1',
    quantity: 3,
    threshold: 10,
    severity: 'warning',
  },
  'inventory.reorder_triggered': { creatorId: 'c1', productId: 'p1', quantity: 3, suggestedQuantity: 50 },
  'inventory.sync_conflict_detected': {
    creatorId: 'c1',
    productId: 'p1',
    localQuantity: 4,
    remoteQuantity: 6,
    remoteSource: 'tiktok',
  },
  'order.received_from_tiktok': {
    creatorId: 'c1',
    shopId: 's1',
    orderId: 'o1',
    status: 'AWAITING_SHIPMENT',
    updateTime: at,
  },
  'order.validated': { creatorId: 'c1', orderId: 'o1' },
  'order.inventory_allocated': {
    creatorId: 'c1',
    orderId: 'o1',
    allocations: [{ productId: 'p1', quantity: 1 }],
  },
  'order.payment_processed': {
    creatorId: 'c1',
    orderId: 'o1',
    paymentId: 'pay1',
    amount: 25,
    currency: 'USD',
  },
  'order.shipped': {
    creatorId: 'c1',
    orderId: 'o1',
    provider: 'shippo',
    trackingNumber: 't1',
    shippedAt: at,
  },
  'order.delivered': { creatorId: 'c1', orderId: 'o1', deliveredAt: at },
  'order.cancelled': { creatorId: 'c1', orderId: 'o1', cancelledBy: 'tiktok', cancelledAt: at },
  'order.refunded': { creatorId: 'c1', orderId: 'o1', amount: 25, currency: 'USD' },
  'system.health_check_completed': {
    component: 'tiktok_api',
    status: 'nominal',
    measurements: { webhook_latency_ms: 12 },
    checkedAt: at,
  },
  'system.performance_threshold_exceeded': {
    component: 'order_processing',
    metric: 'queue_depth',
    value: 900,
    threshold: 500,
    severity: 'critical',
  },
  'system.api_rate_limit_approached': { api: 'tiktok', remaining: 10, limit: 1000 },
  'system.sync_failure_detected': {
    component: 'inventory_sync',
    operation: 'sync_levels',
    errorCode: 'TIMEOUT',
    message: 'x',
  },
  'system.recovery_completed': { component: 'inventory_sync' },
  'system.capacity_checked': {
    checkedAt: at,
    samples: [{ resource: 'database_size', value: 2.5e9, capacity: 1e10 }],
    skipped: [{ resource: 'pool_connections', reason: 'no pool measured' }],
    plans: [
      {
        resource: 'database_size',
        scaleUp: false,
        reachesThresholdOn: null,
        daysToThreshold: null,
        threshold: 0.7,
        p50Share: 0.3,
        p90Share: 0.35,
        historyDays: 14,
      },
    ],
  },
  'system.host_resources_reported': {
    host: 'api-1',
    from: '2026-01-15T11:00:00.000Z',
    to: at,
    samples: 60,
    resources: [
      { resource: 'host_cpu', value: 0.8, peak: 1.1, p95: 0.8, capacity: 2 },
      { resource: 'host_memory', value: 4.1e8, peak: 4.1e8, p95: 3.9e8, capacity: 5.36870912e8 },
    ],
    limits: { coresFrom: 'host', memoryFrom: 'cgroup v2' },
  },
  'system.capacity_threshold_predicted': {
    resource: 'database_size',
    value: 6e9,
    capacity: 1e10,
    threshold: 0.7,
    reachesThresholdOn: '2026-12-20',
    daysToThreshold: 12,
  },
  'tiktok.webhook_received': {
    notificationId: 'n1',
    shopId: 's1',
    creatorId: 'c1',
    type: 1,
    typeName: 'ORDER_STATUS_CHANGE',
    sentAt: at,
    body: '{"type":1}',
  },
  'tiktok.order_status_changed': {
    creatorId: 'c1',
    shopId: 's1',
    orderId: 'o1',
    status: 'CANCELLED',
    rawStatus: 'CANCEL',
    isOnHold: false,
    updateTime: at,
  },
  'tiktok.product_updated': {
    creatorId: 'c1',
    shopId: 's1',
    productId: 'p1',
    status: 'ACTIVATE',
    updateTime: at,
  },
  'tiktok.rate_limit_hit': { method: 'GET', path: '/order/202309/orders', retryAfterMs: 1000, attempt: 1 },
  'tiktok.api_error': {
    method: 'GET',
    path: '/order/202309/orders',
    status: 503,
    message: 'unavailable',
    attempt: 1,
    willRetry: true,
  },
};

describe('event catalog', () => {
  it('holds exactly the event types of the specification, and the analytics run', () => {
    expect([...COMMERCE_EVENT_TYPES].sort()).toEqual([...SPEC_TYPES].sort());
    for (const type of SPEC_TYPES) expect(isCommerceEventType(type)).toBe(true);
    expect(isCommerceEventType('order.teleported')).toBe(false);
    expect(isCommerceEventType('toString')).toBe(false);
  });

  it.each(SPEC_TYPES)('%s accepts its sample and rejects an empty payload', (type) => {
    const schema = COMMERCE_EVENT_SCHEMAS[type as keyof typeof COMMERCE_EVENT_SCHEMAS];
    expect(schema.safeParse(SAMPLES[type]).success).toBe(true);
    expect(schema.safeParse({}).success).toBe(false);
    expect(schema.safeParse(null).success).toBe(false);
  });

  it('registered on a store, validates appends and rejects bad payloads without writing', async () => {
    const store = await memoryStore();
    await store.append('order-o1', [commerceEvent('order.validated', { creatorId: 'c1', orderId: 'o1' })]);
    const bad = store.append('order-o1', [{ type: 'order.shipped', data: { orderId: 'o1' } }]);
    await expect(bad).rejects.toSatisfy(isValidationError);
    const { events } = await store.readStream('order-o1');
    expect(events.map((e) => e.type)).toEqual(['order.validated']);
    await store.close();
  });

  it('registerCommerceEvents registers every type', () => {
    const seen: string[] = [];
    registerCommerceEvents({ registerEventType: (type) => void seen.push(type) });
    expect(seen.sort()).toEqual([...SPEC_TYPES].sort());
  });

  it('rejects an analytics run with a service level of 1 or a mentions day that is not a date', () => {
    const run = SAMPLES['analytics.run_completed'] as object;
    const schema = COMMERCE_EVENT_SCHEMAS['analytics.run_completed'];
    expect(schema.safeParse({ ...run, serviceLevel: 1 }).success).toBe(false);
    expect(
      schema.safeParse({ ...run, mentions: [{ productId: 'p1', fromDate: 'monday', daily: [] }] }).success,
    ).toBe(false);
  });

  it('rejects negative quantities and malformed instants', () => {
    expect(
      COMMERCE_EVENT_SCHEMAS['inventory.reserved'].safeParse({
        ...(SAMPLES['inventory.reserved'] as object),
        quantity: 0,
      }).success,
    ).toBe(false);
    expect(
      COMMERCE_EVENT_SCHEMAS['order.delivered'].safeParse({
        creatorId: 'c',
        orderId: 'o',
        deliveredAt: 'yesterday',
      }).success,
    ).toBe(false);
  });
});
