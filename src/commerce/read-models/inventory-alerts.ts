/**
 * `inventory_alerts`: one row per creator, product and alert type, `active`
 * until the condition clears (then `resolved`, kept for the history). Low
 * stock and reorder alerts follow the `inventory_levels` alert flags (set by
 * `inventory.low_stock_detected` / `reorder_triggered` only while the
 * condition still holds, so a stale alert event raises nothing); anomalies
 * follow its `anomaly` column; sync conflicts come from their event.
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionResult,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import type { Severity } from '../events/common.js';
import type { EventPayload } from '../events/catalog.js';
import { lowStockSeverity } from '../metrics/low-stock.js';
import type { InventoryLevelRow } from './inventory-levels.js';
import type { ResolvedInventoryOptions } from './inventory-options.js';
import { rowChangeOf, rowEventType } from './read-model-set.js';
import { eventTime, toNumber, toNumberOrNull } from './row-values.js';

/** Kinds of inventory alert. */
export const INVENTORY_ALERT_TYPES = ['low_stock', 'reorder', 'velocity_anomaly', 'sync_conflict'] as const;
/** One of {@link INVENTORY_ALERT_TYPES}. */
export type InventoryAlertType = (typeof INVENTORY_ALERT_TYPES)[number];

/** Alert statuses. */
export const ALERT_STATUSES = ['active', 'resolved'] as const;
/** One of {@link ALERT_STATUSES}. */
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** An `inventory_alerts` row. */
export interface InventoryAlertRow extends Row {
  creator_id: string;
  product_id: string;
  alert_type: InventoryAlertType;
  status: AlertStatus;
  severity: Severity;
  message: string;
  /** Available units when raised or last updated. */
  quantity: number | null;
  threshold: number | null;
  suggested_quantity: number | null;
  /** Type-specific figures (velocity ratio, conflicting quantities …). */
  details: Record<string, unknown>;
  raised_at: string | Date;
  resolved_at: string | Date | null;
  updated_at: string | Date;
}

type AlertKey = Partial<InventoryAlertRow>;

function alertKey(d: { creatorId: string; productId: string }, type: InventoryAlertType): AlertKey {
  return { creator_id: d.creatorId, product_id: d.productId, alert_type: type };
}

function raise(
  current: InventoryAlertRow | null,
  event: StoredEvent,
  fields: Pick<InventoryAlertRow, 'severity' | 'message'> & Partial<InventoryAlertRow>,
): Partial<InventoryAlertRow> {
  const at = eventTime(event);
  const reopened = current === null || current.status === 'resolved';
  return {
    quantity: null,
    threshold: null,
    suggested_quantity: null,
    details: {},
    ...fields,
    status: 'active',
    raised_at: reopened ? at : current.raised_at,
    resolved_at: null,
    updated_at: at,
  };
}

function resolve(current: InventoryAlertRow | null, event: StoredEvent): ProjectionResult<InventoryAlertRow> {
  if (current === null || current.status !== 'active') return undefined;
  const at = eventTime(event);
  return { status: 'resolved', resolved_at: at, updated_at: at };
}

function levelChange(e: StoredEvent): { oldRow: InventoryLevelRow | null; newRow: InventoryLevelRow | null } {
  return rowChangeOf(e) as { oldRow: InventoryLevelRow | null; newRow: InventoryLevelRow | null };
}

/**
 * The `inventory_alerts` projection (folds inventory events and `row:inventory_levels`).
 *
 * @example
 * ```ts
 * const alerts = inventoryAlertsProjection(resolveInventoryOptions());
 * ```
 */
