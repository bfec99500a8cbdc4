/**
 * Webhooks against the log. A webhook answered 2xx must be in the log exactly
 * once: its events (found by the notification id the receivers store as
 * `metadata.correlationId`) written by one append — one transaction — and as
 * many as the receiver said it wrote. Separately, every webhook should be
 * acknowledged in the end, since the sender retries like TikTok does.
 */
import { SHIPPING_WEBHOOK_SOURCE } from '../../../src/commerce/ingest/shipping/webhook-handler.js';
import { TIKTOK_WEBHOOK_SOURCE } from '../../../src/commerce/ingest/tiktok/webhook-handler.js';
import type { WebhookRecord } from '../history.js';
import { groupBy } from './group-by.js';
import { verdict, type InvariantResult } from './invariant.js';
import type { LogEvent } from './log-data.js';

/** Sources the receivers record on webhook events. */
export const WEBHOOK_SOURCES: ReadonlySet<string> = new Set([TIKTOK_WEBHOOK_SOURCE, SHIPPING_WEBHOOK_SOURCE]);

/** A 2xx answer: the webhook was acknowledged. */
export const acknowledged = (r: WebhookRecord) => r.status >= 200 && r.status < 300;

/** The log's webhook events, by the notification id they carry as correlation id. */
export const webhookEventsById = (events: readonly LogEvent[]) =>
  groupBy(
    events.filter((e) => e.source !== null && WEBHOOK_SOURCES.has(e.source)),
    (e) => e.correlationId,
  );

/**
 * Every acknowledged webhook is in the log exactly once.
 *
 * @example
 * ```ts
 * checkWebhooksInLog(webhookRecords, data.events).ok
 * ```
 */
export function checkWebhooksInLog(
  records: readonly WebhookRecord[],
  events: readonly LogEvent[],
): InvariantResult {
  const logged = webhookEventsById(events);
  const violations: unknown[] = [];
  let checked = 0;
  for (const [id, attempts] of groupBy(records, (r) => r.id)) {
    const acks = attempts.filter(acknowledged);
    if (acks.length === 0) continue;
    checked++;
    const written = logged.get(id) ?? [];
    const transactions = new Set(written.map((e) => e.transactionId));
    // The receiver says how many events its append wrote; a duplicate answer does not know.
    const first = acks.find((r) => r.answer?.status === 'accepted' && r.answer.duplicate === false);
    const expected = first?.answer?.events;
    const ignored = acks.every((r) => r.answer?.status === 'ignored');
    const where = { id, kind: attempts[0]!.kind, answeredAt: acks[0]!.t, host: acks[0]!.host };
    const evidence = written.map((e) => ({
      stream: e.streamId,
      version: e.version,
      eventId: e.id,
      transactionId: e.transactionId,
    }));
    if (ignored) {
      if (written.length > 0) violations.push({ problem: 'ignored_but_written', ...where, events: evidence });
    } else if (written.length === 0) {
      violations.push({ problem: 'acknowledged_but_missing', ...where, answers: acks.map((r) => r.answer) });
    } else if (transactions.size > 1 || (expected !== undefined && written.length > expected)) {
      violations.push({ problem: 'written_twice', ...where, expected: expected ?? null, events: evidence });
    } else if (expected !== undefined && written.length < expected) {
      violations.push({ problem: 'partly_written', ...where, expected, events: evidence });
    }
  }
  return verdict(checked, violations);
}

/**
 * Every webhook was acknowledged by some attempt (the sender gave up on none).
 *
 * @example
 * ```ts
 * checkWebhooksAcknowledged(webhookRecords).violations // webhooks refused until the sender gave up
 * ```
 */
export function checkWebhooksAcknowledged(records: readonly WebhookRecord[]): InvariantResult {
  const violations: unknown[] = [];
  const groups = groupBy(records, (r) => r.id);
  for (const [id, attempts] of groups) {
    if (attempts.some(acknowledged)) continue;
    violations.push({
      problem: 'never_acknowledged',
      id,
      kind: attempts[0]!.kind,
      attempts: attempts.map((r) => ({
        t: r.t,
        host: r.host,
        status: r.status,
        code: r.answer?.status ?? r.error,
      })),
    });
  }
  return verdict(groups.size, violations);
}
