/**
 * What hubs on different hosts tell each other over their pub/sub topic:
 * folded batches (each naming the producer's previous batch, so a receiver
 * can tell one was lost) and invalidations (a channel's rows changed without
 * row changes, e.g. a rebuild on one host: every host's subscribers reload).
 */
import { z } from 'zod';
import { isCheckpoint } from '../core/checkpoint.js';
import type { ChangeBatch } from './fold.js';
import { withRetry } from '../runtime/with-retry.js';
import { PubSubMessageError, RealtimeUnavailableError } from './errors.js';
import type { PubSub } from './pubsub.js';

/** A batch as published: the producer's previous batch cursor on the channel (null: its first). */
export type WireBatch = ChangeBatch & { previous: string | null };

/** One message on the topic. */
export type WireMessage =
  { kind: 'batch'; batch: WireBatch } | { kind: 'invalidate'; channel: string; from: string };

/**
 * Encode a message (a batch keeps its historical shape: the batch itself plus `previous`).
 *
 * @example
 * ```ts
 * encodeWire({ kind: 'invalidate', channel: 'order_metrics', from: hubId })
 * ```
 */
export function encodeWire(message: WireMessage): string {
  return message.kind === 'batch'
    ? JSON.stringify(message.batch)
    : JSON.stringify({ invalidate: message.channel, from: message.from });
}

/**
 * A row: any JSON object (JSON keys are strings, any value is a column's). A
 * check, not `z.record`, which copies every row key by key: on a busy host
 * that copying was most of the cost of receiving a batch.
 */
const row = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'expected an object (a row)',
);
const checkpoint = z.string().refine((c) => isCheckpoint(c), 'expected a log checkpoint "<txid>:<position>"');
const foldedChange = z.object({
  key: row,
  keyId: z.string(),
  oldRow: row.nullable(),
  newRow: row.nullable(),
  lastSeen: row.nullable(),
  firstCheckpoint: checkpoint,
  lastCheckpoint: checkpoint,
});

/**
 * The zod schemas of the messages on the hubs' topic: a batch, or (an object
 * with `invalidate`) an invalidation notice.
 *
 * @example
 * ```ts
 * wireMessageSchemas.batch.safeParse(JSON.parse(text)).success
 * ```
 */
export const wireMessageSchemas = {
  invalidate: z.object({ invalidate: z.string().min(1), from: z.string() }),
  batch: z.object({
    channel: z.string().min(1),
    cursor: checkpoint,
    changes: z.array(foldedChange),
    previous: checkpoint.nullable().optional(),
  }),
};

/**
 * Decode a message; throws {@link PubSubMessageError} on text that is not
 * JSON or not a message, so one bad publisher cannot feed a hub a batch that
 * would corrupt its replay buffer or its subscribers' rows.
 *
 * @example
 * ```ts
 * const message = decodeWire(text, topic); if (message.kind === 'batch') hub.ingest(message.batch);
 * ```
 */
export function decodeWire(text: string, topic = 'pubsub'): WireMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PubSubMessageError(topic, [{ path: '', message: 'not JSON' }], { cause: err });
  }
  return decodeWireValue(value, topic);
}

/** Check one parsed message (what {@link decodeWire} does after `JSON.parse`). */
function decodeWireValue(value: unknown, topic: string): WireMessage {
  const isNotice = typeof value === 'object' && value !== null && 'invalidate' in value;
  const parsed = (isNotice ? wireMessageSchemas.invalidate : wireMessageSchemas.batch).safeParse(value);
  if (!parsed.success) {
    throw new PubSubMessageError(
      topic,
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      { cause: parsed.error },
    );
  }
  const message = parsed.data;
  if ('invalidate' in message) return { kind: 'invalidate', channel: message.invalidate, from: message.from };
  return { kind: 'batch', batch: { ...message, previous: message.previous ?? null } };
}

/**
 * Several encoded messages as one (a JSON array of them, in order): what an
 * {@link OrderedPublisher} sends when messages queued behind a publish in flight.
 *
 * @example
 * ```ts
 * decodeWireMessages(encodeWireBundle([a, b])).length === 2
 * ```
 */
