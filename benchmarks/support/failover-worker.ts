/**
 * A worker process of the failover benchmark (`npx tsx benchmarks/support/failover-worker.ts`):
 * the processor, the saga runner and the saga trigger of `failover-app.ts`,
 * all with the library's default leases. Prints `ready` once running and
 * `lease_acquired` when it takes the processor's lease.
 *
 * env: DATABASE_URL, SCHEMA, WORKER_ID, STEP_MS (default 200)
 */
import pg from 'pg';
import { fromPg } from '../../src/adapters/pg.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import { createProcessor } from '../../src/processing/index.js';
import { createSagaRunner, createSagaTrigger } from '../../src/sagas/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { FAILOVER_PROCESSOR, failoverSaga, ORDER_PLACED } from './failover-app.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const worker = env('WORKER_ID');
const schema = env('SCHEMA');
const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (what: string) => (err: unknown) =>
  process.stderr.write(`${worker} ${what}: ${err instanceof Error ? err.message : String(err)}\n`);

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 12 });
const sql = fromPg(pool, { onConnectionError: complain('pool') });
const store = createEventStore({ sql, schema });
const projected = `${quoteIdent(schema)}.projected`;

const processor = createProcessor({
  store,
  name: FAILOVER_PROCESSOR,
  eventTypes: [ORDER_PLACED],
  lease: { owner: worker },
  handleBatch: async (events, { tx }) => {
    // A plain INSERT: an event handled twice would violate the key.
    await tx!.query(
      `INSERT INTO ${projected} (event_id, worker) SELECT id, $2 FROM unnest($1::text[]) AS id`,
      [events.map((e) => e.id), worker],
    );
  },
});
processor.on('processor:lease_acquired', () => say('lease_acquired'));
processor.on('processor:lease_lost', ({ reason }) => say(`lease_lost ${reason}`));
processor.on('error', complain('processor'));

const saga = failoverSaga({ sql, schema, worker, stepMs: Number(env('STEP_MS', '200')) });
const runner = createSagaRunner({ sql, schema, workerId: worker, definitions: [saga] });
runner.on('error', complain('sagas'));
const trigger = createSagaTrigger({
  name: 'failover_trigger',
  runner,
  events: store,
  definition: saga,
  map: (event) => (event.type === ORDER_PLACED ? { input: { orderId: event.aggregateId } } : null),
});

process.on('SIGTERM', () => {
  void (async () => {
    await trigger.stop();
    await runner.close();
    await processor.stop();
    await store.close();
    await sql.close?.();
    await pool.end();
    process.exit(0);
  })();
});

await processor.start();
runner.startWorker();
await trigger.start();
say('ready');
