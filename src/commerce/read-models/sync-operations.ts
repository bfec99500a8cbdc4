/**
 * `sync_operations`: one row per creator, component and operation: the last
 * outcome of each kind of sync (`sync_inventory_levels`, `seller_authorization`,
 * `stock_reconciliation` …), consecutive and total failures, last error.
 */
import type { Row } from '../../core/row-change.js';
import { defineProjection, type ProjectionDefinition } from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import type { HealthComponent } from '../events/common.js';
import type { EventPayload } from '../events/catalog.js';
import { SYSTEM_CREATOR_ID, eventTime } from './row-values.js';

/** Outcomes of a sync operation. */
export const SYNC_OPERATION_STATUSES = ['completed', 'failed', 'recovered', 'conflict'] as const;
/** One of {@link SYNC_OPERATION_STATUSES}. */
export type SyncOperationStatus = (typeof SYNC_OPERATION_STATUSES)[number];

/** Metadata key naming the sync operation a `system.health_check_completed` reports on. */
export const SYNC_OPERATION_METADATA = 'syncOperation';

/** A `sync_operations` row. */
export interface SyncOperationRow extends Row {
  creator_id: string;
  component: HealthComponent;
  operation: string;
  status: SyncOperationStatus;
  consecutive_failures: number;
  total_failures: number;
  total_runs: number;
  conflicts: number;
  /** Items the last completed run covered (e.g. products). */
  items: number | null;
  duration_ms: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_success_at: string | Date | null;
  last_failure_at: string | Date | null;
  updated_at: string | Date;
}

function base(current: SyncOperationRow | null, event: StoredEvent): SyncOperationRow {
  return (
    current ?? {
      creator_id: '',
      component: 'inventory_sync',
      operation: '',
      status: 'completed',
      consecutive_failures: 0,
      total_failures: 0,
      total_runs: 0,
      conflicts: 0,
      items: null,
      duration_ms: null,
      last_error_code: null,
      last_error_message: null,
      last_success_at: null,
      last_failure_at: null,
      updated_at: eventTime(event),
    }
  );
}

const creator = (d: { creatorId?: string | undefined }) => d.creatorId ?? SYSTEM_CREATOR_ID;

/**
 * The `sync_operations` projection.
 *
 * @example
 * ```ts
 * const syncs = syncOperationsProjection();
 * ```
 */
export function syncOperationsProjection(): ProjectionDefinition<SyncOperationRow> {
  return defineProjection<SyncOperationRow>({
    name: 'sync_operations',
    key: ['creator_id', 'component', 'operation'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        component text NOT NULL,
        operation text NOT NULL,
        status text NOT NULL,
        consecutive_failures integer NOT NULL DEFAULT 0,
        total_failures integer NOT NULL DEFAULT 0,
        total_runs integer NOT NULL DEFAULT 0,
        conflicts integer NOT NULL DEFAULT 0,
        items integer,
        duration_ms double precision,
        last_error_code text,
        last_error_message text,
        last_success_at timestamptz,
        last_failure_at timestamptz,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, component, operation)
      )`,
    ],
    handlers: {
      'system.sync_failure_detected': {
        key: (e) => {
          const d = e.data as EventPayload<'system.sync_failure_detected'>;
          return { creator_id: creator(d), component: d.component, operation: d.operation };
        },
        apply: (current, event) => {
          const d = event.data as EventPayload<'system.sync_failure_detected'>;
          const row = base(current, event);
          const at = eventTime(event);
          return {
            ...row,
            status: 'failed',
            consecutive_failures: row.consecutive_failures + 1,
            total_failures: row.total_failures + 1,
            total_runs: row.total_runs + 1,
            last_error_code: d.errorCode,
            last_error_message: d.message,
            last_failure_at: at,
            updated_at: at,
          };
        },
      },
      'system.recovery_completed': {
        key: (e) => {
          const d = e.data as EventPayload<'system.recovery_completed'>;
          return d.operation === undefined
            ? null
            : { creator_id: creator(d), component: d.component, operation: d.operation };
        },
        apply: (current, event) => {
          const at = eventTime(event);
          return {
            ...base(current, event),
            status: 'recovered',
            consecutive_failures: 0,
            last_success_at: at,
            updated_at: at,
          };
        },
      },
      'system.health_check_completed': {
        key: (e) => {
          const operation = e.metadata[SYNC_OPERATION_METADATA];
          if (typeof operation !== 'string' || operation === '') return null;
          const d = e.data as EventPayload<'system.health_check_completed'>;
          return { creator_id: creator(d), component: d.component, operation };
        },
        apply: (current, event) => {
          const d = event.data as EventPayload<'system.health_check_completed'>;
          const row = base(current, event);
          const at = eventTime(event);
          return {
            ...row,
            status: 'completed',
            consecutive_failures: 0,
            total_runs: row.total_runs + 1,
            items: d.measurements['items'] ?? null,
            duration_ms: d.measurements['duration_ms'] ?? null,
            last_success_at: at,
            updated_at: at,
          };
        },
      },
      // Every settled stock conflict of a creator lands on this one row: a merge, so
      // concurrent settles do not queue on it from their first read to COMMIT (the
      // row's lock is held only while their COMMIT runs). Status: the latest conflict's.
      'inventory.sync_conflict_detected': {
        key: (e) => {
          const d = e.data as EventPayload<'inventory.sync_conflict_detected'>;
          return { creator_id: d.creatorId, component: 'inventory_sync', operation: 'stock_reconciliation' };
        },
        merge: {
          columns: {
            status: { latestBy: 'updated_at' },
            conflicts: 'sum',
            total_runs: 'sum',
            last_success_at: 'max',
            updated_at: 'max',
          },
          initial: {
            consecutive_failures: 0,
            total_failures: 0,
            items: null,
            duration_ms: null,
            last_error_code: null,
            last_error_message: null,
            last_failure_at: null,
          },
          delta: (event) => {
            const d = event.data as EventPayload<'inventory.sync_conflict_detected'>;
            const at = eventTime(event);
            const resolved = d.resolvedQuantity !== undefined;
            return {
              status: resolved ? 'completed' : 'conflict',
              conflicts: 1,
              total_runs: 1,
              ...(resolved ? { last_success_at: at } : {}),
              updated_at: at,
            };
          },
        },
      },
    },
  });
}
