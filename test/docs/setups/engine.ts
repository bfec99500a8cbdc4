/**
 * A started engine on the `sql` of the setup before it (pglite or postgres),
 * in schema `app`, with the two schedules of docs/scheduling.md — `engine`,
 * and its realtime `hub`. Closed after the example.
 */
import { createSyncEngine, type SqlClient } from '@creatorflow/sync';
import type { ScheduleDefinition } from '@creatorflow/sync/scheduling';
import type { DocSetup } from './types.js';

const schedules: ScheduleDefinition[] = [
  { name: 'refresh-totals', every: 5 * 60_000, run: ({ dueAt }) => ({ refreshedAt: dueAt.toISOString() }) },
  { name: 'nightly-report', cron: '0 2 * * *', timeZone: 'Europe/Berlin', run: () => undefined },
];

const setup: DocSetup = async (host) => {
  const engine = createSyncEngine({ sql: host.sql as SqlClient, schema: 'app', schedules });
  await engine.start();
  return { globals: { engine, hub: engine.hub }, close: () => engine.close() };
};
export default setup;
