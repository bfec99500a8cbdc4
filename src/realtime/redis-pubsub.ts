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
  /** Emitted each time the connection is (re)established. */
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/**
 * Options of {@link createRedisPubSub}.
 *
 * @example
 * ```ts
 * const pubsub = createRedisPubSub({ publisher: new Redis(url), subscriber: new Redis(url) });
 * ```
 */
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
 * const hub = createRealtimeHub({ channels, changes, snapshot, pubsub });
 * ```
 */
export function createRedisPubSub(options: RedisPubSubOptions): PubSub {
  const prefix = options.prefix ?? 'creatorflow:';
  const handlers = new Map<string, Set<(message: string) => void>>();
  const resumers = new Map<string, Set<() => void>>();
  const listener = (channel: string, message: string): void => {
    for (const fn of handlers.get(channel) ?? []) fn(message);
  };
  // ioredis resubscribes by itself after a reconnect; subscribing again (a no-op
  // for Redis) tells when that is done, so nothing published later is missed.
  const reconnected = (): void => {
    for (const [channel, fns] of resumers) {
      options.subscriber.subscribe(channel).then(
        () => {
          if (resumers.get(channel) === fns) for (const fn of fns) fn();
        },
        () => undefined, // broke again: the next 'ready' retries
      );
    }
  };
  options.subscriber.on('message', listener);
  options.subscriber.on('ready', reconnected);
  return {
    async publish(topic, message) {
      await options.publisher.publish(prefix + topic, message);
    },
    async subscribe(topic, onMessage, onResume) {
      const channel = prefix + topic;
      let set = handlers.get(channel);
      if (!set) {
        const fresh = new Set<(message: string) => void>();
        handlers.set(channel, (set = fresh));
        try {
          await options.subscriber.subscribe(channel);
        } catch (err) {
          // Not subscribed: a retry must send SUBSCRIBE again, not find the channel taken.
          if (handlers.get(channel) === fresh && fresh.size === 0) handlers.delete(channel);
          throw err;
        }
      }
      const handler = (m: string) => onMessage(m);
      set.add(handler);
      // Registered once subscribed: a later 'ready' is a reconnect.
      const resume = onResume ? () => onResume() : null;
      if (resume) {
        let fns = resumers.get(channel);
        if (!fns) resumers.set(channel, (fns = new Set()));
        fns.add(resume);
      }
      return async () => {
        set.delete(handler);
        if (resume) {
          const fns = resumers.get(channel);
          fns?.delete(resume);
          if (fns?.size === 0) resumers.delete(channel);
        }
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          await options.subscriber.unsubscribe(channel);
        }
      };
    },
    async close() {
      options.subscriber.off('message', listener);
      options.subscriber.off('ready', reconnected);
      resumers.clear();
      const channels = [...handlers.keys()];
      handlers.clear();
      if (channels.length > 0) await options.subscriber.unsubscribe(...channels);
    },
  };
}
