import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireLease,
  leaseHolder,
  LeaseKeeper,
  migrateProcessing,
  releaseLease,
  renewLease,
  sqlLeases,
} from '../../src/processing/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

describe.each(sqlEngines)('leases on $name', (engine) => {
  let db: TestDatabase;
  beforeEach(async () => {
    if (!engine.available) return;
    db = await engine.open();
    await migrateProcessing(db.sql, db.schema);
  });
  afterEach(async () => {
    if (engine.available) await db.close();
  });
  const target = (owner: string) => ({ sql: db.sql, schema: db.schema, name: 'proc', owner });

  it.skipIf(!engine.available)('one owner at a time; expiry or release lets another in', async () => {
    expect(await acquireLease(target('a'), 60_000)).toBe(true);
    expect(await acquireLease(target('b'), 60_000)).toBe(false);
    expect(await acquireLease(target('a'), 60_000)).toBe(true); // re-entrant for its owner
    expect(await renewLease(target('b'), 60_000)).toBe(false);
    expect(await renewLease(target('a'), 60_000)).toBe(true);
    expect((await leaseHolder(db.sql, db.schema, 'proc'))?.owner).toBe('a');
    await releaseLease(target('b')); // not b's: no effect
    expect((await leaseHolder(db.sql, db.schema, 'proc'))?.owner).toBe('a');
    await releaseLease(target('a'));
    expect(await leaseHolder(db.sql, db.schema, 'proc')).toBeNull();
    expect(await acquireLease(target('b'), 1)).toBe(true);
    await db.sql.query('SELECT pg_sleep(0.01)');
    // b's 1 ms lease has expired: a takes it, and b can no longer renew.
    expect(await acquireLease(target('a'), 60_000)).toBe(true);
    expect(await renewLease(target('b'), 60_000)).toBe(false);
  });

  it.skipIf(!engine.available)('a keeper notices a lost lease on its next heartbeat', async () => {
    let lost = 0;
    const keeper = new LeaseKeeper({
      leases: sqlLeases(db.sql, db.schema),
      name: 'k',
      owner: 'a',
      ttlMs: 60_000,
      renewIntervalMs: 10,
      onLost: () => lost++,
    });
    expect(await keeper.tryAcquire()).toBe(true);
    // Someone deletes the row (e.g. an operator): the heartbeat finds it gone.
    await db.sql.query(`DELETE FROM "${db.schema}".leases WHERE name = 'k'`);
    await expect.poll(() => lost).toBe(1);
    expect(keeper.held).toBe(false);
    await keeper.release();
  });
});
