/**
 * `@creatorflow/sync/client`: the browser and Node client of the realtime
 * delta stream. No Node-only imports.
 */
export * from './backoff.js';
export * from './live-table.js';
export * from './realtime-client.js';
export * from './sse-parser.js';
export type { Envelope, EnvelopeType } from '../core/envelope.js';
export { decodeEnvelope, ENVELOPE_TYPES } from '../core/envelope.js';
export type { DeltaTuple } from '../core/delta.js';
export * from './multiplex-client.js';
export * from './cursor-keeper.js';
export * from './sse-fetch.js';
