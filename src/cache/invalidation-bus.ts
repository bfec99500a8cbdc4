/**
 * Explicit invalidations (`delete`, `invalidateTags`, row changes) told to
 * the other hosts over pub/sub. Delivery is best effort — that is why the
 * invalidations that matter come from the log, which every host reads itself.
 */
import type { PubSub, PubSubUnsubscribe } from '../realtime/pubsub.js';

/** A message on the invalidation topic. */
export type BusMessage = { kind: 'delete'; key: string } | { kind: 'tags'; tags: string[] };

/** Parse a message; null when it is not one. */
export function parseBusMessage(text: string): BusMessage | null {
  try {
    const m = JSON.parse(text) as Partial<{ kind: string; key: unknown; tags: unknown }>;
    if (m.kind === 'delete' && typeof m.key === 'string') return { kind: 'delete', key: m.key };
    if (m.kind === 'tags' && Array.isArray(m.tags) && m.tags.every((t) => typeof t === 'string'))
      return { kind: 'tags', tags: m.tags as string[] };
    return null;
  } catch {
    return null;
  }
}

/**
 * Publish and receive invalidations on `<prefix>invalidations`.
 *
 * @example
 * ```ts
 * const off = await subscribeBus(pubsub, 'app:cache:', (m) => apply(m));
 * await publishBus(pubsub, 'app:cache:', { kind: 'delete', key: 'k' });
 * ```
 */
export function subscribeBus(
  pubsub: PubSub,
  prefix: string,
  onMessage: (message: BusMessage) => void,
): Promise<PubSubUnsubscribe> {
  return pubsub.subscribe(`${prefix}invalidations`, (text) => {
    const message = parseBusMessage(text);
    if (message) onMessage(message);
  });
}

/** Publish one invalidation; a failure is returned, not thrown (the bus is best effort). */
export async function publishBus(pubsub: PubSub, prefix: string, message: BusMessage): Promise<unknown> {
  try {
    await pubsub.publish(`${prefix}invalidations`, JSON.stringify(message));
    return undefined;
  } catch (err) {
    return err;
  }
}
