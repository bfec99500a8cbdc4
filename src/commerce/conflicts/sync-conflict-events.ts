/**
 * The typed events of `resolve-sync-conflicts` (`SyncConflictProcessor`):
 * each settled window, and background failures as `'error'`.
 */
import type { ConflictRecord } from '../../conflicts/service/audit/audit-record.js';
import type { OpenEntity } from './contender-staging.js';

/**
 * Events of a `SyncConflictProcessor`.
 *
 * @example
 * ```ts
 * conflicts.on('settled', (entity, record, window) => log.info({ entity, reports: window.reports }, 'settled'));
 * conflicts.on('error', (err) => log.error(err));
 * ```
 */
export interface SyncConflictEvents {
  /**
   * A window was settled; `record` is the audited conflict (absent for a lone report).
   * `dueAtMs` is when it closed, `takenAtMs` when a pass took it (both on the processor's
   * clock): the wait before the work, then the work and its commit up to now.
   */
  settled: [
    entity: Omit<OpenEntity, 'anchorMs'>,
    record: ConflictRecord | undefined,
    window: { reports: number; anchorMs: number; dueAtMs: number; takenAtMs: number },
  ];
  error: [error: unknown];
}
