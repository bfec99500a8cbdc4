/**
 * Cursors are bound to the log they came from. A position means nothing on
 * another log: a client that was following one database and reconnects to a
 * fresh one (a new database, a schema made again) after that log has passed
 * its position used to resume from the new log's replay buffer — keeping rows
 * the new database never had and missing the ones it wrote before that
 * position. The engine's hub now binds cursors to `store.logIdentity()`, so
 * such a cursor gets a snapshot (`cursor_mismatch`); on one log they resume
 * as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveTable } from '../../src/client/live-table.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { SyncEngine } from '../../src/engine.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { sqlEngines } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { counted, inlineShelves, startShelvesEngine } from './inline-shelves.js';

const shelves = inlineShelves('lid_shelves');
const alice = { userId: 'alice', tenantIds: ['c1'] };
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A client of `engine` over a transport that binds cursors (as SSE and WebSocket do). */
function client(engine: SyncEngine, cursor?: string) {
  const table = new LiveTable();
  const seen: Envelope[] = [];
  const resets: string[] = [];
  const onReset = (info: { reason: string }) => resets.push(info.reason);
  engine.hub.events.on('realtime:reset', onReset);
  const sub = engine.hub.subscribe(
    { channel: 'lid_shelves', ...(cursor === undefined ? {} : { cursor }) },
    alice,
    {
      write: (e) => {
        seen.push(e);
        table.apply(e);
        return true;
      },
    },
    { bindCursors: true },
  );
  cleanup.push(() => {
    sub.close();
    engine.hub.events.off('realtime:reset', onReset);
  });
  const rows = () =>
    table
      .rows()
      .map((r) => `${String(r['sku'])}=${String(r['quantity'])}`)
      .sort()
      .join();
  const cursorNow = () => [...seen].reverse().find((e) => e.cursor !== null)?.cursor ?? null;
  return { seen, resets, rows, cursorNow };
}

describe.each(sqlEngines)('realtime cursors bound to their log, on $name', (engine) => {
  const host = async (db?: Awaited<ReturnType<typeof engine.open>>) => {
    const opened = db ?? (await engine.open());
    if (!db) cleanup.push(() => opened.close());
    const h = await startShelvesEngine(opened, shelves);
    cleanup.push(() => h.close());
    return { db: opened, host: h };
  };

  it.skipIf(!engine.available)(
    'a cursor of another database that its log has passed gets a snapshot, not a resume',
    async () => {
      // The fresh database's host is up first, so its replay buffer covers every position after.
      const fresh = await host();
      const watcher = client(fresh.host);
      await waitFor(() => watcher.seen.some((e) => e.type === 'ready'));

      const old = await host();
      const follower = client(old.host);
      await waitFor(() => follower.seen.some((e) => e.type === 'ready'));
      await old.host.store.append('shelf-a', [counted('OLD', 1)]);
      await waitFor(() => follower.rows() === 'OLD=1');
      const cursor = follower.cursorNow();
      expect(cursor).not.toBeNull();

      // The fresh database writes more than the old one did: its log passes the cursor's position.
      for (let i = 0; i < 6; i++) await fresh.host.store.append(`shelf-${i}`, [counted(`NEW${i}`, i)]);
      await waitFor(() => watcher.rows().split(',').length === 6);

      const moved = client(fresh.host, cursor!);
      await waitFor(() => moved.seen.some((e) => e.type === 'ready'));
      expect(moved.resets).toEqual(['cursor_mismatch']);
      // What it holds is the fresh database's rows (from the snapshot), with the old row gone.
      await waitFor(() => moved.rows() === watcher.rows());
      expect(moved.rows()).not.toContain('OLD');
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    'on one log a cursor resumes without a snapshot, and hosts of one database share the identity',
    async () => {
      const first = await host();
      const second = await host(first.db);
      expect(await first.host.store.logIdentity()).toBe(await second.host.store.logIdentity());

      const c = client(first.host);
      await waitFor(() => c.seen.some((e) => e.type === 'ready'));
      await first.host.store.append('shelf-1', [counted('S1', 1)]);
      await waitFor(() => c.rows() === 'S1=1');
      const cursor = c.cursorNow()!;
      await first.host.store.append('shelf-2', [counted('S2', 2)]);

      const again = client(first.host, cursor);
      await waitFor(() => again.seen.some((e) => e.cursor !== null && e.type !== 'reset'));
      expect(again.resets).toEqual([]);
      expect(again.seen.some((e) => e.type === 'reset')).toBe(false);
    },
    60_000,
  );
});

describe('EventStore.logIdentity', () => {
  it('is one per log: stable for a store, different for another', async () => {
    const a = createEventStore();
    const b = createEventStore();
    expect(await a.logIdentity()).toBe(await a.logIdentity());
    expect(await a.logIdentity()).not.toBe(await b.logIdentity());
    await Promise.all([a.close(), b.close()]);
  });

  for (const engine of sqlEngines) {
    it.skipIf(!engine.available)(
      `on ${engine.name}: shared by the stores of one schema, not by another`,
      async () => {
        const one = await engine.open();
        const two = await engine.open();
        cleanup.push(
          () => one.close(),
          () => two.close(),
        );
        const s1 = createEventStore({ sql: one.sql, schema: one.schema });
        const s1b = createEventStore({ sql: one.sql, schema: one.schema });
        const s2 = createEventStore({ sql: two.sql, schema: two.schema });
        cleanup.push(
          () => s1.close(),
          () => s1b.close(),
          () => s2.close(),
        );
        await s1.migrate();
        await s2.migrate();
        const identity = await s1.logIdentity();
        expect(identity).toMatch(/^[0-9a-f-]{36}\.\d+$/);
        expect(await s1b.logIdentity()).toBe(identity);
        expect(await s2.logIdentity()).not.toBe(identity);
        // Migrating again keeps it.
        await s1.migrate();
        expect(await createEventStore({ sql: one.sql, schema: one.schema }).logIdentity()).toBe(identity);
      },
    );
  }
});
