export * from './common.js';
export * from './inventory-events.js';
export * from './order-events.js';
export * from './system-events.js';
export * from './tiktok-events.js';
export * from './analytics-events.js';
export * from './catalog.js';
