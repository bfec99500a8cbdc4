/**
 * Two host processes share two partitioned projections on PostgreSQL while
 * events keep arriving; one is SIGKILLed and the other takes over every
 * partition. The checker reads the database: each event applied exactly once,
 * each stream in order.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../../src/core/sql-client.js';
import { partitionNames, readCheckpoints } from '../../../src/processing/index.js';
import { compareCheckpoints } from '../../../src/core/checkpoint.js';
import { createEventStore } from '../../../src/store/create-event-store.js';
import type { EventStore } from '../../../src/store/types.js';
import { runProgram, type ChildProgram } from '../../support/child-process.js';
import { postgresEngine, postgresUrl, type TestDatabase } from '../../support/databases.js';
import { waitFor } from '../../support/wait.js';
import { HOST_PARTITIONS } from '../fixtures/partitioned-projections.js';

const HOST = fileURLToPath(new URL('../fixtures/partition-host.ts', import.meta.url));
const PROCESSORS = ['projection:applied', 'projection:stream_order'];
const STREAMS = 16;

describe.skipIf(!postgresEngine.available)(
  'partitioned projections across host processes (PostgreSQL)',
  () => {
    let db: TestDatabase;
    let store: EventStore;
    const hosts: ChildProgram[] = [];

    /** Lease owner of every partition of both projections (null: free or expired). */
    async function owners(): Promise<(string | null)[]> {
      const names = PROCESSORS.flatMap((p) => partitionNames(p, HOST_PARTITIONS)).map(
        (n) => `processor:${n}`,
      );
      const { rows } = await db.sql.query<{ name: string; owner: string }>(
        `SELECT name, owner FROM ${quoteIdent(db.schema)}.leases
        WHERE name = ANY($1::text[]) AND expires_at >= clock_timestamp()`,
        [names],
      );
      const byName = new Map(rows.map((r) => [r.name, r.owner]));
      return names.map((n) => byName.get(n) ?? null);
    }

    const count = (list: (string | null)[], owner: string) => list.filter((o) => o === owner).length;

    function host(owner: string): ChildProgram {
      const child = runProgram(HOST, { DATABASE_URL: postgresUrl()!, SCHEMA: db.schema, OWNER: owner });
      hosts.push(child);
      return child;
    }

    let round = 0;
    async function appendRound(): Promise<string> {
      const r = round++;
      let last = '';
      for (let s = 0; s < STREAMS; s += 4) {
        last = (await store.append(`stream-${(s + r) % STREAMS}`, [{ type: 'host.tick', data: { r } }]))
          .checkpoint;
      }
      return last;
    }

    beforeAll(async () => {
      db = await postgresEngine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema });
      await store.migrate();
      for (let i = 0; i < 30; i++) await appendRound();
    });

    afterAll(async () => {
      for (const h of hosts) {
        h.kill('SIGTERM');
        await h.exited;
      }
      await store.close();
      await db.close();
    });

    it('the survivor takes over every partition of a SIGKILLed host; nothing lost or doubled', async () => {
      const a = host('host-a');
      await a.line(/"event":"ready"/, 120_000);
      await waitFor(async () => count(await owners(), 'host-a') === 8, {
        what: 'host A holding all 8 partitions',
        timeoutMs: 60_000,
      });

      // Events keep coming through the join, the kill and the takeover.
      let writing = true;
      let last = '';
      const writer = (async () => {
        while (writing) {
          last = await appendRound();
          await new Promise((r) => setTimeout(r, 10));
        }
      })();

      try {
        const b = host('host-b');
        await b.line(/"event":"ready"/, 120_000);
        await waitFor(
          async () => {
            const o = await owners();
            return count(o, 'host-a') === 4 && count(o, 'host-b') === 4;
          },
          { what: 'A and B holding 4 partitions each', timeoutMs: 60_000 },
        );

        a.kill('SIGKILL');
        await a.exited;
        await waitFor(async () => count(await owners(), 'host-b') === 8, {
          what: 'B holding all 8 partitions after A was killed',
          timeoutMs: 60_000,
        });
        await b.line(
          /"owner":"host-b","event":"assigned","processor":"projection:applied","partitions":\[0,1,2,3\]/,
        );
      } finally {
        writing = false;
        await writer;
      }

      // B catches up: every partition's stored checkpoint reaches the last append.
      const names = PROCESSORS.flatMap((p) => partitionNames(p, HOST_PARTITIONS));
      await waitFor(
        async () => {
          const stored = await readCheckpoints(db.sql, db.schema, names);
          return names.every((n) => stored.has(n) && compareCheckpoints(stored.get(n)!, last) >= 0);
        },
        { what: 'every partition at the last append', timeoutMs: 60_000 },
      );

      const s = quoteIdent(db.schema);
      const log = (await store.readAll({ limit: 1_000_000 })).events;
      const applied = await db.sql.query<{ position: string; times: number }>(
        `SELECT position, times FROM ${s}.applied ORDER BY position`,
      );
      expect(applied.rows.map((r) => Number(r.position))).toEqual(log.map((e) => e.globalPosition)); // none lost
      expect(applied.rows.filter((r) => Number(r.times) !== 1)).toEqual([]); // none doubled

      const versions = new Map<string, number>();
      for (const e of log) versions.set(e.aggregateId, e.version);
      const order = await db.sql.query<{ stream: string; last_version: number; in_order: boolean }>(
        `SELECT stream, last_version, in_order FROM ${s}.stream_order ORDER BY stream`,
      );
      expect(order.rows).toEqual(
        [...versions.entries()]
          .sort(([x], [y]) => (x < y ? -1 : 1))
          .map(([stream, v]) => ({ stream, last_version: v, in_order: true })),
      );
      const errorLines = (h: ChildProgram) =>
        h.line(/"event":"error"/, 1).then(
          (m) => m[0],
          () => null,
        );
      expect(await errorLines(hosts[1]!)).toBeNull();
    }, 240_000);
  },
);
