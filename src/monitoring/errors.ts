/**
 * Errors of the monitoring subpath.
 */
import { SyncError } from '../core/errors.js';

/**
 * A metric was declared or recorded wrongly (a label missing, a name reused
 * with another type, buckets out of order).
 *
 * @example
 * ```ts
 * try { histogram.observe({}, 1); } catch (err) { if (err instanceof InvalidMetricError) console.log(err.code); }
 * ```
 */
export class InvalidMetricError extends SyncError {
  constructor(message: string) {
    super('INVALID_METRIC', message);
  }
}

/**
 * An alert rule, route, silence or escalation policy is not valid; nothing was changed.
 *
 * @example
 * ```ts
 * try { defineAlertRules([rule]); } catch (err) { if (err instanceof InvalidAlertConfigError) console.log(err.issues); }
 * ```
 */
export class InvalidAlertConfigError extends SyncError {
  readonly issues: readonly string[];
  constructor(message: string, issues: readonly string[] = []) {
    super('INVALID_ALERT_CONFIG', message);
    this.issues = issues;
  }
}

/**
 * A notification channel failed after every retry; the notification was
 * recorded as a dead letter (`alert.notification_failed`).
 *
 * @example
 * ```ts
 * router.on('error', (err) => { if (err instanceof NotificationFailedError) page(err.channel); });
 * ```
 */
export class NotificationFailedError extends SyncError {
  readonly channel: string;
  /** Attempts made (0 when the rate limit refused it before any). */
  readonly attempts: number;
  constructor(channel: string, message: string, options: { cause?: unknown; attempts?: number } = {}) {
    super('NOTIFICATION_FAILED', message, options);
    this.channel = channel;
    this.attempts = options.attempts ?? 1;
  }
}

/**
 * No alert with this fingerprint: it never fired, its pending breach cleared,
 * or it resolved long enough ago to have left the log's memory of resolutions.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof AlertNotFoundError) reply(404, err.fingerprint); }
 * ```
 */
export class AlertNotFoundError extends SyncError {
  readonly fingerprint: string;
  constructor(fingerprint: string) {
    super('ALERT_NOT_FOUND', `No active alert ${fingerprint}`);
    this.fingerprint = fingerprint;
  }
}

/**
 * The alert resolved: there is nothing left to acknowledge. `acknowledged`
 * is the acknowledgement it had, if any, so a client retrying an
 * acknowledgement whose answer it lost can tell that it landed.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof AlertResolvedError && err.acknowledged) showAckedBy(err.acknowledged.by); }
 * ```
 */
export class AlertResolvedError extends SyncError {
  readonly fingerprint: string;
  /** When it resolved, ms since the epoch. */
  readonly resolvedAt: number;
  readonly acknowledged: { by: string; at: number } | null;
  constructor(fingerprint: string, resolvedAt: number, acknowledged: { by: string; at: number } | null) {
    super('ALERT_RESOLVED', `Alert ${fingerprint} resolved at ${new Date(resolvedAt).toISOString()}`);
    this.fingerprint = fingerprint;
    this.resolvedAt = resolvedAt;
    this.acknowledged = acknowledged;
  }
}
