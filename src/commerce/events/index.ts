export {
  amountSchema,
  currencySchema,
  HEALTH_COMPONENTS,
  HEALTH_STATUSES,
  idSchema,
  instantSchema,
  positiveQuantitySchema,
  quantitySchema,
  SEVERITIES,
  TIKTOK_ORDER_STATUSES,
  type HealthComponent,
  type HealthStatus,
  type Severity,
  type TikTokOrderStatus,
} from './common.js';
export {
  inventoryReleasedSchema,
  inventoryReservedSchema,
  lowStockDetectedSchema,
  RELEASE_REASONS,
  reorderTriggeredSchema,
  STOCK_CHANGE_REASONS,
  stockUpdatedSchema,
  syncConflictDetectedSchema,
} from './inventory-events.js';
export {
  CANCELLED_BY,
  orderCancelledSchema,
  orderDeliveredSchema,
  orderInventoryAllocatedSchema,
  orderLineItemSchema,
  orderPaymentProcessedSchema,
  orderReceivedFromTikTokSchema,
  orderRefundedSchema,
  orderShippedSchema,
  orderValidatedSchema,
} from './order-events.js';
export {
  apiRateLimitApproachedSchema,
  capacityCheckedSchema,
  capacityThresholdPredictedSchema,
  hostResourcesReportedSchema,
  healthCheckCompletedSchema,
  performanceThresholdExceededSchema,
  recoveryCompletedSchema,
  syncFailureDetectedSchema,
} from './system-events.js';
export {
  apiErrorSchema,
  orderStatusChangedSchema,
  productUpdatedSchema,
  rateLimitHitSchema,
  TIKTOK_WEBHOOK_TYPES,
  webhookReceivedSchema,
  type TikTokWebhookType,
  type TikTokWebhookTypeName,
} from './tiktok-events.js';
export { analyticsRunCompletedSchema, productMentionsSchema } from './analytics-events.js';
export {
  COMMERCE_EVENT_SCHEMAS,
  COMMERCE_EVENT_TYPES,
  commerceEvent,
  isCommerceEventType,
  registerCommerceEvents,
  type CommerceEvent,
  type CommerceEventType,
  type EventPayload,
} from './catalog.js';
