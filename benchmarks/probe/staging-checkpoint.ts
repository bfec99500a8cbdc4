/**
 * Probe (not part of `npm run bench`): what staging a processor batch of
 * reports costs, the insert and then the checkpoint's UPDATE (as before) or
 * both in one statement (`ctx.withCheckpoint`, as resolve-sync-conflicts
 * stages now), through the real `SqlContenderStaging` and processing state,
 * the two forms alternating. Client CPU from `process.cpuUsage`, server CPU
 * from /proc of the pool's backends (PostgreSQL on this machine).
 * PROBE_BATCH (12: the flow's batch on an idle machine), PROBE_BATCHES (1,000
 * a round), PROBE_ROUNDS (4).
 *
 * @example
 * ```sh
 * npx tsx benchmarks/probe/staging-checkpoint.ts
 * ```
 */
import { randomUUID } from 'node:crypto';
import { SqlContenderStaging } from '../../src/commerce/conflicts/sql-contender-staging.js';
import type { StagedContender } from '../../src/commerce/conflicts/contender-staging.js';
import { sqlProcessingState } from '../../src/processing/state/sql-processing-state.js';
import { startCpuMeter } from '../support/cpu-meter.js';
import { openOurStore } from '../support/our-store.js';

const BATCH = Number(process.env.PROBE_BATCH ?? 12);
const BATCHES = Number(process.env.PROBE_BATCHES ?? 1_000);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 4);

const bench = await openOurStore(1);
const sql = bench.store.sql!;
const staging = new SqlContenderStaging(sql, bench.schema);
await staging.migrate();
const state = sqlProcessingState(sql, bench.schema);
await state.migrate();
const name = 'probe-staging';
let position = 0;
let checkpoint = await state.loadCheckpoint(name, async () => '0:0');

function batch(): StagedContender[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const eventId = randomUUID();
    const entityId = `p${(position + i) % 500}`;
    return {
      eventId,
      creatorId: 'bench-creator',
      entityType: 'inventory',
      entityId,
      atMs: Date.now(),
      contender: {
        entityType: 'inventory',
        entityId,
        source: 'tiktok_webhook',
        sourceId: 'tiktok_webhook',
        eventId,
        hlc: { wallMs: Date.now(), logical: 0, node: 'tiktok_webhook' },
        changes: { quantity: 150 },
      },
    };
  });
}

async function run(together: boolean): Promise<{ client: number; server: number | null }> {
  const rows = Array.from({ length: BATCHES }, batch);
  const meter = await startCpuMeter(bench.schema);
  for (const staged of rows) {
    position += BATCH;
    const next = `${position}:0`;
    // As the processor's at-least-once commit does: the work, then the fenced update unless the
    // work sent its one write with it.
    await state.commit(
      name,
      checkpoint,
      next,
      async (_tx, withCheckpoint) => staging.add(staged, together ? withCheckpoint : undefined),
      { atomic: false },
    );
    checkpoint = next;
  }
  const cpu = await meter.stop(BATCHES * BATCH);
  await sql.query(`DELETE FROM "${bench.schema}".sync_contenders`);
  return { client: cpu.client_cpu_us_per_event, server: cpu.server_cpu_us_per_event };
}

try {
  await run(true); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const together of round % 2 === 0 ? [false, true] : [true, false]) {
      const cpu = await run(together);
      console.log(
        JSON.stringify({ form: together ? 'one statement' : 'insert, then update', batch: BATCH, ...cpu }),
      );
    }
  }
} finally {
  await bench.dispose();
}
