/**
 * A hub's subscription to its pub/sub topic, retried until it holds: a host
 * that starts while its broker is unreachable (Redis down during a restart)
 * must not end up serving snapshots that never change, nor stop publishing
 * its own batches to the other hosts.
 */
import { withRetry } from '../runtime/with-retry.js';
import type { PubSub } from './pubsub.js';

/** Hooks of {@link subscribeUntilHeld}. */
export interface SubscribeUntilHeldOptions {
  /** Stops retrying (the hub closed); a subscription that still comes through is undone. */
  signal: AbortSignal;
  /** The first attempt failed (called once): the caller goes on without the topic meanwhile. */
  onFirstFailure: (error: unknown) => void;
}

/**
 * Subscribe to `topic`, retrying with backoff (up to 2 s apart) until it
 * succeeds; resolves with the unsubscribe function, or null when `signal`
 * aborted first.
 *
 * @example
 * ```ts
 * const off = await subscribeUntilHeld(pubsub, 'creatorflow_realtime', onText, onResume, {
 *   signal: closing.signal,
 *   onFirstFailure: (err) => events.emit('error', err),
 * });
 * ```
 */
export async function subscribeUntilHeld(
  pubsub: PubSub,
  topic: string,
  onMessage: (message: string) => void,
  onResume: () => void,
  options: SubscribeUntilHeldOptions,
): Promise<(() => Promise<void>) | null> {
  const { signal } = options;
  let off: () => Promise<void>;
  // The attempt last started: an abort rejects the retry loop at once, while it may still subscribe.
  let inFlight: Promise<() => Promise<void>> | undefined;
  try {
    off = await withRetry(
      () => (inFlight = pubsub.subscribe(topic, onMessage, onResume)),
      { attempts: Number.POSITIVE_INFINITY, minTimeoutMs: 50, maxTimeoutMs: 2000, factor: 2, jitter: true },
      {
        signal,
        onFailedAttempt: ({ error, attempt }) => {
          if (attempt === 1) options.onFirstFailure(error);
        },
      },
    );
  } catch {
    // Aborted while retrying. An attempt in flight that still subscribes is undone, or its
    // connection (a LISTEN client, a Redis subscriber) would keep the process alive.
    void inFlight?.then(
      (late) => late().catch(() => undefined),
      () => undefined,
    );
    return null;
  }
  if (signal.aborted) {
    await off().catch(() => undefined);
    return null;
  }
  return off;
}
