/**
 * The CreatorFlow event catalog: every event type of the specification, and
 * the analytics updater's run, with the zod schema its payload must satisfy.
 */
import type { z } from 'zod';
import type { EventStore, NewEvent } from '../../store/types.js';
import { analyticsRunCompletedSchema } from './analytics-events.js';
import {
  inventoryReleasedSchema,
  inventoryReservedSchema,
  lowStockDetectedSchema,
  reorderTriggeredSchema,
  stockUpdatedSchema,
  syncConflictDetectedSchema,
} from './inventory-events.js';
import {
  orderCancelledSchema,
  orderDeliveredSchema,
  orderInventoryAllocatedSchema,
  orderPaymentProcessedSchema,
  orderReceivedFromTikTokSchema,
  orderRefundedSchema,
  orderShippedSchema,
  orderValidatedSchema,
} from './order-events.js';
import {
  apiRateLimitApproachedSchema,
  capacityCheckedSchema,
  capacityThresholdPredictedSchema,
  hostResourcesReportedSchema,
  healthCheckCompletedSchema,
  performanceThresholdExceededSchema,
  recoveryCompletedSchema,
  syncFailureDetectedSchema,
} from './system-events.js';
import {
  apiErrorSchema,
  orderStatusChangedSchema,
  productUpdatedSchema,
  rateLimitHitSchema,
  webhookReceivedSchema,
} from './tiktok-events.js';

/**
 * Event type → payload schema, for every event of the catalog.
 *
 * @example
 * ```ts
 * COMMERCE_EVENT_SCHEMAS['order.shipped'].parse(payload);
 * ```
 */
export const COMMERCE_EVENT_SCHEMAS = {
  'inventory.stock_updated': stockUpdatedSchema,
  'inventory.reserved': inventoryReservedSchema,
  'inventory.released': inventoryReleasedSchema,
  'inventory.low_stock_detected': lowStockDetectedSchema,
  'inventory.reorder_triggered': reorderTriggeredSchema,
  'inventory.sync_conflict_detected': syncConflictDetectedSchema,
  'order.received_from_tiktok': orderReceivedFromTikTokSchema,
  'order.validated': orderValidatedSchema,
  'order.inventory_allocated': orderInventoryAllocatedSchema,
  'order.payment_processed': orderPaymentProcessedSchema,
  'order.shipped': orderShippedSchema,
  'order.delivered': orderDeliveredSchema,
  'order.cancelled': orderCancelledSchema,
  'order.refunded': orderRefundedSchema,
  'system.health_check_completed': healthCheckCompletedSchema,
  'system.performance_threshold_exceeded': performanceThresholdExceededSchema,
  'system.api_rate_limit_approached': apiRateLimitApproachedSchema,
  'system.sync_failure_detected': syncFailureDetectedSchema,
  'system.recovery_completed': recoveryCompletedSchema,
  'tiktok.webhook_received': webhookReceivedSchema,
  'tiktok.order_status_changed': orderStatusChangedSchema,
  'tiktok.product_updated': productUpdatedSchema,
  'tiktok.rate_limit_hit': rateLimitHitSchema,
  'tiktok.api_error': apiErrorSchema,
  'analytics.run_completed': analyticsRunCompletedSchema,
  'system.capacity_checked': capacityCheckedSchema,
  'system.capacity_threshold_predicted': capacityThresholdPredictedSchema,
  'system.host_resources_reported': hostResourcesReportedSchema,
} as const;

/**
 * Every event type of the catalog, in specification order.
 *
 * @example
 * ```ts
 * COMMERCE_EVENT_TYPES.length // 28
 * ```
 */
export const COMMERCE_EVENT_TYPES = Object.keys(COMMERCE_EVENT_SCHEMAS) as CommerceEventType[];

/** One event type of the catalog, e.g. `'order.shipped'`. */
export type CommerceEventType = keyof typeof COMMERCE_EVENT_SCHEMAS;

/**
 * The payload type of an event type.
 *
 * @example
 * ```ts
 * const shipped: EventPayload<'order.shipped'> = { creatorId: 'c1', orderId: 'o1', provider: 'shippo',
 *   trackingNumber: '1Z…', shippedAt: new Date().toISOString() };
 * ```
 */
export type EventPayload<T extends CommerceEventType> = z.infer<(typeof COMMERCE_EVENT_SCHEMAS)[T]>;

/** Any event of the catalog, as a discriminated union on `type`. */
export type CommerceEvent = { [T in CommerceEventType]: NewEvent<T, EventPayload<T>> }[CommerceEventType];

/**
 * True when `type` names an event of the catalog.
 *
 * @example
 * ```ts
 * isCommerceEventType('order.shipped') // true
 * ```
 */
export function isCommerceEventType(type: string): type is CommerceEventType {
  return Object.prototype.hasOwnProperty.call(COMMERCE_EVENT_SCHEMAS, type);
}

/**
 * Build a typed event of the catalog (the payload is checked by the compiler;
 * the store validates it again on append).
 *
 * @example
 * ```ts
 * await store.append('order-o1', [commerceEvent('order.validated', { creatorId: 'c1', orderId: 'o1' })]);
 * ```
 */
export function commerceEvent<T extends CommerceEventType>(
  type: T,
  data: EventPayload<T>,
  extra: Omit<NewEvent, 'type' | 'data'> = {},
): NewEvent<T, EventPayload<T>> {
  // Object.assign, not `{ ...extra, type, data }`: a spread into a literal with
  // more keys is several times slower on V8 11 (Node 20), and this runs per event.
  return Object.assign({}, extra, { type, data });
}

/**
 * Register every event type of the catalog with a store, so appends of these
 * types are validated against their schemas.
 *
 * @example
 * ```ts
 * const store = createEventStore({ sql });
 * registerCommerceEvents(store);
 * ```
 */
export function registerCommerceEvents(store: Pick<EventStore, 'registerEventType'>): void {
  for (const type of COMMERCE_EVENT_TYPES) store.registerEventType(type, COMMERCE_EVENT_SCHEMAS[type]);
}
