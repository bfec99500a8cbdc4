/**
 * `@creatorflow/sync/realtime`: the delta stream's specialised names beyond
 * the root entry's hub, channels, SSE and WebSocket handlers — the wire
 * envelope, filters and selects, PostgreSQL and Redis pub/sub, connection
 * limits, origin checks and the realtime errors.
 */
export {
  COLUMN_TYPES,
  ConnectionLimiter,
  ENVELOPE_TYPES,
  FILTER_OPERATORS,
  InvalidFilterError,
  InvalidSelectError,
  MemoryReadModel,
  OriginNotAllowedError,
  PubSubMessageError,
  REALTIME_SUBSCRIBE_ACTION,
  RealtimeUnavailableError,
  SnapshotError,
  TooManyConnectionsError,
  TooManySubscriptionsError,
  checkOrigin,
  createPgPubSub,
  createRedisPubSub,
  decodeEnvelope,
  isPubSubMessageError,
  parseFilter,
} from './index.js';
export type {
  CheckpointReader,
  ColumnType,
  ConnectionLimiterPort,
  DeltaTuple,
  Envelope,
  EnvelopeType,
  FilterCondition,
  FilterOperator,
  ParsedFilter,
  PgPubSubOptions,
  PubSubUnsubscribe,
  RealtimeEventMap,
  RealtimeStats,
  RedisPubSubOptions,
  RedisPublisherLike,
  RedisSubscriberLike,
  ReplayLimits,
  ResyncReason,
  SubscriberBufferLimits,
} from './index.js';
export type { ReleaseSlot } from './connection-limiter.js';
export type { ResetReason } from './hub.js';
export type { ChangeBatch, FoldedChange } from './fold.js';
export type { MessageSink } from './types.js';
export type { HubSubscribeOptions, InvalidateOptions } from './hub-types.js';
