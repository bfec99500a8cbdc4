/**
 * What hubs on different hosts tell each other over their pub/sub topic:
 * folded batches (each naming the producer's previous batch, so a receiver
 * can tell one was lost) and invalidations (a channel's rows changed without
 * row changes, e.g. a rebuild on one host: every host's subscribers reload).
 */
import type { ChangeBatch } from './fold.js';
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
 * Decode a message; throws on text that is not JSON.
 *
 * @example
 * ```ts
 * const message = decodeWire(text); if (message.kind === 'batch') hub.ingest(message.batch);
 * ```
 */
export function decodeWire(text: string): WireMessage {
  const value = JSON.parse(text) as Partial<WireBatch> & { invalidate?: unknown; from?: unknown };
  if (typeof value.invalidate === 'string') {
    return { kind: 'invalidate', channel: value.invalidate, from: String(value.from ?? '') };
  }
  return { kind: 'batch', batch: value as WireBatch };
}

/**
 * Publishes one message after another, so they are committed (and arrive) in
 * the order produced; a failed publish is reported and the chain goes on.
 *
 * @example
 * ```ts
 * const out = new OrderedPublisher(pubsub, 'creatorflow_realtime', (err) => events.emit('error', err));
 * out.publish(encodeWire({ kind: 'batch', batch }));
 * ```
 */
export class OrderedPublisher {
  readonly #pubsub: PubSub;
  readonly #topic: string;
  readonly #onError: (error: unknown) => void;
  #chain: Promise<void> = Promise.resolve();

  constructor(pubsub: PubSub, topic: string, onError: (error: unknown) => void) {
    this.#pubsub = pubsub;
    this.#topic = topic;
    this.#onError = onError;
  }

  publish(message: string): void {
    this.#chain = this.#chain
      .then(() => this.#pubsub.publish(this.#topic, message))
      .catch((err: unknown) => this.#onError(err));
  }
}
