export * from './report-events.js';
export * from './contender-staging.js';
export * from './settle-window.js';
export * from './settled-outcome.js';
export * from './sync-conflict-processor.js';
export * from './manual-queue-routes.js';
export * from './open-index.js';
export * from './report-contender.js';
