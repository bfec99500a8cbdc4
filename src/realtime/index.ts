/**
 * Realtime delta stream: channels, filters, deltas, the hub, snapshot and
 * pub/sub ports, and the SSE / WebSocket transports.
 */
export { defineChannels, keyIdOf, keyOf } from './channels.js';
export type { ChannelDefinition } from './channels.js';
export { ChannelLog } from './channel-log.js';
export type { ReplayLimits } from './channel-log.js';
export { COLUMN_TYPES, columnValueProblem } from './column-types.js';
export type { ColumnType } from './column-types.js';
export { ConnectionLimiter } from './connection-limiter.js';
export type { ConnectionLimiterPort, ReleaseSlot } from './connection-limiter.js';
export { applyDelta, diffRows, fromTuple, mergeDeltas, sameValue, toTuple } from '../core/delta.js';
export type { Delta, DeltaTuple } from '../core/delta.js';
export { decodeEnvelope, encodeEnvelope, ENVELOPE_TYPES } from '../core/envelope.js';
export type { Envelope, EnvelopeType } from '../core/envelope.js';
export {
  httpStatusOf,
  InvalidFilterError,
  InvalidSelectError,
  isPubSubMessageError,
  OriginNotAllowedError,
  PubSubMessageError,
  RealtimeUnavailableError,
  SnapshotError,
  TooManyConnectionsError,
  TooManySubscriptionsError,
  UnauthorizedError,
  UnknownChannelError,
} from './errors.js';
export { FILTER_OPERATORS, matchesFilter, parseFilter } from './filter.js';
export type { FilterCondition, FilterOperator, ParsedFilter } from './filter.js';
export { filterToSql } from './filter-sql.js';
export type { SqlWhere } from './filter-sql.js';
export { foldChanges } from './fold.js';
export type { ChangeBatch, FoldedChange } from './fold.js';
export { ALL_EVENTS, createRealtimeHub, REALTIME_SUBSCRIBE_ACTION } from './hub.js';
export type {
  HubSubscribeOptions,
  InvalidateOptions,
  RealtimeEventMap,
  RealtimeHub,
  RealtimeHubOptions,
  RealtimeStats,
  RealtimeSubscription,
  ResetReason,
  ResyncReason,
} from './hub.js';
export { MemoryReadModel } from './memory-read-model.js';
export {
  decodeMultiplexCursor,
  encodeMultiplexCursor,
  isMultiplexUrl,
  parseMultiplexUrl,
  SUBSCRIPTION_ID,
} from './multiplex-params.js';
export type { MultiplexedRequest } from './multiplex-params.js';
export {
  DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
  errorEnvelope,
  MultiplexSession,
  wireError,
} from './multiplex-session.js';
export type { MultiplexOutput } from './multiplex-session.js';
export { formatMultiplexFrame, serveMultiplexSse } from './multiplex-sse.js';
export type { MultiplexSseOptions } from './multiplex-sse.js';
export { handleMultiplexWebSocket, parseClientMessage } from './multiplex-websocket.js';
export type { MultiplexClientMessage } from './multiplex-websocket.js';
export { coalesceChanges, mergeDeltaBatches, throttleBatches } from './operators.js';
export type { DeltaBatch } from './operators.js';
export { checkOrigin, compileOrigins, parseAllowedOrigins } from './origin.js';
export type { OriginPolicy } from './origin.js';
export { refusePartitionedChannels } from './partitioned-channels.js';
export { createMemoryPubSub } from './pubsub.js';
export type { PubSub, PubSubUnsubscribe } from './pubsub.js';
export { createPgPubSub, migrateRealtime } from './pg-pubsub.js';
export type { PgPubSubOptions } from './pg-pubsub.js';
export { createRedisPubSub } from './redis-pubsub.js';
export type { RedisPublisherLike, RedisPubSubOptions, RedisSubscriberLike } from './redis-pubsub.js';
export { parseSubscriptionRequest, SUBSCRIPTION_PARAMS, subscriptionFromParams } from './request-params.js';
export { parseSelect, selectFields, snapshotColumns } from './select.js';
export { createSqlSnapshot } from './sql-snapshot.js';
export type { CheckpointReader, SqlSnapshotOptions } from './sql-snapshot.js';
export { authorizeRequest, createSseHandler, formatSseFrame, sendHttpError } from './sse.js';
export type { Authorize, SseHandlerOptions } from './sse.js';
export { SubscriberIndex } from './subscriber-index.js';
export type { IndexTerm } from './subscriber-index.js';
export { subscriptionScope } from './subscription-scope.js';
export type { SubscriptionScope } from './subscription-scope.js';
export type {
  Authorization,
  MessageSink,
  Snapshot,
  SnapshotPort,
  SubscriberBufferLimits,
  SubscriptionRequest,
} from './types.js';
export {
  canonicalValue,
  canonicalValueAs,
  columnComparedAs,
  compareValues,
  compareValuesAs,
  type ComparedAs,
} from './values.js';
export {
  attachWebSocketServer,
  closeCodeOf,
  handleWebSocket,
  WEBSOCKET_SERVER_OPTIONS,
} from './websocket.js';
export type { WebSocketHandlerOptions, WebSocketLike, WebSocketServerLike } from './websocket.js';
