/**
 * Probe (not part of `npm run bench`): `append_batch`'s server CPU per request
 * against the size of one `appendMany` (does a flush of 500 streams cost more
 * per stream than one of 50?). PROBE_NS (sizes, in order), PROBE_EVENTS (3),
 * PROBE_BYTES (payload, 300), PROBE_KEYED (1), PROBE_SAME_STREAMS (write the
 * same streams every round, as settle passes do).
 */
import pg from 'pg';
import { openOurStore } from '../support/our-store.js';
import { PG_URL } from '../support/pg-bench.js';
import { startCpuMeter } from '../support/cpu-meter.js';
const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
const bench = await openOurStore(4);
const payload = { note: 'x'.repeat(Number(process.env.PROBE_BYTES ?? 300)), n: 1 };
let round = 0;
for (const n of (process.env.PROBE_NS ?? '50,500,50,500,100,250').split(',').map(Number)) {
  round++;
  const reqs = Array.from({ length: n }, (_, i) => ({
    streamId: process.env.PROBE_SAME_STREAMS ? `conf-${i}` : `conf-${round}-${i}`,
    events: [
      { type: 'a', data: payload },
      { type: 'b', data: payload },
      { type: 'c', data: payload },
    ].slice(0, Number(process.env.PROBE_EVENTS ?? 3)),
    options: process.env.PROBE_KEYED === '0' ? {} : { idempotencyKey: `k-${round}-${i}` },
  }));
  const q = `select coalesce(sum(total_exec_time),0) t from pg_stat_statements where query like '%${bench.schema}%append_batch%'`;
  const t0 = Number((await admin.query(q)).rows[0].t);
  const meter = await startCpuMeter(bench.schema);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const res = await bench.store.appendMany(reqs);
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  const m = await meter.stop(n);
  const t1 = Number((await admin.query(q)).rows[0].t);
  console.log(
    JSON.stringify({
      n,
      ok: res.filter((r) => r.status === 'fulfilled').length,
      append_batch_ms: +(t1 - t0).toFixed(1),
      server_us_per_req: +(((t1 - t0) * 1000) / n).toFixed(0),
      server_cpu_us_per_req: m.server_cpu_us_per_event,
      client_us_per_req: Math.round((c.user + c.system) / n),
      wall_ms: Math.round(wall),
    }),
  );
}
await bench.dispose();
await admin.end();