export function inventoryAlertsProjection(
  options: ResolvedInventoryOptions,
): ProjectionDefinition<InventoryAlertRow> {
  return defineProjection<InventoryAlertRow>({
    name: 'inventory_alerts',
    key: ['creator_id', 'product_id', 'alert_type'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        product_id text NOT NULL,
        alert_type text NOT NULL,
        status text NOT NULL,
        severity text NOT NULL,
        message text NOT NULL,
        quantity integer,
        threshold integer,
        suggested_quantity integer,
        details jsonb NOT NULL DEFAULT '{}',
        raised_at timestamptz NOT NULL,
        resolved_at timestamptz,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, product_id, alert_type)
      );
      CREATE INDEX :TABLE_NAME:_active ON :TABLE: (creator_id) WHERE status = 'active';`,
    ],
    handlers: {
      'inventory.sync_conflict_detected': {
        key: (e) => alertKey(e.data as EventPayload<'inventory.sync_conflict_detected'>, 'sync_conflict'),
        apply: (current, event) => {
          const d = event.data as EventPayload<'inventory.sync_conflict_detected'>;
          const details = {
            local_quantity: d.localQuantity,
            remote_quantity: d.remoteQuantity,
            remote_source: d.remoteSource,
            resolved_quantity: d.resolvedQuantity ?? null,
          };
          if (d.resolvedQuantity !== undefined && current?.status !== 'active') {
            // Settled on arrival: record it as resolved history.
            const at = eventTime(event);
            return {
              ...raise(current, event, { severity: 'info', message: conflictMessage(d), details }),
              status: 'resolved',
              resolved_at: at,
            };
          }
          if (d.resolvedQuantity !== undefined) return { ...resolve(current, event), details };
          return raise(current, event, { severity: 'warning', message: conflictMessage(d), details });
        },
      },
      [rowEventType('inventory_levels')]: {
        key: (e) => {
          const { oldRow, newRow } = levelChange(e);
          if (!newRow) return null;
          const d = { creatorId: newRow.creator_id, productId: newRow.product_id };
          const keys: AlertKey[] = [];
          if (oldRow?.low_stock_alerted || newRow.low_stock_alerted) keys.push(alertKey(d, 'low_stock'));
          if (oldRow?.reorder_alerted || newRow.reorder_alerted) keys.push(alertKey(d, 'reorder'));
          if ((oldRow?.anomaly ?? null) !== (newRow.anomaly ?? null))
            keys.push(alertKey(d, 'velocity_anomaly'));
          return keys;
        },
        apply: (current, event, key) => {
          const { oldRow, newRow } = levelChange(event);
          if (!newRow) return undefined;
          switch (key.alert_type) {
            case 'low_stock': {
              if (!newRow.low_stock_alerted) return resolve(current, event);
              const quantity = toNumber(newRow.available);
              const threshold = toNumber(newRow.threshold);
              const severity = lowStockSeverity(
                quantity,
                toNumberOrNull(newRow.stockout_hours),
                options.criticalStockoutHours,
              );
              const message = `${newRow.product_id}: ${quantity} left (threshold ${threshold})`;
              if (!oldRow?.low_stock_alerted || current?.status !== 'active') {
                return raise(current, event, { severity, message, quantity, threshold });
              }
              // Still low: follow the stock level, escalating severity as it drops.
              if (quantity === current.quantity && severity === current.severity) return undefined;
              return { quantity, severity, message, updated_at: eventTime(event) };
            }
            case 'reorder': {
              if (!newRow.reorder_alerted) return resolve(current, event);
              if (oldRow?.reorder_alerted && current?.status === 'active') return undefined;
              const suggested = toNumber(newRow.suggested_reorder_quantity);
              return raise(current, event, {
                severity: 'info',
                message: `${newRow.product_id}: reorder ${suggested} units`,
                quantity: toNumber(newRow.available),
                suggested_quantity: suggested,
                details: { velocity_per_hour: toNumber(newRow.velocity_per_hour) },
              });
            }
            case 'velocity_anomaly': {
              if (newRow.anomaly === null) return oldRow?.anomaly ? resolve(current, event) : undefined;
              const ratio = toNumberOrNull(newRow.anomaly_ratio);
              return raise(current, event, {
                severity: newRow.anomaly === 'spike' ? 'warning' : 'info',
                message:
                  newRow.anomaly === 'spike'
                    ? `${newRow.product_id}: demand spike${ratio === null ? '' : ` (${ratio.toFixed(1)}× baseline)`}`
                    : `${newRow.product_id}: sales stopped against its baseline`,
                quantity: toNumber(newRow.available),
                details: {
                  kind: newRow.anomaly,
                  ratio,
                  recent_velocity_per_hour: toNumber(newRow.recent_velocity_per_hour),
                  velocity_per_hour: toNumber(newRow.velocity_per_hour),
                },
              });
            }
            default:
              return undefined;
          }
        },
      },
    },
  });
}

function conflictMessage(d: EventPayload<'inventory.sync_conflict_detected'>): string {
  return `${d.productId}: local ${d.localQuantity} vs ${d.remoteSource} ${d.remoteQuantity}`;
}
