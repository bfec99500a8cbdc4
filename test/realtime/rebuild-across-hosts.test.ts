/**
 * A projection rebuilt by another process (the CLI) reaches every host's
 * subscribers: each engine notices the projection's new generation (woken by
 * the swap's notification, or by its poll when it missed it) and reloads the
 * channels that projection feeds, and only those. The same for a projection
 * set's tables (a host's `readModels`, e.g. the commerce read models).
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { LiveTable } from '../../src/client/live-table.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { type SyncEngine, createSyncEngine } from '../../src/engine.js';
import {
  createProjectionSet,
  defineProjection,
  projectionRebuiltTopic,
  type ProjectionSet,
} from '../../src/processing/index.js';
import type { ProjectionDefinition } from '../../src/processing/projection/definition.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { StoredEvent } from '../../src/store/types.js';
import { postgresUrl, sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

interface StockRow extends Record<string, unknown> {
  creator_id: string;
  sku: string;
  quantity: number;
}

/** Quantity per creator and sku, in `table` (a channel of the same name). */
function stockProjection(table: string): ProjectionDefinition {
  return defineProjection<StockRow>({
    name: table,
    key: ['creator_id', 'sku'],
    migrations: [
      `CREATE TABLE :TABLE: (creator_id text NOT NULL, sku text NOT NULL, quantity int NOT NULL,
         PRIMARY KEY (creator_id, sku))`,
    ],
    channel: { tenantColumn: 'creator_id', filterableColumns: ['quantity'], throttleMs: 0 },
    handlers: {
      'stock.set': {
        key: (e: StoredEvent) => ({
          creator_id: (e.data as StockRow).creator_id,
          sku: (e.data as StockRow).sku,
        }),
        apply: (_row, e: StoredEvent) => ({ quantity: (e.data as StockRow).quantity }),
      },
    },
  }) as unknown as ProjectionDefinition;
}

const REBUILT = stockProjection('rb_stock');
const OTHER = stockProjection('rb_other');
const alice = { userId: 'alice', tenantIds: ['c1'] };

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Another connection to the same database: a pool of its own on PostgreSQL, the one instance on PGlite. */
function anotherConnection(db: TestDatabase, engineName: string): SqlClient {
  if (engineName !== 'postgres') return db.sql;
  const pool = new pg.Pool({ connectionString: postgresUrl()!, max: 4 });
  const sql = fromPg(pool);
  cleanup.push(async () => {
    await sql.close?.();
    await pool.end();
  });
  return sql;
}

/**
 * `sql` whose notifications of rebuilds are dropped while `deaf` is set (a
 * LISTEN connection that was down), with its reconnect callback kept.
 */
function hardOfHearing(sql: SqlClient, schema: string) {
  const state = { deaf: false, reconnected: [] as (() => void)[] };
  const topic = projectionRebuiltTopic(schema);
  const listen = sql.listen?.bind(sql);
  const client: SqlClient = {
    ...sql,
    ...(listen
      ? {
          listen: (channel: string, onNotify: (payload: string) => void, onReconnect?: () => void) => {
            if (channel !== topic) return listen(channel, onNotify, onReconnect);
            if (onReconnect) state.reconnected.push(onReconnect);
            return listen(channel, (payload) => state.deaf || onNotify(payload), onReconnect);
          },
        }
      : {}),
  };
  return { client, state };
}

/** A host: an engine serving both projections' channels. */
async function host(sql: SqlClient, schema: string, engineName: string, rebuildPollIntervalMs?: number) {
  const engine = createSyncEngine({
    sql,
    schema,
    store: { pollIntervalMs: 100 },
    projections: [REBUILT, OTHER],
    // PGlite is one process: no pub/sub (every host below reads the same instance).
    ...(engineName === 'postgres' ? {} : { pubsub: null }),
    ...(rebuildPollIntervalMs !== undefined ? { rebuildPollIntervalMs } : {}),
    realtime: { windowMs: 10, heartbeatMs: 0 },
  });
  await engine.start();
  cleanup.push(() => engine.close());
  return engine;
}

/** A subscriber of `channel` on `engine` (resuming from `cursor`): its rows and the envelopes it got. */
function subscriber(engine: SyncEngine, channel: string, cursor?: string) {
  const table = new LiveTable();
  const seen: Envelope[] = [];
  const sub = engine.hub.messages({ channel, ...(cursor ? { cursor } : {}) }, alice).subscribe((e) => {
    seen.push(e);
    table.apply(e);
  });
  cleanup.push(() => sub.unsubscribe());
  return {
    table,
    seen,
    resets: () => seen.filter((e) => e.type === 'reset').length,
    cursor: () => seen.findLast((e) => e.type === 'reset' || e.type === 'data')?.cursor,
    ready: () => waitFor(() => seen.some((e) => e.type === 'ready')),
  };
}

const byKey = (rows: Record<string, unknown>[]) =>
  rows.map((r) => `${String(r.sku)}=${String(r.quantity)}`).sort();

