/**
 * The cross-process fan-out port: every host process publishes the batches
 * its projections produced and receives everyone's. Implementations:
 * in-memory (one process), PostgreSQL LISTEN/NOTIFY, Redis.
 */

/** Stops a pub/sub subscription. */
export type PubSubUnsubscribe = () => Promise<void>;

/**
 * Publish/subscribe of text messages on named topics. Delivery is
 * at-most-once; the hub tolerates duplicates and detects gaps by cursor.
 * An adapter whose connection can break calls `onResume` each time the
 * subscription is active again, since messages sent meanwhile are lost.
 *
 * @example
 * ```ts
 * const off = await pubsub.subscribe('realtime', (msg) => console.log(msg));
 * await pubsub.publish('realtime', 'hello');
 * ```
 */
export interface PubSub {
  publish(topic: string, message: string): Promise<void>;
  /**
   * Resolves once the subscription is active. `onResume` runs each time it is
   * active again after its connection broke (what was published meanwhile may be lost).
   */
  subscribe(
    topic: string,
    onMessage: (message: string) => void,
    onResume?: () => void,
  ): Promise<PubSubUnsubscribe>;
  /** Release what the adapter opened. */
  close?(): Promise<void>;
}

/**
 * An in-process {@link PubSub} (tests, single process).
 *
 * @example
 * ```ts
 * const hub = createRealtimeHub({ channels, changes, snapshot, pubsub: createMemoryPubSub() });
 * ```
 */
export function createMemoryPubSub(): PubSub {
  const topics = new Map<string, Set<(message: string) => void>>();
  return {
    async publish(topic, message) {
      // Asynchronous like a real broker, so publishers never re-enter subscribers.
      await Promise.resolve();
      for (const fn of topics.get(topic) ?? []) fn(message);
    },
    async subscribe(topic, onMessage) {
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      const handler = (m: string) => onMessage(m);
      set.add(handler);
      return async () => {
        set.delete(handler);
      };
    },
  };
}
