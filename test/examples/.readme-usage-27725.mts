import { PGlite } from '@electric-sql/pglite';
import { createEventStore, isConcurrencyError } from '/work/main/src/index.ts';
import { fromPglite } from '/work/main/src/adapters/pglite.ts'; // or: fromPg(pool) from '/work/main/src/adapters/pg.ts'

const db = await PGlite.create();
const store = createEventStore({ sql: fromPglite(db), schema: 'creatorflow' });
await store.migrate();

const r = await store.append(
  'order-42',
  [{ type: 'order.received_from_tiktok', data: { orderId: '42', total: 59.9 } }],
  { aggregateType: 'order', expectedVersion: 'no_stream', idempotencyKey: 'tts-notification-1',
    metadata: { correlationId: 'webhook-7f3a', source: 'tiktok_webhook' } },
);
console.log(r.nextVersion, r.positions); // 1 [ 1 ]

const { version, events } = await store.readStream('order-42');
const page = await store.readAll({ after: '0:0', limit: 100 }); // commit order, never skips
store.subscribe({ after: page.checkpoint }).subscribe((event) => console.log(event.type));

try { await store.append('order-42', [{ type: 'order.cancelled', data: {} }], { expectedVersion: 0 }); }
catch (err) { if (isConcurrencyError(err)) console.log(err.expectedVersion, err.actualVersion); }
await store.close(); // completes the live subscription above
await db.close();    // the store never closes a database it was given

console.log('done ' + Date.now());
