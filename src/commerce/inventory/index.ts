export * from './streams.js';
export * from './stock-alerts.js';
export * from './inventory-service.js';
export * from './stock-guard.js';
export * from './inventory-handler.js';
export * from './sync-inventory-levels.js';
export * from './tiktok-stock-report.js';
export * from './inventory-sync-trigger.js';
