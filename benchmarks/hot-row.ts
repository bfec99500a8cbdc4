/**
 * `npm run bench -- hot-row`: `read_models.hot_row` — concurrent appends that
 * each change their own product's row and one row every append shares (a
 * tenant's totals), in an inline projection set on real PostgreSQL. The
 * shared row is folded two ways in the same run, on the same database,
 * alternating: `apply` (read, change, write back: its lock held from before
 * the append's write to COMMIT) and `merge` (`ProjectionHandler.merge`: the
 * delta merged in the database, the lock held only while COMMIT runs).
 * Reported per way: appends per second and append latency p50/p95/p99
 * (medians over runs), and whether the totals equal the appends.
 *
 * Environment: BENCH_PG_URL, BENCH_HOT_CONCURRENCY (32 callers),
 * BENCH_HOT_APPENDS (4,000 per run), BENCH_RUNS (3 per way).
 */
import { loadavg } from 'node:os';
import { fromPg } from '../src/adapters/pg.js';
import type { Row } from '../src/core/row-change.js';
import {
  createProjectionSet,
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../src/processing/index.js';
import { createEventStore } from '../src/store/index.js';
import { closedLoop, type LoadResult } from './support/load.js';
import { dropSchema, freshSchemaName, openPool } from './support/pg-bench.js';
import { emit, median } from './support/stats.js';

interface Sale {
  tenant: string;
  product: string;
  amount: number;
  at: string;
}
const saleOf = (data: unknown) => data as Sale;

const products = defineProjection({
  name: 'hot_products',
  key: ['tenant', 'product'],
  migrations: [
    'CREATE TABLE :TABLE: (tenant text, product text, sales int NOT NULL, revenue bigint NOT NULL, PRIMARY KEY (tenant, product))',
  ],
  handlers: {
    'sale.made': {
      key: (e) => ({ tenant: saleOf(e.data).tenant, product: saleOf(e.data).product }),
      apply: (row, e) => ({
        sales: Number(row?.['sales'] ?? 0) + 1,
        revenue: Number(row?.['revenue'] ?? 0) + saleOf(e.data).amount,
      }),
    },
  },
});

const TOTALS_DDL =
  'CREATE TABLE :TABLE: (tenant text PRIMARY KEY, sales int NOT NULL, revenue bigint NOT NULL, last_at timestamptz NOT NULL)';

/** The tenant's totals, folded by `way`. */
function totals(way: 'apply' | 'merge'): ProjectionDefinition {
  const key = (e: { data: unknown }) => ({ tenant: saleOf(e.data).tenant });
  const handler: ProjectionHandler<Row> =
    way === 'apply'
      ? {
          key,
          apply: (row, e) => ({
            sales: Number(row?.['sales'] ?? 0) + 1,
            revenue: Number(row?.['revenue'] ?? 0) + saleOf(e.data).amount,
            last_at:
              row && new Date(row['last_at'] as string).getTime() > Date.parse(saleOf(e.data).at)
                ? row['last_at']
                : saleOf(e.data).at,
          }),
        }
      : {
          key,
          merge: {
            columns: { sales: 'sum', revenue: 'sum', last_at: 'max' },
            delta: (e: { data: unknown }) => ({
              sales: 1,
              revenue: saleOf(e.data).amount,
              last_at: saleOf(e.data).at,
            }),
          },
        };
  return defineProjection({
    name: `hot_totals_${way}`,
    key: ['tenant'],
    migrations: [TOTALS_DDL],
    handlers: { 'sale.made': handler },
  });
}

export default async function run(): Promise<void> {
  const concurrency = Number(process.env['BENCH_HOT_CONCURRENCY'] ?? 32);
  const appends = Number(process.env['BENCH_HOT_APPENDS'] ?? 4_000);
  const runs = Number(process.env['BENCH_RUNS'] ?? 3);
  const schema = freshSchemaName('bench_hot');
  const pool = openPool({ max: 16 });
  const store = createEventStore({ sql: fromPg(pool), schema });
  const results = { apply: [] as LoadResult[], merge: [] as LoadResult[] };
  const exact = { apply: true, merge: true };
  try {
    await store.migrate();
    for (let i = 0; i < runs; i++) {
      for (const way of ['apply', 'merge'] as const) {
        const tenant = `t-${way}-${i}`;
        const set = createProjectionSet({
          store,
          name: `hot_${way}`,
          definitions: [products, totals(way)],
          tenantOf: () => 'one',
        });
        await set.start();
        try {
          let revenue = 0;
          const result = await closedLoop({
            concurrency,
            calls: appends,
            eventsPerCall: 1,
            call: (n) => {
              revenue += n % 50;
              return store.append(`hot-${way}-${i}-${n % 200}`, [
                {
                  type: 'sale.made',
                  data: { tenant, product: `p${n % 200}`, amount: n % 50, at: new Date().toISOString() },
                },
              ]);
            },
          });
          results[way].push(result);
          const row = await set.unscopedFind<Row>(`hot_totals_${way}`, { tenant });
          if (Number(row?.['sales']) !== appends || Number(row?.['revenue']) !== revenue) exact[way] = false;
        } finally {
          await set.stop();
        }
      }
    }
    for (const way of ['apply', 'merge'] as const) {
      const r = results[way];
      emit({
        name: 'read_models.hot_row',
        engine: 'postgres',
        fold: way,
        concurrency,
        appends_per_run: appends,
        runs,
        appends_per_s: Math.round(median(r.map((x) => x.events_per_s))),
        p50_ms: median(r.map((x) => x.p50_ms)),
        p95_ms: median(r.map((x) => x.p95_ms)),
        p99_ms: median(r.map((x) => x.p99_ms)),
        totals_exact: exact[way],
        load_avg_1m: Math.round(loadavg()[0]! * 100) / 100,
      });
    }
  } finally {
    await store.close();
    await dropSchema(schema);
    await pool.end();
  }
}
