/**
 * `select=` against the SQL snapshot (PGlite and PostgreSQL) on a channel
 * that declares no columns: the snapshot reads only the key, tenant, filter
 * and selected columns, and a column the table lacks is `INVALID_SELECT`
 * (400) before any row is sent — through the hub, not only the port.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import { InvalidSelectError } from '../../src/realtime/errors.js';
import { parseFilter } from '../../src/realtime/filter.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { readProcessorCheckpoint } from '../../src/processing/checkpoint-reader.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { type TestDatabase, sqlEngines } from '../support/databases.js';
import { CHANNELS, inventory } from './support.js';

describe.each(sqlEngines)('select= on $name', (engine) => {
  let db: TestDatabase;

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    const s = quoteIdent(db.schema);
    await db.sql.exec(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.inventory_alerts (
        creator_id text NOT NULL, sku text NOT NULL, severity text, stock int, note text,
        PRIMARY KEY (creator_id, sku));
      CREATE TABLE ${s}.processor_checkpoints (processor text PRIMARY KEY, checkpoint text NOT NULL);
      INSERT INTO ${s}.processor_checkpoints VALUES ('projection:inventory_alerts', '5:6');
      INSERT INTO ${s}.inventory_alerts VALUES ('c1','A','critical',3,'n1'), ('c1','B','warning',30,'n2'), ('c2','A','critical',1,'n3');`);
  });
  afterAll(async () => db?.close());

  const snapshotOf = () =>
    createSqlSnapshot(db.sql, {
      schema: db.schema,
      checkpoint: readProcessorCheckpoint(db.schema, (c) => `projection:${c.name}`),
    });

  it.skipIf(!engine.available)('reads the key, tenant, filter and selected columns only', async () => {
    const rows = await snapshotOf()(
      inventory,
      parseFilter(inventory, 'severity=eq.critical'),
      ['c1'],
      ['stock'],
    );
    expect(rows).toEqual({
      checkpoint: '5:6',
      rows: [{ creator_id: 'c1', sku: 'A', severity: 'critical', stock: 3 }],
    });
  });

  it.skipIf(!engine.available)('sends the selected columns and the key through the hub', async () => {
    const hub = createRealtimeHub({ channels: CHANNELS, snapshot: snapshotOf(), heartbeatMs: 0 });
    const reset = await firstValueFrom(
      hub.messages(
        { channel: 'inventory_alerts', filter: 'severity=eq.critical', select: ['stock'] },
        { userId: 'u', tenantIds: ['c1'] },
      ),
    );
    expect(reset).toMatchObject({ type: 'reset', rows: [{ creator_id: 'c1', sku: 'A', stock: 3 }] });
    expect(Object.keys(reset.rows![0]!).sort()).toEqual(['creator_id', 'sku', 'stock']);
    await hub.close();
  });

  it.skipIf(!engine.available)('refuses a column the table lacks with INVALID_SELECT', async () => {
    await expect(
      snapshotOf()(inventory, parseFilter(inventory, ''), ['c1'], ['stock', 'colour']),
    ).rejects.toThrow(InvalidSelectError);
    const hub = createRealtimeHub({ channels: CHANNELS, snapshot: snapshotOf(), heartbeatMs: 0 });
    const failed = firstValueFrom(
      hub
        .messages({ channel: 'inventory_alerts', select: ['colour'] }, { userId: 'u', tenantIds: ['c1'] })
        .pipe(toArray()),
    );
    const error = await failed.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidSelectError);
    expect(error).toMatchObject({ code: 'INVALID_SELECT', column: 'colour' });
    await hub.close();
  });
});
