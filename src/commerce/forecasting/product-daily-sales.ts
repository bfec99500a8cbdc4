/**
 * `product_daily_sales`: units sold per product and UTC day, the history the
 * forecasters read. Sales count as `inventory_levels` counts them: units
 * reserved for orders, plus stock decreases reported with reason `sale`;
 * and imported history (`inventory.sales_imported`) adds to the day it names.
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../../processing/index.js';
import type { EventPayload } from '../events/index.js';
import { utcDay } from '../metrics/revenue.js';
import { eventTime, toNumber } from '../read-models/row-values.js';
import { SALES_IMPORTED_EVENT, type SalesImported } from './sales-import.js';

/** A `product_daily_sales` row. */
export interface ProductDailySalesRow extends Row {
  creator_id: string;
  product_id: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  units: number;
  updated_at: string | Date;
}

function adding(units: (data: never) => number): ProjectionHandler<ProductDailySalesRow> {
  return {
    key: (e) => {
      if (units(e.data as never) <= 0) return null;
      const d = e.data as { creatorId: string; productId: string };
      return { creator_id: d.creatorId, product_id: d.productId, day: utcDay(e.occurredAt) };
    },
    apply: (current, event, key) => ({
      creator_id: key.creator_id as string,
      product_id: key.product_id as string,
      day: key.day as string,
      units: toNumber(current?.units) + units(event.data as never),
      updated_at: eventTime(event),
    }),
  };
}

/** An imported day counts on the day it names, not the day it was imported. */
const imported: ProjectionHandler<ProductDailySalesRow> = {
  key: (e) => {
    const d = e.data as SalesImported;
    return d.units > 0 ? { creator_id: d.creatorId, product_id: d.productId, day: d.day } : null;
  },
  apply: (current, event, key) => ({
    creator_id: key.creator_id as string,
    product_id: key.product_id as string,
    day: key.day as string,
    units: toNumber(current?.units) + (event.data as SalesImported).units,
    updated_at: eventTime(event),
  }),
};

/**
 * The `product_daily_sales` projection.
 *
 * @example
 * ```ts
 * const sales = productDailySalesProjection();
 * ```
 */
export function productDailySalesProjection(): ProjectionDefinition<ProductDailySalesRow> {
  return defineProjection<ProductDailySalesRow>({
    name: 'product_daily_sales',
    key: ['creator_id', 'product_id', 'day'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL,
        product_id text NOT NULL,
        day text NOT NULL,
        units integer NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (creator_id, product_id, day)
      )`,
    ],
    handlers: {
      'inventory.reserved': adding((d: EventPayload<'inventory.reserved'>) => d.quantity),
      'inventory.stock_updated': adding((d: EventPayload<'inventory.stock_updated'>) =>
        d.reason === 'sale' && d.previousQuantity !== undefined ? d.previousQuantity - d.quantity : 0,
      ),
      [SALES_IMPORTED_EVENT]: imported,
    },
  });
}
