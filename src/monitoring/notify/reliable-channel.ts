/**
 * Rate limiting and retries for a channel: a token bucket per channel (a
 * flood of alerts must not get the team's SMS account blocked) and
 * exponential backoff on failures; what still fails is thrown as
 * {@link NotificationFailedError} for the caller to record as a dead letter.
 */
import { resolveRetryPolicy, type RetryPolicy } from '../../runtime/retry-policy.js';
import { withRetry } from '../../runtime/with-retry.js';
import { NotificationFailedError } from '../errors.js';
import type { Notification, NotificationChannel } from './notification-channel.js';

/**
 * Options of {@link reliableChannel}.
 *
 * @example
 * ```ts
 * const slack = reliableChannel(slackChannel(), {
 *   rate: { messages: 20, perMs: 60_000 },         // at most 20 messages a minute
 *   retry: { attempts: 6, minTimeoutMs: 1_000 },   // then a NotificationFailedError
 * });
 * ```
 */
export interface ReliableChannelOptions {
  /** At most this many messages per `perMs` (token bucket). Default 30 per minute. */
  rate?: { messages: number; perMs: number };
  /** Retries. Default 4 attempts, 500 ms doubling. */
  retry?: Partial<RetryPolicy>;
  now?: () => number;
}

/**
 * Wrap a channel with a rate limit and retries.
 *
 * @example
 * ```ts
 * const sms = reliableChannel(twilioSms, { rate: { messages: 10, perMs: 60_000 } });
 * ```
 */
export function reliableChannel(
  channel: NotificationChannel,
  options: ReliableChannelOptions = {},
): NotificationChannel {
  const rate = options.rate ?? { messages: 30, perMs: 60_000 };
  const policy = resolveRetryPolicy({ attempts: 4, minTimeoutMs: 500, ...options.retry });
  const now = options.now ?? Date.now;
  let tokens = rate.messages;
  let refilledAt = now();
  const take = () => {
    const t = now();
    tokens = Math.min(rate.messages, tokens + ((t - refilledAt) / rate.perMs) * rate.messages);
    refilledAt = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  return {
    kind: channel.kind,
    async send(notification: Notification) {
      if (!take()) {
        throw new NotificationFailedError(
          channel.kind,
          `rate limit of ${channel.kind} reached (${rate.messages} per ${rate.perMs} ms)`,
          { attempts: 0 },
        );
      }
      try {
        await withRetry(() => channel.send(notification), policy);
      } catch (err) {
        throw new NotificationFailedError(
          channel.kind,
          `${channel.kind} failed after ${policy.attempts} attempts: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err, attempts: policy.attempts },
        );
      }
    },
  };
}
