/**
 * Stream names of the commerce domain (the ingestion side uses the same).
 */

/** The stream of an order: its lifecycle events and its reservations. */
export function orderStream(orderId: string): string {
  return `order-${orderId}`;
}

/** The stream of a product's inventory alerts. */
export function inventoryStream(creatorId: string, productId: string): string {
  return `inventory-${creatorId}-${productId}`;
}
