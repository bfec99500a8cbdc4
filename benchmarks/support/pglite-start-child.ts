/**
 * One PGlite start in a fresh process (a warm process would reuse compiled
 * WebAssembly and hide the cost): prints `{ open_ms, migrate_ms }` as JSON.
 * argv[2]: the template directory, or `none` to run initdb every time.
 */
import { fromPglite, openPglite } from '../../src/adapters/pglite.js';
import { createEventStore } from '../../src/store/create-event-store.js';

const arg = process.argv[2] ?? 'none';
const t0 = performance.now();
const db = await openPglite({ templateDir: arg === 'none' ? false : arg });
const t1 = performance.now();
const store = createEventStore({ sql: fromPglite(db) });
await store.migrate();
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ open_ms: t1 - t0, migrate_ms: t2 - t1 })}\n`);
await store.close();
await db.close();
