/**
 * What acknowledging an alert does, decided from the folded book: the first
 * acknowledgement of an alert's life wins, so a retried request (a lost
 * response, a double click, a paging integration's redelivery) records
 * nothing and answers the acknowledgement already recorded, whoever gave it.
 */
import { AlertNotFoundError, AlertResolvedError } from '../errors.js';
import type { AlertBook } from './alert-book.js';
import type { AlertEvent } from './alert-events.js';

/** The answer to an acknowledgement: the one recorded for the alert's current life. */
export interface AlertAcknowledgement {
  fingerprint: string;
  /** Who acknowledged first. */
  by: string;
  /** When, ms since the epoch. */
  at: number;
  /** True when the alert was already acknowledged: this request recorded nothing. */
  duplicate: boolean;
}

/** Either the acknowledgement already recorded, or the event that records this one. */
export type AcknowledgeDecision =
  | { kind: 'existing'; acknowledgement: AlertAcknowledgement }
  | { kind: 'record'; event: AlertEvent & { type: 'alert.acknowledged' } };

/**
 * Decide an acknowledgement of `fingerprint` by `by` at `at` against `book`.
 * Throws {@link AlertResolvedError} for an alert that resolved (carrying its
 * acknowledgement, if any, so a retry after a resolution can tell it landed)
 * and {@link AlertNotFoundError} for one the book does not know.
 *
 * @example
 * ```ts
 * const decision = decideAcknowledgement(log.book, fingerprint, 'ops', Date.now());
 * if (decision.kind === 'record') await log.append([decision.event]);
 * ```
 */
export function decideAcknowledgement(
  book: AlertBook,
  fingerprint: string,
  by: string,
  at: number,
): AcknowledgeDecision {
  const alert = book.alerts.get(fingerprint);
  if (alert) {
    if (alert.acknowledged)
      return { kind: 'existing', acknowledgement: { fingerprint, ...alert.acknowledged, duplicate: true } };
    return { kind: 'record', event: { type: 'alert.acknowledged', data: { fingerprint, by, at } } };
  }
  // The book keeps the latest resolutions first.
  const resolved = book.resolved.find((a) => a.fingerprint === fingerprint);
  if (resolved) throw new AlertResolvedError(fingerprint, resolved.resolvedAt ?? 0, resolved.acknowledged);
  throw new AlertNotFoundError(fingerprint);
}
