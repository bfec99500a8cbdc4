/**
 * The hosts' realtime channels: the library's dashboard channels plus
 * `commerce_orders`, one row per order, unthrottled — the feed of an order
 * list, and the probe of the `e2e.webhook_to_dashboard` benchmark (a new
 * order's row is the first delta a webhook causes); and `product_daily_sales`,
 * the sales history the dashboard's forecast charts draw behind each forecast.
 */
import { COMMERCE_CHANNELS } from '@creatorflow/sync/commerce';
import type { ChannelDefinition } from '@creatorflow/sync';

/** Per-order rows of the commerce read models. */
export const ORDERS_CHANNEL: ChannelDefinition = Object.freeze({
  name: 'commerce_orders',
  keyColumns: ['creator_id', 'order_id'],
  tenantColumn: 'creator_id',
  filterableColumns: ['status', 'tiktok_status', 'automated', 'failed', 'completed'],
  throttleMs: 0,
});

/** Units sold per product and UTC day (the forecast charts' history). */
export const DAILY_SALES_CHANNEL: ChannelDefinition = Object.freeze({
  name: 'product_daily_sales',
  keyColumns: ['creator_id', 'product_id', 'day'],
  tenantColumn: 'creator_id',
  filterableColumns: ['product_id', 'day'],
  throttleMs: 1000,
});

/** Every channel of the example hosts. */
export const HOST_CHANNELS: readonly ChannelDefinition[] = Object.freeze([
  ...COMMERCE_CHANNELS,
  ORDERS_CHANNEL,
  DAILY_SALES_CHANNEL,
]);
