/**
 * Stream names of the commerce domain (the ingestion side uses the same).
 */
import { createHash } from 'node:crypto';

/** The store's longest stream id (`prepare-append.ts`). */
const MAX_STREAM_ID_LENGTH = 256;

/** `%` and `:` escaped, so the `:` between creator and order never appears inside either. */
export const escapeId = (id: string): string => id.replace(/%/g, '%25').replace(/:/g, '%3A');

/**
 * The stream of an order: its lifecycle events and its reservations. Scoped by
 * creator, so two creators whose order ids are equal never share a stream, and
 * a stream that exists belongs to the creator its id names. The one place
 * order stream ids are built.
 *
 * Ids are `order-<creatorId>:<orderId>` with `%` and `:` percent-escaped (so
 * the split is unambiguous); one longer than the store allows becomes
 * `order-sha256-<hex>` of both ids, which cannot collide with the readable
 * form (it has no `:`).
 *
 * @example
 * ```ts
 * orderStream('creator-1', '576461413038785752') // 'order-creator-1:576461413038785752'
 * ```
 */
export function orderStream(creatorId: string, orderId: string): string {
  return scopedStream('order', creatorId, orderId);
}

/**
 * The stream of a creator's product: its stock reports, alerts and settled
 * counts. Built as {@link orderStream} is, so two (creator, product) pairs
 * never share a stream and every pair fits the store: `inventory-<creatorId>:<productId>`
 * with `%` and `:` percent-escaped, or `inventory-sha256-<hex>` of both ids
 * when longer than the store allows (no `:`, so it cannot meet the readable
 * form). The plain `inventory-<creatorId>-<productId>` of earlier versions
 * let creator `a` write to creator `a-b`'s stream (product `b-p1` against
 * `p1`), and a long pair (ids up to 200 characters each) was refused by the store.
 *
 * @example
 * ```ts
 * inventoryStream('creator-1', 'p1') // 'inventory-creator-1:p1'
 * ```
 */
export function inventoryStream(creatorId: string, productId: string): string {
  return scopedStream('inventory', creatorId, productId);
}

/**
 * The stream of a creator's inventory sync runs (their alerts and the run's
 * health record): `inventory-sync-<creatorId>` with `%` and `:` percent-escaped
 * (unchanged for ids without them), or `inventory-sync-sha256-<hex>` past the
 * store's limit. With no raw `:` it can never be an {@link inventoryStream}:
 * the plain form let creator `a:b`'s runs land in creator `sync-a`'s stream of
 * product `b`.
 *
 * @example
 * ```ts
 * inventorySyncStream('creator-1') // 'inventory-sync-creator-1'
 * ```
 */
export function inventorySyncStream(creatorId: string): string {
  const readable = `inventory-sync-${escapeId(creatorId)}`;
  if (readable.length <= MAX_STREAM_ID_LENGTH) return readable;
  return `inventory-sync-sha256-${createHash('sha256')
    .update(JSON.stringify([creatorId]))
    .digest('hex')}`;
}

/** `<kind>-<creatorId>:<id>` escaped, or `<kind>-sha256-<hex>` past the store's limit. */
function scopedStream(kind: string, creatorId: string, id: string): string {
  const readable = `${kind}-${escapeId(creatorId)}:${escapeId(id)}`;
  if (readable.length <= MAX_STREAM_ID_LENGTH) return readable;
  return `${kind}-sha256-${createHash('sha256')
    .update(JSON.stringify([creatorId, id]))
    .digest('hex')}`;
}
