export {
  READ_MODEL_MODES,
  ReadModelSet,
  rowChangeOf,
  rowEventType,
  type ReadModelMode,
  type ReadModelSetEventMap,
  type ReadModelSetOptions,
} from './read-model-set.js';
export type { GuardedBatch, ReadModelGuard } from './read-model-guard.js';
export {
  eventTime,
  SYSTEM_CREATOR_ID,
  toIso,
  toMeasurements,
  toMs,
  toNumber,
  toNumberArray,
  toNumberOrNull,
} from './row-values.js';
export {
  ACTIVE_ORDER_STATUSES,
  commerceOrdersProjection,
  FULFILLMENT_SAGA_SOURCE,
  isActiveOrderStatus,
  ORDER_STATUSES,
  type CommerceOrderRow,
  type OrderStatus,
} from './commerce-orders.js';
export { orderMetricsProjection, type OrderMetricsRow } from './order-metrics.js';
export { dailyRevenueProjection, type DailyRevenueRow } from './daily-revenue-metrics.js';
export {
  resolveInventoryOptions,
  type InventoryOptions,
  type ResolvedInventoryOptions,
} from './inventory-options.js';
export { deriveInventory, type DerivedInventory, type InventoryFacts } from './inventory-derive.js';
export { buildInventoryRow, inventoryLevelsProjection, type InventoryLevelRow } from './inventory-levels.js';
export {
  ALERT_STATUSES,
  INVENTORY_ALERT_TYPES,
  inventoryAlertsProjection,
  type AlertStatus,
  type InventoryAlertRow,
  type InventoryAlertType,
} from './inventory-alerts.js';
export { systemHealthProjection, type SystemHealthRow } from './system-health-metrics.js';
export {
  SYNC_OPERATION_METADATA,
  SYNC_OPERATION_STATUSES,
  syncOperationsProjection,
  type SyncOperationRow,
  type SyncOperationStatus,
} from './sync-operations.js';
export {
  COMMERCE_REALTIME_CHANNELS,
  COMMERCE_TABLES,
  commerceReadModelDefinitions,
  type CommerceTable,
} from './definitions.js';
export {
  COMMERCE_TENANT_COLUMN,
  scopedRows,
  type CommerceReadOptions,
  type RowFilterValue,
} from './scoped-rows.js';
export { inventorySyncRunOf, SYNC_INVENTORY_OPERATION } from './inventory-sync-run.js';