async function tableRows(sql: SqlClient, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql.query<StockRow>(
    `SELECT sku, quantity FROM "${schema}"."${table}" WHERE creator_id = 'c1'`,
  );
  return byKey(rows);
}

/** `creatorflow-sync rebuild <name>` run by a third party on its own connection. */
async function rebuildThroughCli(sql: SqlClient, schema: string, name: string): Promise<void> {
  let out = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (out += t) },
    isTTY: false,
    cwd: process.cwd(),
    loadConfig: async () => ({
      store: () => createEventStore({ sql, schema }),
      projections: [REBUILT, OTHER],
    }),
  };
  expect(await runCli(['rebuild', name], io), out).toBe(0);
}

/**
 * Two hosts whose subscribers hold `rb_stock` rows that differ from what the
 * log says (repaired behind the stream's back: a quantity off, a stray row),
 * which is what a rebuild puts right.
 */
async function hostsWithStaleRows(
  db: TestDatabase,
  engineName: string,
  sqls: [SqlClient, SqlClient],
  pollMs: [number | undefined, number | undefined],
) {
  const a = await host(sqls[0], db.schema, engineName, pollMs[0]);
  const b = await host(sqls[1], db.schema, engineName, pollMs[1]);
  for (let i = 0; i < 3; i++) {
    await a.store.append(`stock-${i}`, [
      { type: 'stock.set', data: { creator_id: 'c1', sku: `S${i}`, quantity: i } },
    ]);
  }
  await Promise.all([a.whenCaughtUp({ timeoutMs: 30_000 }), b.whenCaughtUp({ timeoutMs: 30_000 })]);
  const s = `"${db.schema}"`;
  await db.sql.query(`UPDATE ${s}.rb_stock SET quantity = quantity + 1000 WHERE sku = 'S1'`);
  await db.sql.query(`INSERT INTO ${s}.rb_stock VALUES ('c1', 'STRAY', 7)`);
  const rebuiltSubs = [subscriber(a, 'rb_stock'), subscriber(b, 'rb_stock')] as const;
  const otherSubs = [subscriber(a, 'rb_other'), subscriber(b, 'rb_other')] as const;
  await Promise.all([...rebuiltSubs, ...otherSubs].map((c) => c.ready()));
  for (const c of rebuiltSubs) expect(byKey(c.table.rows())).toContain('STRAY=7');
  return { a, b, rebuiltSubs, otherSubs };
}

