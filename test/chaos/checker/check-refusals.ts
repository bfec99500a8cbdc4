/**
 * Webhooks refused by admission control (503 `OVERLOADED`) against the log: a
 * refusal comes before anything is read or written, so it leaves nothing.
 * Looked up by the notification id the receivers store as
 * `metadata.correlationId`. Only refusals whose effect is unambiguous are
 * judged: a webhook every attempt of which was refused must have no event in
 * the log, and one refused before it was acknowledged must be acknowledged
 * as new (`duplicate: false`) — had a refusal written, the acknowledging
 * attempt would have found its idempotency key and answered a duplicate.
 * Webhooks with other failed attempts first (a timeout may have committed)
 * are left to `webhooks_in_log_once`.
 */
import type { WebhookRecord } from '../history.js';
import { groupBy } from './group-by.js';
import { verdict, type InvariantResult } from './invariant.js';
import type { LogEvent } from './log-data.js';
import { acknowledged, webhookEventsById } from './check-webhooks.js';

/** The problem code of an admission refusal. */
export const OVERLOADED = 'OVERLOADED';

const refused = (r: WebhookRecord) => r.status === 503 && r.answer?.status === OVERLOADED;

/**
 * Every webhook refused with 503 `OVERLOADED` left nothing in the log.
 *
 * @example
 * ```ts
 * checkRefusalsWroteNothing(webhookRecords, data.events).ok
 * ```
 */
export function checkRefusalsWroteNothing(
  records: readonly WebhookRecord[],
  events: readonly LogEvent[],
): InvariantResult {
  const logged = webhookEventsById(events);
  const violations: unknown[] = [];
  let checked = 0;
  for (const [id, attempts] of groupBy(records, (r) => r.id)) {
    const ordered = [...attempts].sort((a, b) => a.attempt - b.attempt);
    const ackAt = ordered.findIndex(acknowledged);
    const before = ackAt === -1 ? ordered : ordered.slice(0, ackAt);
    if (before.length === 0 || !before.every(refused)) continue;
    checked++;
    const refusals = before.map((r) => ({ t: r.t, host: r.host, attempt: r.attempt }));
    if (ackAt === -1) {
      const written = logged.get(id) ?? [];
      if (written.length > 0) {
        violations.push({
          problem: 'refused_but_written',
          id,
          kind: ordered[0]!.kind,
          refusals,
          events: written.map((e) => ({ stream: e.streamId, version: e.version, eventId: e.id })),
        });
      }
    } else if (ordered[ackAt]!.answer?.duplicate === true) {
      violations.push({
        problem: 'refused_then_duplicate',
        id,
        kind: ordered[0]!.kind,
        refusals,
        acknowledged: { t: ordered[ackAt]!.t, host: ordered[ackAt]!.host, attempt: ordered[ackAt]!.attempt },
      });
    }
  }
  return verdict(checked, violations);
}
