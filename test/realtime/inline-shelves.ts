/**
 * An inline projection feeding a realtime channel (rows changed in the
 * writers' own transactions, no processor checkpoint), for the realtime
 * suites about such channels: quantity per creator and sku.
 */
import type { SqlClient } from '../../src/core/sql-client.js';
import { createSyncEngine, type SyncEngine } from '../../src/engine.js';
import { defineProjection } from '../../src/processing/index.js';
import type { ProjectionDefinition } from '../../src/processing/projection/definition.js';
import type { StoredEvent } from '../../src/store/types.js';

/** A row, and the payload of `shelf.counted`. */
export interface Shelf extends Record<string, unknown> {
  creator_id: string;
  sku: string;
  quantity: number;
}

/** The inline projection (and channel) named `name`. */
export function inlineShelves(name: string): ProjectionDefinition {
  return defineProjection<Shelf>({
    name,
    mode: 'inline',
    key: ['creator_id', 'sku'],
    migrations: [
      `CREATE TABLE :TABLE: (creator_id text NOT NULL, sku text NOT NULL, quantity int NOT NULL,
         PRIMARY KEY (creator_id, sku))`,
    ],
    channel: { tenantColumn: 'creator_id', throttleMs: 0 },
    handlers: {
      'shelf.counted': {
        key: (e: StoredEvent) => ({ creator_id: (e.data as Shelf).creator_id, sku: (e.data as Shelf).sku }),
        apply: (_row, e: StoredEvent) => ({ quantity: (e.data as Shelf).quantity }),
      },
    },
  }) as unknown as ProjectionDefinition;
}

/** `shelf.counted` for creator c1. */
export function counted(sku: string, quantity: number) {
  return { type: 'shelf.counted', data: { creator_id: 'c1', sku, quantity } };
}

/**
 * A started engine serving `shelves` as its one read model, on `db`, with no
 * pub/sub, a 10 ms coalescing window and no heartbeats (`realtime` adds to those).
 */
export async function startShelvesEngine(
  db: { sql: SqlClient; schema: string },
  shelves: ProjectionDefinition,
  realtime: { replay?: { maxBatches?: number } } = {},
): Promise<SyncEngine> {
  const engine = createSyncEngine({
    sql: db.sql,
    schema: db.schema,
    projections: [shelves],
    pubsub: null,
    realtime: { windowMs: 10, heartbeatMs: 0, ...realtime },
  });
  await engine.start();
  return engine;
}
