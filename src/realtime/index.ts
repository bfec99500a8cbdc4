/**
 * Realtime delta stream: channels, filters, deltas, the hub, snapshot and
 * pub/sub ports, and the SSE / WebSocket transports.
 */
export * from './channels.js';
export * from './channel-log.js';
export * from './column-types.js';
export * from './connection-limiter.js';
export * from '../core/delta.js';
export * from '../core/envelope.js';
export * from './errors.js';
export * from './filter.js';
export * from './filter-sql.js';
export * from './fold.js';
export * from './hub.js';
export * from './memory-read-model.js';
export * from './multiplex-params.js';
export * from './multiplex-session.js';
export * from './multiplex-sse.js';
export * from './multiplex-websocket.js';
export * from './operators.js';
export * from './origin.js';
export * from './partitioned-channels.js';
export * from './pubsub.js';
export * from './pg-pubsub.js';
export * from './redis-pubsub.js';
export * from './request-params.js';
export * from './select.js';
export * from './sql-snapshot.js';
export * from './sse.js';
export * from './subscriber-index.js';
export * from './subscription-scope.js';
export * from './types.js';
export * from './values.js';
export * from './websocket.js';
