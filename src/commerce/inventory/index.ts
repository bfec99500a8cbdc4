export { inventoryStream, inventorySyncStream, orderStream } from './streams.js';
export { stockAlertEvents, type StockAlertInput } from './stock-alerts.js';
export {
  InventoryService,
  type AllocationLine,
  type InventoryServiceOptions,
  type ReleaseReason,
} from './inventory-service.js';
export type { OrderHoldings } from './order-holdings.js';
export { STOCK_GUARD_METADATA, stockGuard } from './stock-guard.js';
export {
  createInventoryHandler,
  INVENTORY_HANDLER_EVENTS,
  INVENTORY_HANDLER_SOURCE,
  type InventoryHandlerOptions,
} from './inventory-handler.js';
export {
  DERIVED_INVENTORY_COLUMNS,
  syncInventoryLevels,
  type InventorySyncResult,
  type SyncInventoryLevelsOptions,
} from './sync-inventory-levels.js';
export {
  reportTikTokStock,
  SYNC_INVENTORY_SOURCE,
  type TikTokStockFeed,
  type TikTokStockReportOptions,
  type TikTokStockReportResult,
} from './tiktok-stock-report.js';
export {
  INVENTORY_SYNC_TRIGGER_EVENTS,
  InventorySyncTrigger,
  SYNC_INVENTORY_ON_EVENTS,
  type InventoryEventSync,
  type InventorySyncOptions,
  type InventorySyncTriggerDeps,
  type InventorySyncTriggerEvents,
} from './inventory-sync-trigger.js';
export {
  INVENTORY_SYNC_MARKS_COMPONENT,
  markKey,
  mergeMark,
  type InventorySyncMark,
  type InventorySyncMarks,
  type SyncedMark,
} from './inventory-sync-marks.js';
export { MemoryInventorySyncMarks } from './memory-inventory-sync-marks.js';
export { SqlInventorySyncMarks } from './sql-inventory-sync-marks.js';
export { inventorySyncMarksOf } from './inventory-sync-marks-of.js';
