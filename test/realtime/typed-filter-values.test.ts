/**
 * Filter values of typed columns mean what the database says they mean, in
 * the SQL snapshot and in the live matcher alike: a declared `text` column
 * compares as written (`'007'` is not `'7'`, `'9'` sorts after `'10'`), a
 * `date` or `timestamp` column compares the driver's `Date` with the literal,
 * and the tenant column is exact text, so an admin audited for tenant `1`
 * never receives tenant `001`'s rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAccessAudit } from '../../src/access/index.js';
import type { Envelope } from '../../src/core/envelope.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import { type ChannelDefinition, defineChannels } from '../../src/realtime/channels.js';
import { matchesFilter, parseFilter } from '../../src/realtime/filter.js';
import { foldChanges } from '../../src/realtime/fold.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { type TestDatabase, sqlEngines } from '../support/databases.js';

const ITEMS: readonly ChannelDefinition[] = [
  {
    name: 'items',
    keyColumns: ['tenant_id', 'sku'],
    tenantColumn: 'tenant_id',
    filterableColumns: ['code', 'day', 'at'],
    columnTypes: { sku: 'text', code: 'text', day: 'date', at: 'timestamp' },
    throttleMs: 0,
  },
];
const items = defineChannels(ITEMS).get('items')!;

const FILTERS = [
  'sku=eq.007',
  'sku=in.(007,10)',
  'sku=neq.7',
  'code=lt.9',
  'code=gte.10',
  'day=eq.2026-12-05',
  'day=gt.2026-12-05',
  'day=lte.2026-12-05',
  'at=eq.2026-12-05T10:00:00Z',
  'at=lt.2026-12-05T11:00:00.000Z',
  'at=gte.2026-12-05 11:00:00+00:00',
];

describe.each(sqlEngines)('typed filter values on $name', (engine) => {
  let db: TestDatabase;
  let s: string;

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    s = quoteIdent(db.schema);
    await db.sql.exec(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.items (tenant_id text, sku text, code text, day date, at timestamptz,
        PRIMARY KEY (tenant_id, sku));
      INSERT INTO ${s}.items VALUES
        ('t1', '007', '9',  '2026-12-05', '2026-12-05T10:00:00Z'),
        ('t1', '7',   '10', '2026-12-06', '2026-12-05T11:00:00Z'),
        ('t1', '10',  '09', '2026-12-04', '2026-12-05T09:30:00Z');`);
  });
  afterAll(async () => db?.close());

  it.skipIf(!engine.available)('the snapshot and the live matcher pick the same rows', async () => {
    const snapshot = createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '1:1' });
    // The rows as the driver hands them over (dates as Date objects), which the hub re-checks.
    const all = (await snapshot(items, parseFilter(items, ''), ['t1'])).rows;
    expect(all).toHaveLength(3);
    for (const text of FILTERS) {
      const filter = parseFilter(items, text);
      const fromSql = (await snapshot(items, filter, ['t1'])).rows.map((r) => r.sku);
      const inMemory = all.filter((r) => matchesFilter(filter, r)).map((r) => r.sku);
      expect({ text, skus: fromSql }).toEqual({ text, skus: inMemory });
      expect({ text, empty: fromSql.length === 0 }).toEqual({ text, empty: false });
    }
  });

  it.skipIf(!engine.available)('a subscription on a date column gets its snapshot rows', async () => {
    const snapshot = createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '1:1' });
    const hub = createRealtimeHub({ channels: ITEMS, snapshot, heartbeatMs: 0 });
    const got: Envelope[] = [];
    const auth = { userId: 'u1', tenantIds: ['t1'] };
    hub.subscribe({ channel: 'items', filter: 'day=eq.2026-12-05' }, auth, { write: (e) => got.push(e) > 0 });
    await expect.poll(() => got.map((e) => e.type), { timeout: 10_000 }).toEqual(['reset', 'ready']);
    expect(got[0]!.rows!.map((r) => r.sku)).toEqual(['007']);
    await hub.close();
  });
});

describe('typed filter values live', () => {
  function setup(accessAudit?: MemoryAccessAudit) {
    const model = new MemoryReadModel(ITEMS);
    const window: Parameters<typeof foldChanges>[1][number][] = [];
    model.changes.subscribe((c) => window.push(c));
    const hub = createRealtimeHub({
      channels: ITEMS,
      snapshot: model.snapshot,
      heartbeatMs: 0,
      ...(accessAudit ? { accessAudit } : {}),
    });
    const flush = () => {
      const batch = foldChanges(items, window.splice(0));
      if (batch) hub.ingest(batch);
    };
    return { model, hub, flush };
  }

  function keysOf(received: Envelope[]): string[] {
    return received.flatMap((e) => [
      ...(e.rows ?? []).map((r) => `reset:${String(r.tenant_id)}/${String(r.sku)}`),
      ...(e.deltas ?? []).map(([op, key]) => `${op}:${String(key.tenant_id)}/${String(key.sku)}`),
    ]);
  }

  it('a text filter value is matched as written, not as a number', async () => {
    const { model, hub, flush } = setup();
    const got: Envelope[] = [];
    hub.subscribe(
      { channel: 'items', filter: 'sku=eq.007' },
      { userId: 'u1', tenantIds: ['t1'] },
      {
        write: (e) => got.push(e) > 0,
      },
    );
    await expect.poll(() => got.some((e) => e.type === 'ready')).toBe(true);
    model.upsert('items', { tenant_id: 't1', sku: '7', code: 'a' });
    model.upsert('items', { tenant_id: 't1', sku: '007', code: 'b' });
    model.upsert('items', { tenant_id: 't1', sku: '7.0', code: 'c' });
    flush();
    expect(keysOf(got)).toEqual(['INSERT:t1/007']);
    await hub.close();
  });

  it('an admin audited for tenant 1 never receives tenant 001’s rows', async () => {
    const audit = new MemoryAccessAudit();
    const { model, hub, flush } = setup(audit);
    const got: Envelope[] = [];
    const admin = { userId: 'ops', tenantIds: [], roles: ['admin'] };
    hub.subscribe({ channel: 'items', filter: 'tenant_id=eq.1' }, admin, { write: (e) => got.push(e) > 0 });
    await expect.poll(() => got.some((e) => e.type === 'ready')).toBe(true);
    model.upsert('items', { tenant_id: '001', sku: 'A', code: 'x' });
    model.upsert('items', { tenant_id: '1', sku: 'B', code: 'y' });
    flush();
    expect(keysOf(got)).toEqual(['INSERT:1/B']);
    expect((await audit.list()).map((e) => e.tenantIds)).toEqual([['1']]);
    await hub.close();
  });
});
