/**
 * The hosts' realtime channels: the library's dashboard channels plus
 * `commerce_orders`, one row per order, unthrottled — the feed of an order
 * list, and the probe of the `e2e.webhook_to_dashboard` benchmark (a new
 * order's row is the first delta a webhook causes).
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

/** Every channel of the example hosts. */
export const HOST_CHANNELS: readonly ChannelDefinition[] = Object.freeze([
  ...COMMERCE_CHANNELS,
  ORDERS_CHANNEL,
]);
