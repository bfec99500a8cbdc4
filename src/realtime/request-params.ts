/**
 * Reading a subscription request from a URL (both transports use the same
 * query parameters): `channel`, `filter`, `events`, `throttle`, `cursor`, `select`.
 * `Last-Event-ID` (SSE) wins over `cursor`.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { ROW_OPERATIONS } from '../core/row-change.js';
import type { SubscriptionRequest } from './types.js';

/** The query parameters of one subscription. */
export const SUBSCRIPTION_PARAMS = ['channel', 'filter', 'events', 'throttle', 'cursor', 'select'] as const;

const querySchema = z.object({
  channel: z.string().min(1).max(63),
  filter: z.string().max(2000).optional(),
  events: z
    .string()
    .transform((s) => s.split(',').map((e) => e.trim().toUpperCase()))
    .pipe(z.array(z.enum(ROW_OPERATIONS)))
    .optional(),
  throttle: z.coerce.number().int().min(0).max(3_600_000).optional(),
  cursor: z.string().max(64).optional(),
  select: z
    .string()
    .max(2000)
    .transform((s) => s.split(',').map((c) => c.trim()))
    .optional(),
});

/**
 * Parse the subscription parameters of a realtime URL.
 *
 * @throws ValidationError (400) when a parameter is malformed.
 * @example
 * ```ts
 * parseSubscriptionRequest(new URL('http://h/rt?channel=order_metrics&filter=active_orders=gt.0'), undefined)
 * ```
 */
export function parseSubscriptionRequest(url: URL, lastEventId?: string | null): SubscriptionRequest {
  const raw: Record<string, string> = {};
  for (const name of SUBSCRIPTION_PARAMS) {
    const value = url.searchParams.get(name);
    if (value !== null) raw[name] = value;
  }
  return subscriptionFromParams(raw, lastEventId);
}

/**
 * One subscription from its parameters by name (a URL's, or a multiplexed
 * `subscribe` message's); empty values count as absent. `lastCursor` wins over `cursor`.
 *
 * @throws ValidationError (400) when a parameter is malformed.
 * @example
 * ```ts
 * subscriptionFromParams({ channel: 'order_metrics', select: 'active_orders' })
 * ```
 */
export function subscriptionFromParams(
  params: Readonly<Record<string, string | undefined>>,
  lastCursor?: string | null,
  path = '',
): SubscriptionRequest {
  const raw: Record<string, string> = {};
  for (const name of SUBSCRIPTION_PARAMS) {
    const value = params[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = querySchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(
      'Invalid realtime request',
      parsed.error.issues.map((i) => ({ path: path + i.path.join('.'), message: i.message })),
    );
  }
  const q = parsed.data;
  const cursor = lastCursor && lastCursor.trim() !== '' ? lastCursor.trim() : (q.cursor ?? null);
  return {
    channel: q.channel,
    filter: q.filter,
    events: q.events,
    throttleMs: q.throttle,
    cursor,
    ...(q.select ? { select: q.select } : {}),
  };
}
