/**
 * Inline hooks that name their event types: a batch without any of them is
 * not shown to the hook and, on SQL, is written without a transaction (one
 * statement); a batch with one is shown whole, inside its transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore, type SqlClient, type StoredEvent } from '../../src/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

const engines = [{ name: 'memory', available: true, open: undefined }, ...sqlEngines] as const;

describe.each(engines.filter((e) => e.available))('inline hooks with event types on $name', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore;
  let transactions = 0;

  beforeAll(async () => {
    db = engine.open ? await engine.open() : undefined;
    const sql: SqlClient | undefined = db && {
      ...db.sql,
      transaction: (fn) => {
        transactions++;
        return db!.sql.transaction(fn);
      },
    };
    store = createEventStore({ ...(sql ? { sql, schema: db!.schema } : {}) });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db?.close();
  });

  it('sees only batches with a type it reads, and those whole', async () => {
    const seen: StoredEvent[][] = [];
    const everything: StoredEvent[][] = [];
    const removeTyped = store.addInlineHook({
      name: 'typed',
      eventTypes: new Set(['stock.reserved']),
      apply: async ({ tx, events }) => {
        if (db) expect(tx).toBeDefined();
        seen.push([...events]);
      },
    });
    transactions = 0;
    await store.append('order-1', [{ type: 'order.validated', data: {} }]);
    expect(seen).toEqual([]);
    if (db) expect(transactions).toBe(0);
    await store.append('order-1', [
      { type: 'order.allocated', data: {} },
      { type: 'stock.reserved', data: { n: 1 } },
    ]);
    expect(seen.map((batch) => batch.map((e) => e.type))).toEqual([['order.allocated', 'stock.reserved']]);
    if (db) expect(transactions).toBe(1);
    // A hook without types still sees every batch.
    const removeAll = store.addInlineHook({
      name: 'all',
      apply: async ({ events }) => void everything.push([...events]),
    });
    await store.append('order-2', [{ type: 'order.validated', data: {} }]);
    expect(everything).toHaveLength(1);
    expect(seen).toHaveLength(1);
    removeAll();
    removeTyped();
  });
});