export function encodeWireBundle(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(',')}]`;
}

/**
 * Decode one message or a bundle of them ({@link encodeWireBundle}), in order;
 * throws {@link PubSubMessageError} when any part is malformed (nothing of it is applied).
 *
 * @example
 * ```ts
 * for (const message of decodeWireMessages(text, topic)) apply(message);
 * ```
 */
export function decodeWireMessages(text: string, topic = 'pubsub'): WireMessage[] {
  if (!text.startsWith('[')) return [decodeWire(text, topic)];
  let parts: unknown;
  try {
    parts = JSON.parse(text);
  } catch (err) {
    throw new PubSubMessageError(topic, [{ path: '', message: 'not JSON' }], { cause: err });
  }
  if (!Array.isArray(parts)) throw new PubSubMessageError(topic, [{ path: '', message: 'not a bundle' }]);
  // Parsed once: under load most messages are bundles (batches queue behind a publish in flight).
  return parts.map((part) => decodeWireValue(part, topic));
}

/** Bounds of an {@link OrderedPublisher}. */
export interface OrderedPublisherOptions {
  /** Messages held while the pub/sub is unreachable; past it the oldest is dropped. Default 10,000. */
  maxPending?: number;
  /** Longest wait between two attempts of one message, in ms. Default 2,000. */
  maxRetryDelayMs?: number;
  /**
   * Join the messages that queued up behind a publish in flight into one
   * message (in order), so a backlog costs one round trip instead of one per
   * message. Default: none, one message per publish.
   */
  combine?: (messages: readonly string[]) => string;
  /** Most messages joined into one. Default 100. */
  maxCombined?: number;
}

/**
 * Publishes one message after another, so they are committed (and arrive) in
 * the order produced. A failed publish is reported once and retried with
 * backoff until it goes through: a batch dropped during a Redis or PostgreSQL
 * outage would leave every other host's subscribers without it until the
 * channel's next batch (which could be never), so it waits instead. When more
 * than `maxPending` wait, the oldest is dropped; receivers see the broken
 * `previous` chain at the next batch and reload.
 *
 * @example
 * ```ts
 * const out = new OrderedPublisher(pubsub, 'creatorflow_realtime', (err) => events.emit('error', err));
 * out.publish(encodeWire({ kind: 'batch', batch }));
 * await out.close();
 * ```
 */
export class OrderedPublisher {
  readonly #pubsub: PubSub;
  readonly #topic: string;
  readonly #onError: (error: unknown) => void;
  readonly #maxPending: number;
  readonly #maxRetryDelayMs: number;
  readonly #combine: ((messages: readonly string[]) => string) | undefined;
  readonly #maxCombined: number;
  /** Boxed so a message dropped for overflow while in flight is told apart from an equal one. */
  #queue: { text: string }[] = [];
  #pump: Promise<void> | null = null;
  readonly #abort = new AbortController();

  constructor(
    pubsub: PubSub,
    topic: string,
    onError: (error: unknown) => void,
    options: OrderedPublisherOptions = {},
  ) {
    this.#pubsub = pubsub;
    this.#topic = topic;
    this.#onError = onError;
    this.#maxPending = options.maxPending ?? 10_000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 2000;
    this.#combine = options.combine;
    this.#maxCombined = options.combine ? Math.max(1, options.maxCombined ?? 100) : 1;
  }

  /** Messages not yet accepted by the pub/sub. */
  get pending(): number {
    return this.#queue.length;
  }

  publish(message: string): void {
    if (this.#abort.signal.aborted) return;
    this.#queue.push({ text: message });
    if (this.#queue.length > this.#maxPending) {
      this.#queue.shift();
      this.#onError(
        new RealtimeUnavailableError(`pub/sub backlog above ${this.#maxPending}: oldest message dropped`),
      );
    }
    this.#pump ??= this.#drain().finally(() => {
      this.#pump = null;
    });
  }

  /** Give queued messages up to `graceMs` to go out, then stop retrying. */
  async close(graceMs = 1000): Promise<void> {
    const pump = this.#pump;
    if (pump) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pump, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    // A publish in flight may hang on a dead broker: it is abandoned, not awaited.
    this.#abort.abort();
    this.#queue = [];
  }

  async #drain(): Promise<void> {
    const signal = this.#abort.signal;
    while (this.#queue.length > 0 && !signal.aborted) {
      // Everything queued (up to maxCombined) goes as one message, retried as one.
      const head = this.#queue.slice(0, this.#maxCombined);
      const text = head.length === 1 ? head[0]!.text : this.#combine!(head.map((m) => m.text));
      try {
        // Any failure is the broker's: the message is well-formed, so it is always retried.
        await withRetry(
          () => this.#pubsub.publish(this.#topic, text),
          {
            attempts: Number.POSITIVE_INFINITY,
            minTimeoutMs: 50,
            maxTimeoutMs: this.#maxRetryDelayMs,
            factor: 2,
            jitter: true,
          },
          {
            signal,
            // One report per outage: later messages wait behind this one.
            onFailedAttempt: ({ error, attempt }) => {
              if (attempt === 1) this.#onError(error);
            },
          },
        );
      } catch {
        return; // closed while retrying
      }
      // Those of them still queued (none was dropped for overflow meanwhile) are sent.
      const sent = new Set(head);
      while (this.#queue.length > 0 && sent.has(this.#queue[0]!)) this.#queue.shift();
    }
  }
}
