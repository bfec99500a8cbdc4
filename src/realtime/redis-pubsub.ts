/**
 * {@link PubSub} on Redis for fan-out across host processes. Takes two
 * ioredis-like connections structurally (a subscribed connection cannot
 * publish), so the core never imports ioredis.
 */
import type { PubSub } from './pubsub.js';

/** The subset of an ioredis client used to publish. */
export interface RedisPublisherLike {
  publish(channel: string, message: string): Promise<number>;
}

/** The subset of an ioredis client used in subscriber mode. */
export interface RedisSubscriberLike {
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  off(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

/** Options of {@link createRedisPubSub}. */
export interface RedisPubSubOptions {
  publisher: RedisPublisherLike;
  /** A connection of its own: it is put in subscriber mode. */
  subscriber: RedisSubscriberLike;
  /** Prefix of Redis channel names. Default `'creatorflow:'`. */
  prefix?: string;
}

/**
 * Redis pub/sub.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const pubsub = createRedisPubSub({ publisher: new Redis(url), subscriber: new Redis(url) });
 * const hub = createRealtimeHub({ changes, snapshot, pubsub });
 * ```
 */
export function createRedisPubSub(options: RedisPubSubOptions): PubSub {
  const prefix = options.prefix ?? 'creatorflow:';
  const handlers = new Map<string, Set<(message: string) => void>>();
  const listener = (channel: string, message: string): void => {
    for (const fn of handlers.get(channel) ?? []) fn(message);
  };
  options.subscriber.on('message', listener);
  return {
    async publish(topic, message) {
      await options.publisher.publish(prefix + topic, message);
    },
    async subscribe(topic, onMessage) {
      const channel = prefix + topic;
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, (set = new Set()));
        await options.subscriber.subscribe(channel);
      }
      const handler = (m: string) => onMessage(m);
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          await options.subscriber.unsubscribe(channel);
        }
      };
    },
    async close() {
      options.subscriber.off('message', listener);
      const channels = [...handlers.keys()];
      handlers.clear();
      if (channels.length > 0) await options.subscriber.unsubscribe(...channels);
    },
  };
}
