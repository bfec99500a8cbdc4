/**
 * The one message envelope of the realtime transports (SSE and WebSocket).
 * Browser-safe: the client imports it too.
 */
import { InvalidArgumentError } from './errors.js';
import { ROW_OPERATIONS, type Row } from './row-change.js';
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
 * Parse an envelope from the wire; throws `InvalidArgumentError` on anything
 * else: text that is not JSON, an unknown `type`, no `channel`, a `cursor`
 * that is not a string, or (what a client applies) `deltas` that are not
 * `[op, key, fields]` tuples and `rows` / `keyColumns` of the wrong shape. A
 * client checks before it takes the message's cursor: a message it cannot
 * apply must not move its resume position past what it has.
 *
 * @example
 * ```ts
 * const envelope = decodeEnvelope(event.data);
 * ```
 */
export function decodeEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidArgumentError('Not a realtime envelope: not JSON', { cause });
  }
  const problem = envelopeProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`Not a realtime envelope: ${problem}`);
  return value as Envelope;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isDeltaTuple = (value: unknown): boolean =>
  Array.isArray(value) &&
  (ROW_OPERATIONS as readonly unknown[]).includes(value[0]) &&
  isObject(value[1]) &&
  (value[2] === undefined || value[2] === null || isObject(value[2]));

/** What makes `value` no envelope, or undefined when it is one. */
function envelopeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not an object';
  if (!(ENVELOPE_TYPES as readonly unknown[]).includes(value.type)) return 'unknown type';
  if (typeof value.channel !== 'string') return 'no channel';
  if (value.cursor !== undefined && value.cursor !== null && typeof value.cursor !== 'string')
    return 'cursor is not a string';
  if (value.deltas !== undefined && !(Array.isArray(value.deltas) && value.deltas.every(isDeltaTuple)))
    return 'deltas are not [op, key, fields] tuples';
  if (value.rows !== undefined && !(Array.isArray(value.rows) && value.rows.every(isObject)))
    return 'rows are not objects';
  if (
    value.keyColumns !== undefined &&
    !(Array.isArray(value.keyColumns) && value.keyColumns.every((c) => typeof c === 'string'))
  )
    return 'keyColumns are not strings';
  return undefined;
}
