/**
 * `@creatorflow/sync/client`: the browser and Node client of the realtime
 * delta stream. No Node-only imports.
 */
export { backoffDelay, parseRetryAfter } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { LiveTable } from './live-table.js';
export { CONNECTION_STATES, connectRealtime } from './realtime-client.js';
export type {
  ClientWebSocket,
  ClientWebSocketConstructor,
  ConnectionState,
  RealtimeClient,
  RealtimeClientOptions,
} from './realtime-client.js';
export { SseParser } from './sse-parser.js';
export type { SseEvent } from './sse-parser.js';
export type { Envelope, EnvelopeType } from '../core/envelope.js';
export { decodeEnvelope, ENVELOPE_TYPES } from '../core/envelope.js';
export type { DeltaTuple } from '../core/delta.js';
export { connectMultiplexed } from './multiplex-client.js';
export type {
  ClientEventSource,
  ClientEventSourceConstructor,
  LiveSubscription,
  LiveSubscriptionOptions,
  LiveSubscriptionState,
  MultiplexClientOptions,
  MultiplexWebSocket,
  MultiplexWebSocketConstructor,
  RealtimeConnection,
} from './multiplex-client.js';
export { CursorKeeper } from './cursor-keeper.js';
export { FatalConnectionError, isFatalStatus, readEnvelopes, refusalOf } from './sse-fetch.js';
