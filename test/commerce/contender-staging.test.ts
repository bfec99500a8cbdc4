/**
 * The conflict staging port (`ContenderStaging`) on memory, PGlite and
 * PostgreSQL, the same answers from each adapter: a report is staged once,
 * an entity is open from its earliest report, reports come back by time then
 * event id (one entity or several in one read), and settled ones leave.
 * `contenderStagingOf` gives an in-memory store one staging for its life.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  contenderStagingOf,
  entityKey,
  MemoryContenderStaging,
  SqlContenderStaging,
  type ContenderStaging,
  type StagedContender,
} from '../../src/commerce/index.js';
import { createEventStore } from '../../src/store/index.js';
import { portEngines } from './port-engines.js';
import { sqlEngines } from '../support/databases.js';
import { runMigrations } from '../../src/core/migrator.js';
import { SYNC_CONTENDERS_COMPONENT } from '../../src/commerce/conflicts/contender-staging.js';
import { migrations } from '../../src/commerce/conflicts/sql/index.generated.js';
import { staged } from './staged-report.js';

interface Opened {
  staging: ContenderStaging;
  close(): Promise<void>;
}

const adapters = portEngines<Omit<Opened, 'close'>>(
  () => ({ staging: new MemoryContenderStaging() }),
  (db) => ({ staging: new SqlContenderStaging(db.sql, db.schema) }),
);

const report = (eventId: string, entityId: string, atMs: number, value: number): StagedContender =>
  staged(eventId, atMs, entityId, { source: 'tiktok_webhook', sourceId: 'shop', quantity: value });

const entity = (entityId: string) => ({ creatorId: 'c1', entityType: 'inventory' as const, entityId });

describe.each(adapters)('contender staging ($name)', (adapter) => {
  let opened: Opened;
  beforeEach(async () => {
    opened = await adapter.open();
    await opened.staging.migrate();
  });
  afterEach(async () => {
    await opened.close();
  });

  it('stages a report once and opens its entity from the earliest report', async () => {
    const { staging } = opened;
    await staging.add([report('e2', 'p1', 200, 5), report('e1', 'p1', 100, 4), report('e3', 'p2', 300, 9)]);
    await staging.add([report('e1', 'p1', 999, 0)]); // staged before: ignored
    await staging.add([]);
    expect(await staging.open()).toEqual(
      expect.arrayContaining([
        { ...entity('p1'), anchorMs: 100, reports: 2, atMsSum: 300 },
        { ...entity('p2'), anchorMs: 300, reports: 1, atMsSum: 300 },
      ]),
    );
    expect(await staging.open()).toHaveLength(2);
    expect((await staging.load(entity('p1'))).map((r) => [r.eventId, r.atMs, r.contender.changes])).toEqual([
      ['e1', 100, { quantity: 4 }],
      ['e2', 200, { quantity: 5 }],
    ]);
  });

  it('loads several entities in one read, each by time then event id, and drops settled reports', async () => {
    const { staging } = opened;
    await staging.add([report('b', 'p1', 100, 1), report('a', 'p1', 100, 2), report('c', 'p2', 50, 3)]);
    const many = await staging.loadMany([entity('p1'), entity('p2'), entity('none')]);
    expect(many.get(entityKey(entity('p1')))!.map((r) => r.eventId)).toEqual(['a', 'b']);
    expect(many.get(entityKey(entity('p2')))!.map((r) => r.eventId)).toEqual(['c']);
    expect(many.has(entityKey(entity('none')))).toBe(false);
    expect((await staging.loadMany([])).size).toBe(0);
    await staging.remove(['a', 'c']);
    await staging.remove([]);
    expect((await staging.open()).map((e) => e.entityId)).toEqual(['p1']);
    expect((await staging.load(entity('p1'))).map((r) => r.eventId)).toEqual(['b']);
  });
});

describe.each(sqlEngines)('contender staging, upgraded ($name)', (engine) => {
  it.skipIf(!engine.available)('reads back a report staged as jsonb before migration 2', async () => {
    const db = await engine.open();
    try {
      const component = { schema: db.schema, component: SYNC_CONTENDERS_COMPONENT };
      await runMigrations(db.sql, { ...component, migrations: migrations.slice(0, 1) });
      const old = report('e1', 'p1', 100, 4);
      await db.sql.query(
        `INSERT INTO "${db.schema}".sync_contenders (event_id, creator_id, entity_type, entity_id, at_ms, contender)
         VALUES ($1, 'c1', 'inventory', 'p1', 100, $2::jsonb)`,
        ['e1', JSON.stringify(old.contender)],
      );
      const staging = new SqlContenderStaging(db.sql, db.schema);
      await staging.migrate();
      await staging.add([report('e2', 'p1', 200, 5)]);
      expect(await staging.load(entity('p1'))).toEqual([old, report('e2', 'p1', 200, 5)]);
    } finally {
      await db.close();
    }
  });
});

describe('contenderStagingOf', () => {
  it('gives an in-memory store one staging for its life', async () => {
    const store = createEventStore();
    const first = contenderStagingOf(store);
    await first.add([report('e1', 'p1', 100, 4)]);
    expect(contenderStagingOf(store)).toBe(first);
    expect(contenderStagingOf(createEventStore())).not.toBe(first);
    await store.close();
  });
});
