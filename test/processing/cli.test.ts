import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatEta, renderProgressBar, runCli, type CliConfig, type CliIo } from '../../src/cli/index.js';
import { createProjection, type Projection } from '../../src/processing/index.js';
import { stockLevels, type StockRow } from './fixtures/projections.js';
import { appendOrders, creatorTotals } from './partitions/fixtures.js';
import { appendMany, sqlStoreEngines, type TestStore } from './support.js';
import { postgresEngine, postgresUrl } from '../support/databases.js';
import { createEventStore } from '../../src/store/create-event-store.js';

function capture(config?: CliConfig): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    isTTY: false,
    cwd: process.cwd(),
    ...(config ? { loadConfig: async () => config } : {}),
    out: () => out,
    err: () => err,
  };
}

describe('progress bar', () => {
  it('renders done/total, rate and ETA', () => {
    const line = renderProgressBar(
      {
        projection: 'p',
        phase: 'replaying',
        done: 50,
        total: 200,
        ratePerSecond: 25,
        etaMs: 6000,
        checkpoint: '1:50',
      },
      8,
    );
    expect(line).toBe('p [##------]  25% 50/200 events  25 ev/s  ETA 6s');
  });
  it('formats ETAs', () => {
    expect([formatEta(null), formatEta(45_000), formatEta(185_000), formatEta(7_380_000)]).toEqual([
      '?',
      '45s',
      '3m 05s',
      '2h 03m',
    ]);
  });
});

describe('creatorflow-sync arguments', () => {
  it.each([
    [[], 2, /Usage/],
    [['--help'], 0, /Usage/],
    [['explode'], 2, /Unknown command "explode"/],
    [['rebuild'], 2, /exactly one projection/],
    [['rebuild', 'x', '--batch-size', 'lots'], 2, /--batch-size/],
    [['rebuild', 'x', '--frobnicate'], 2, /frobnicate/],
  ])('%j exits %i', async (argv, code, message) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(code);
    expect(io.out() + io.err()).toMatch(message);
  });

  it('reports a missing config file', async () => {
    const io = capture();
    expect(await runCli(['rebuild', 'x', '--config', 'nope.config.js'], io)).toBe(1);
    expect(io.err()).toMatch(/no config file found/);
  });
});

describe.each(sqlStoreEngines)('creatorflow-sync rebuild on $name', (engine) => {
  let t: TestStore;
  let projection: Projection<StockRow>;
  beforeEach(async () => {
    if (!engine.available) return;
    t = await engine.open();
    projection = createProjection({ store: t.store, definition: stockLevels() });
    await projection.start();
  });
  afterEach(async () => {
    if (!engine.available) return;
    await projection.stop();
    await t.close();
  });

  it.skipIf(!engine.available)('rebuilds a projection with a progress bar', async () => {
    await appendMany(
      t.store,
      'sku-1',
      30,
      'stock.set',
      (i) => ({ sku: `s${i % 4}`, warehouse: 'w', quantity: i }),
      10,
    );
    await projection.whenCaughtUp({ timeoutMs: 20_000 });
    const before = await projection.rows();
    const io = capture({ store: t.store, projections: [stockLevels()] });
    expect(await runCli(['rebuild', 'stock_levels', '--progress', '--batch-size', '7'], io)).toBe(0);
    expect(io.out()).toMatch(/Rebuilt stock_levels: 30 events/);
    expect(io.err()).toMatch(/stock_levels \[#+\] 100% 30\/30 events .* done/);
    expect(await projection.rows()).toEqual(before);

    const listed = capture({ store: t.store, projections: [stockLevels(), creatorTotals('totals', 4)] });
    expect(await runCli(['projections'], listed)).toBe(0);
    expect(listed.out()).toBe(
      'stock_levels\tasync\ttable stock_levels\ntotals\tasync\ttable totals\t4 partitions\n',
    );

    const unknown = capture({ store: t.store, projections: [stockLevels()] });
    expect(await runCli(['rebuild', 'nope'], unknown)).toBe(2);
    expect(unknown.err()).toMatch(/Unknown projection "nope"; known: stock_levels/);
  });

  it.skipIf(!engine.available)("changes a projection's partition count by rebuilding it", async () => {
    await appendOrders(t.store, [
      { creator: 1, order: 1, cancel: false },
      { creator: 2, order: 2, cancel: true },
    ]);
    const two = createProjection({ store: t.store, definition: creatorTotals('totals', 2) });
    await two.start();
    await two.stop();
    const three = createProjection({ store: t.store, definition: creatorTotals('totals', 3) });
    await expect(three.start()).rejects.toMatchObject({ code: 'PROCESSOR_LAYOUT_CHANGED' });
    const io = capture({ store: t.store, projections: [creatorTotals('totals', 3)] });
    expect(await runCli(['rebuild', 'totals'], io)).toBe(0);
    expect(io.out()).toMatch(/Rebuilt totals: 3 events .*, 3 partitions\)/);
    await three.start();
    await three.whenCaughtUp({ timeoutMs: 20_000 });
    expect((await three.rows()).map((r) => [r.creator_id, Number(r.orders), Number(r.cancelled)])).toEqual([
      ['c1', 1, 0],
      ['c2', 1, 1],
    ]);
    await three.stop();
  });
});

describe.skipIf(!postgresEngine.available)('creatorflow-sync executable (PostgreSQL)', () => {
  it('runs from the command line with a config module', async () => {
    const db = await postgresEngine.open();
    const store = createEventStore({ sql: db.sql, schema: db.schema });
    try {
      await store.migrate();
      await appendMany(store, 'sku-1', 12, 'stock.set', (i) => ({
        sku: `s${i % 3}`,
        warehouse: 'w',
        quantity: i,
      }));
      const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
      const config = fileURLToPath(new URL('./fixtures/cli-config.ts', import.meta.url));
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', main, 'rebuild', 'stock_levels', '--progress', '--config', config],
        {
          env: { ...process.env, DATABASE_URL: postgresUrl()!, SCHEMA: db.schema },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(run.stderr).toMatch(/100% 12\/12 events/);
      expect(run.stdout).toMatch(/Rebuilt stock_levels: 12 events/);
      expect(run.status).toBe(0);
      const { rows } = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${db.schema}".stock_levels`,
      );
      expect(rows[0]!.n).toBe(3);
    } finally {
      await store.close();
      await db.close();
    }
  });
});
