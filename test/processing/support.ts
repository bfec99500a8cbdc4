/**
 * Stores for the processing suites: in memory, PGlite and real PostgreSQL.
 */
import { createEventStore } from '../../src/store/create-event-store.js';
import { compareCheckpoints, START_CHECKPOINT, type LogCheckpoint } from '../../src/core/checkpoint.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines } from '../support/databases.js';

/** A store opened for one test. */
export interface TestStore {
  store: EventStore;
  close(): Promise<void>;
}

/** An engine a suite runs against. */
export interface StoreEngine {
  name: 'memory' | 'pglite' | 'postgres';
  available: boolean;
  open(): Promise<TestStore>;
}

const memoryEngine: StoreEngine = {
  name: 'memory',
  available: true,
  async open() {
    const store = createEventStore();
    await store.migrate();
    return { store, close: () => store.close() };
  },
};

/** The SQL engines as store engines. */
export const sqlStoreEngines: readonly StoreEngine[] = sqlEngines.map((engine) => ({
  name: engine.name,
  get available() {
    return engine.available;
  },
  async open() {
    const db = await engine.open();
    const store = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 });
    await store.migrate();
    return {
      store,
      async close() {
        await store.close();
        await db.close();
      },
    };
  },
}));

/** Memory, PGlite and PostgreSQL. */
export const storeEngines: readonly StoreEngine[] = [memoryEngine, ...sqlStoreEngines];

/** Append `count` events of `type` to stream `streamId`, in appends of `perAppend`. */
export async function appendMany(
  store: EventStore,
  streamId: string,
  count: number,
  type = 'test.happened',
  data: (i: number) => unknown = (i) => ({ i }),
  perAppend = 50,
): Promise<LogCheckpoint> {
  let last: LogCheckpoint = START_CHECKPOINT;
  for (let start = 0; start < count; start += perAppend) {
    const events = [];
    for (let i = start; i < Math.min(count, start + perAppend); i++) events.push({ type, data: data(i) });
    last = (await store.append(streamId, events)).checkpoint;
  }
  await visible(store, last);
  return last;
}

/**
 * Wait until log readers can see `checkpoint`. On a shared PostgreSQL server,
 * another session's open transaction holds readers back for a moment (the
 * gapless-log rule), so "the head" right after an append may not include it yet.
 */
export async function visible(store: EventStore, checkpoint: LogCheckpoint): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (compareCheckpoints(await store.headCheckpoint(), checkpoint) >= 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`checkpoint ${checkpoint} never became visible`);
}
