/**
 * The hosts' Redis connections (commands and pub/sub), each with an `error`
 * listener: ioredis emits `error` on every failed reconnect, and an emitter
 * without a listener prints "Unhandled error event" (and would kill a
 * process for any other emitter). The state is reported to health.
 */
import { Redis } from 'ioredis';
import { describeError, type HostLog } from './host-log.js';

/** Two connections: commands (rate limits, publish) and a subscriber. */
export interface HostRedis {
  readonly commands: Redis;
  readonly subscriber: Redis;
  /** True when both connections are ready. */
  up(): boolean;
  close(): void;
}

/**
 * Connect to Redis. Never throws on an unreachable server: ioredis keeps
 * reconnecting, commands fail fast (`maxRetriesPerRequest`), health says down.
 *
 * @example
 * ```ts
 * const redis = connectRedis('redis://127.0.0.1:6379', log);
 * redis.up(); // false until connected
 * ```
 */
export function connectRedis(url: string, log: HostLog): HostRedis {
  const options = { maxRetriesPerRequest: 2, connectTimeout: 2000 };
  const commands = new Redis(url, options);
  const subscriber = new Redis(url, options);
  let closing = false;
  for (const [name, client] of [
    ['commands', commands],
    ['subscriber', subscriber],
  ] as const) {
    let down = false;
    const lost = (reason: string) => {
      if (down || closing) return;
      down = true;
      log.warn(`redis (${name}): ${reason}; reconnecting`);
    };
    client.on('error', (err: unknown) => lost(describeError(err)));
    // A stopped server closes the socket; a quick restart may then connect
    // again before any error, and the outage must still be in the log.
    client.on('close', () => lost('connection closed'));
    client.on('ready', () => {
      if (!down) return;
      down = false;
      log.info(`redis (${name}): connected again`);
    });
  }
  return {
    commands,
    subscriber,
    up: () => commands.status === 'ready' && subscriber.status === 'ready',
    close() {
      closing = true;
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
