/**
 * The one message envelope of the realtime transports (SSE and WebSocket).
 * Browser-safe: the client imports it too.
 */
import { InvalidArgumentError } from './errors.js';
import type { Row } from './row-change.js';
import type { LogCheckpoint } from './checkpoint.js';
import type { DeltaTuple } from './delta.js';

/** Envelope types. */
export const ENVELOPE_TYPES = ['ready', 'data', 'reset', 'heartbeat', 'error'] as const;
/** One of {@link ENVELOPE_TYPES}. */
export type EnvelopeType = (typeof ENVELOPE_TYPES)[number];

/**
 * One message to a subscriber.
 *
 * - `reset`: replace the client's table with `rows` (initial load, cursor too old, slow consumer).
 * - `data`: apply `deltas` in order.
 * - `ready`: the subscription is live at `cursor`; nothing before it is missing.
 * - `heartbeat`: keep-alive; `cursor` is a safe resume position.
 * - `error`: the server is closing the stream; `error.code` is a stable code.
 *
 * @example
 * ```json
 * {"type":"data","channel":"order_metrics","cursor":"812:40","serverTime":1764100000000,
 *  "deltas":[["UPDATE",{"creator_id":"c1"},{"active_orders":4}]]}
 * ```
 */
export interface Envelope {
  type: EnvelopeType;
  channel: string;
  /** Position of the last event folded into this message (the resume cursor). */
  cursor: LogCheckpoint | null;
  /** Server clock, ms since the epoch. */
  serverTime: number;
  /** `data`: the deltas `[op, key, changed fields]`. */
  deltas?: DeltaTuple[];
  /** `reset`: every matching row. */
  rows?: Row[];
  /** `reset`: the channel's key columns, so a client can key the rows. */
  keyColumns?: string[];
  /**
   * `error`: what went wrong, as an HTTP refusal would say it (`status` is the
   * problem's, from the error registry); `retryAfterMs` when the client should wait.
   */
  error?: { code: string; message: string; status?: number; retryAfterMs?: number };
  /**
   * Multiplexed connections: the client-chosen id of the subscription this
   * envelope belongs to. An `error` without it ends the whole connection.
   */
  sub?: string;
}

/**
 * Serialise an envelope for the wire.
 *
 * @example
 * ```ts
 * socket.send(encodeEnvelope(envelope));
 * ```
 */
export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/**
 * Parse an envelope from the wire; throws `InvalidArgumentError` on anything else.
 *
 * @example
 * ```ts
 * const envelope = decodeEnvelope(event.data);
 * ```
 */
export function decodeEnvelope(text: string): Envelope {
  const value: unknown = JSON.parse(text);
  if (
    typeof value !== 'object' ||
    value === null ||
    !(ENVELOPE_TYPES as readonly unknown[]).includes((value as { type?: unknown }).type) ||
    typeof (value as { channel?: unknown }).channel !== 'string'
  ) {
    throw new InvalidArgumentError('Not a realtime envelope');
  }
  return value as Envelope;
}