describe.each(sqlEngines)('a projection rebuilt by the CLI, on $name', (engine) => {
  it.skipIf(!engine.available)(
    "resets the subscribers of its channels on every host with the rebuilt rows, and no other projection's",
    async () => {
      const db = await engine.open();
      cleanup.push(() => db.close());
      const sqls: [SqlClient, SqlClient] = [db.sql, anotherConnection(db, engine.name)];
      const { rebuiltSubs, otherSubs } = await hostsWithStaleRows(db, engine.name, sqls, [
        undefined,
        undefined,
      ]);

      await rebuildThroughCli(anotherConnection(db, engine.name), db.schema, 'rb_stock');
      const rebuilt = await tableRows(db.sql, db.schema, 'rb_stock');
      expect(rebuilt).toEqual(['S0=0', 'S1=1', 'S2=2']);
      // Default poll (5 s) or the swap's notification: either way, within the test's bound.
      await waitFor(() =>
        rebuiltSubs.every((c) => JSON.stringify(byKey(c.table.rows())) === JSON.stringify(rebuilt)),
      );
      // The initial snapshot, then the rebuilt one (the stray row gone with it).
      for (const c of rebuiltSubs) expect(c.resets()).toBe(2);
      // Both hosts reloaded rb_stock; rb_other, fed by another projection, was left alone.
      for (const c of otherSubs) expect(c.resets()).toBe(1);
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    'a host that missed the notification resets when its LISTEN reconnects, or at its next poll',
    async () => {
      const db = await engine.open();
      cleanup.push(() => db.close());
      // Host A never polls (an hour) and hears nothing: only a reconnect tells it.
      const deafA = hardOfHearing(db.sql, db.schema);
      // Host B hears nothing either: its poll (every 200 ms) finds the new generation.
      const deafB = hardOfHearing(anotherConnection(db, engine.name), db.schema);
      deafA.state.deaf = true;
      deafB.state.deaf = true;
      const { rebuiltSubs, otherSubs } = await hostsWithStaleRows(
        db,
        engine.name,
        [deafA.client, deafB.client],
        [3_600_000, 200],
      );
      const [onA, onB] = rebuiltSubs;

      await rebuildThroughCli(anotherConnection(db, engine.name), db.schema, 'rb_stock');
      const rebuilt = await tableRows(db.sql, db.schema, 'rb_stock');
      await waitFor(() => onB.resets() === 2);
      await waitFor(() => JSON.stringify(byKey(onB.table.rows())) === JSON.stringify(rebuilt));
      // A has not noticed: its notification was lost and it does not poll.
      expect(onA.resets()).toBe(1);
      expect(byKey(onA.table.rows())).toContain('STRAY=7');

      if (deafA.state.reconnected.length > 0) {
        // Its LISTEN comes back: notifications sent meanwhile were lost, so it compares at once.
        deafA.state.deaf = false;
        for (const reconnected of deafA.state.reconnected) reconnected();
        await waitFor(() => JSON.stringify(byKey(onA.table.rows())) === JSON.stringify(rebuilt));
        expect(onA.resets()).toBe(2);
      }
      for (const c of otherSubs) expect(c.resets()).toBe(1);
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    'a cursor from before the rebuild resumes with a snapshot on a host started after it, too',
    async () => {
      const db = await engine.open();
      cleanup.push(() => db.close());
      const sqls: [SqlClient, SqlClient] = [db.sql, anotherConnection(db, engine.name)];
      const { b, rebuiltSubs } = await hostsWithStaleRows(db, engine.name, sqls, [undefined, undefined]);
      // A client of host A holds the old rows and their cursor; it is away during the rebuild.
      const cursor = rebuiltSubs[0].cursor()!;
      expect(cursor).toBeTruthy();

      await rebuildThroughCli(anotherConnection(db, engine.name), db.schema, 'rb_stock');
      const rebuilt = await tableRows(db.sql, db.schema, 'rb_stock');
      await waitFor(() => rebuiltSubs.every((c) => c.resets() === 2));
      // Host C starts after the rebuild; a subscriber's snapshot tells its buffer where it starts.
      const c = await host(anotherConnection(db, engine.name), db.schema, engine.name);
      await subscriber(c, 'rb_stock').ready();

      for (const target of [b, c]) {
        const back = subscriber(target, 'rb_stock', cursor);
        await back.ready();
        // Not resumed as deltas against the old rows: a snapshot of the rebuilt ones.
        expect(back.seen[0]?.type).toBe('reset');
        expect(byKey(back.table.rows())).toEqual(rebuilt);
      }
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    "a rebuild run inside one host's process resets every host's subscribers once, with no call",
    async () => {
      const db = await engine.open();
      cleanup.push(() => db.close());
      const sqls: [SqlClient, SqlClient] = [db.sql, anotherConnection(db, engine.name)];
      const { a, rebuiltSubs, otherSubs } = await hostsWithStaleRows(db, engine.name, sqls, [200, 200]);
      await a.projections.get('rb_stock')!.rebuild();
      const rebuilt = await tableRows(db.sql, db.schema, 'rb_stock');
      await waitFor(() =>
        rebuiltSubs.every((c) => JSON.stringify(byKey(c.table.rows())) === JSON.stringify(rebuilt)),
      );
      // The progress event, the notification and the polls compare one generation: one reload
      // (that a generation is reported once is rebuild-watch.test.ts's).
      for (const c of rebuiltSubs) expect(c.resets()).toBe(2);
      for (const c of otherSubs) expect(c.resets()).toBe(1);
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    "a projection set rebuilt on one host resets every host's subscribers of its tables' channels",
    async () => {
      const db = await engine.open();
      cleanup.push(() => db.close());
      const SET_TABLE = stockProjection('rbs_stock');
      const channel = {
        name: 'rbs_stock',
        keyColumns: ['creator_id', 'sku'],
        tenantColumn: 'creator_id',
        filterableColumns: [],
        throttleMs: 0,
      };
      const sets: ProjectionSet[] = [];
      const setHost = async (sql: SqlClient) => {
        const engineOfHost = createSyncEngine({
          sql,
          schema: db.schema,
          store: { pollIntervalMs: 100 },
          readModels: (store) => {
            const set = createProjectionSet({ store, name: 'rbs', definitions: [SET_TABLE] });
            sets.push(set);
            return [set];
          },
          channels: [channel],
          ...(engine.name === 'postgres' ? {} : { pubsub: null }),
          rebuildPollIntervalMs: 3_600_000,
          realtime: { windowMs: 10, heartbeatMs: 0 },
        });
        await engineOfHost.start();
        cleanup.push(() => engineOfHost.close());
        return engineOfHost;
      };
      const a = await setHost(db.sql);
      const b = await setHost(anotherConnection(db, engine.name));
      await a.store.append('stock-0', [
        { type: 'stock.set', data: { creator_id: 'c1', sku: 'S0', quantity: 3 } },
      ]);
      await db.sql.query(`INSERT INTO "${db.schema}".rbs_stock VALUES ('c1', 'STRAY', 7)`);
      const subs = [subscriber(a, 'rbs_stock'), subscriber(b, 'rbs_stock')];
      await Promise.all(subs.map((c) => c.ready()));
      for (const c of subs) expect(byKey(c.table.rows())).toEqual(['S0=3', 'STRAY=7']);

      // No poll for an hour: the swap's notification (PGlite: one instance, the same
      // connection's) is what tells both hosts.
      await sets[0]!.rebuild();
      await waitFor(() => subs.every((c) => JSON.stringify(byKey(c.table.rows())) === '["S0=3"]'));
      for (const c of subs) expect(c.resets()).toBe(2);
    },
    60_000,
  );
});
