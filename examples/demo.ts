/**
 * `npm run demo` (interim, until the dashboard host lands): migrate an embedded
 * PGlite store, append a few order events and print the stream and the log.
 */
import { PGlite } from '@electric-sql/pglite';
import { fromPglite } from '../src/adapters/pglite.js';
import { createEventStore } from '../src/index.js';

const db = await PGlite.create();
const store = createEventStore({ sql: fromPglite(db), schema: 'creatorflow' });
await store.migrate();

const metadata = { correlationId: 'webhook-7f3a', source: 'tiktok_webhook' };
await store.append(
  'order-42',
  [
    {
      type: 'order.received_from_tiktok',
      data: { orderId: '42', shopId: 'shop-1', total: 59.9, currency: 'USD' },
    },
  ],
  { aggregateType: 'order', expectedVersion: 'no_stream', idempotencyKey: 'tts-notification-1', metadata },
);
// TikTok redelivers the same notification: acknowledged, nothing written.
const redelivery = await store.append('order-42', [{ type: 'order.received_from_tiktok', data: {} }], {
  aggregateType: 'order',
  idempotencyKey: 'tts-notification-1',
});
await store.append(
  'order-42',
  [
    { type: 'order.validated', data: { orderId: '42' } },
    { type: 'order.inventory_allocated', data: { orderId: '42', sku: 'SKU-RED-M', quantity: 1 } },
  ],
  { aggregateType: 'order', expectedVersion: 1, metadata },
);
await store.append(
  'inventory-SKU-RED-M',
  [{ type: 'inventory.reserved', data: { sku: 'SKU-RED-M', quantity: 1 } }],
  {
    aggregateType: 'inventory',
    metadata: { ...metadata, source: 'automated_system' },
  },
);
try {
  await store.append('order-42', [{ type: 'order.cancelled', data: {} }], { expectedVersion: 1 });
} catch (err) {
  console.log(`stale writer refused: ${(err as Error).message}`);
}

console.log(`redelivery acknowledged as duplicate: ${redelivery.duplicate}`);
const stream = await store.readStream('order-42');
console.log(`\nstream order-42 (version ${stream.version}):`);
for (const e of stream.events) console.log(`  v${e.version}  ${e.type}  ${JSON.stringify(e.data)}`);

const log = await store.readAll();
console.log(`\nglobal log (${log.events.length} events, checkpoint ${log.checkpoint}):`);
for (const e of log.events) console.log(`  #${e.globalPosition}  ${e.aggregateId.padEnd(22)} ${e.type}`);

await store.close();
await db.close();
