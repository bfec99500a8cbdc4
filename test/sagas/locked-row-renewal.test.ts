/**
 * A renewal never waits on a saga's row lock. The heartbeat locked every row
 * it renewed (`FOR UPDATE`), so it waited for each write in flight on the
 * host's sagas (a step being recorded, `record_joined_steps`, which hold the
 * row until they commit): one slow step transaction held up the renewal of
 * every saga of the host — 250 ms per renewal on average in an end-to-end run,
 * where a live host fenced 51 of its own sagas (`not_renewed`) and claimed
 * them again. It now skips a locked row (`SKIP LOCKED`) and reports that saga
 * busy: it keeps the deadline of its last renewal, the others are renewed.
 * Releases skip such rows on the priority lane too, so the renewals queued
 * behind a release on that one connection never wait for a row lock either.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import {
  createSagaRunner,
  createSqlSagaStore,
  defineSaga,
  type SagaLeaseRenewal,
  type SagaRunner,
  type SagaStore,
} from '../../src/sagas/index.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const OWNER = 'host-a:1:locked-row';
/** How long a statement may take on this (busy) machine before the test calls it stuck. */
const STUCK_MS = 10_000;

/** Whether `promise` settles within `ms` (a bound on a wait, not a sleep: it returns as soon as it settles). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, pending]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(postgresUrl() === null)('saga lease renewals and row locks (PostgreSQL)', () => {
  let pool: pg.Pool;
  let sql: SqlClient;
  let schema: string;
  /** Another session: holds a saga's row lock in an open transaction, as a step write in flight does. */
  let locker: pg.Client;
  let runner: SagaRunner | undefined;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 4 });
    sql = fromPg(pool);
    schema = uniqueSchema('rowlock');
    locker = new pg.Client({ connectionString: postgresUrl()! });
    await locker.connect();
  });
  afterEach(async () => {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end().catch(() => undefined);
    await runner?.stop({ drainMs: 0, releaseLeases: false }).catch(() => undefined);
    runner = undefined;
    await sql.close?.();
    await pool.end();
    await dropPostgresSchema(schema);
  });

  async function lockRow(sagaId: string): Promise<void> {
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM "${schema}".sagas WHERE saga_id = $1 FOR UPDATE`, [sagaId]);
  }

  async function leases(): Promise<Map<string, { owner: string | null; expiresAt: number | null }>> {
    const { rows } = await pool.query<{
      saga_id: string;
      lease_owner: string | null;
      expires_at: Date | null;
    }>(`SELECT saga_id, lease_owner, lease_expires_at AS expires_at FROM "${schema}".sagas`);
    return new Map(
      rows.map((r) => [r.saga_id, { owner: r.lease_owner, expiresAt: r.expires_at?.getTime() ?? null }]),
    );
  }

  async function storeWithLeased(ids: string[]): Promise<SagaStore> {
    const store = createSqlSagaStore({ sql, schema });
    await store.migrate();
    await store.insert(
      ids.map((sagaId) => ({ sagaId, definition: 'order', input: {}, owner: OWNER, leaseMs: 60_000 })),
    );
    return store;
  }

  it('a renewal skips a row another transaction locked: the saga is busy, its lease unchanged, the others renewed', async () => {
    const store = await storeWithLeased(['a', 'b']);
    const before = await leases();
    await lockRow('a');

    const renewal = store.heartbeat(OWNER, ['a', 'b'], 120_000);
    expect(await settlesWithin(renewal, STUCK_MS)).toBe(true);
    expect(await renewal).toEqual({ renewed: ['b'], busy: ['a'] });
    const after = await leases();
    expect(after.get('a')).toEqual(before.get('a'));
    expect(after.get('b')!.expiresAt).toBeGreaterThan(before.get('b')!.expiresAt! + 30_000);

    await locker.query('ROLLBACK');
    expect(await store.heartbeat(OWNER, ['a', 'b'], 120_000)).toEqual({ renewed: ['a', 'b'], busy: [] });
  });

  it("a locked row is busy only while it is the owner's with an unexpired lease", async () => {
    const store = await storeWithLeased(['expired', 'foreign']);
    await pool.query(
      `UPDATE "${schema}".sagas SET lease_expires_at = now() - interval '1 second' WHERE saga_id = 'expired';
       UPDATE "${schema}".sagas SET lease_owner = 'host-b:2:x' WHERE saga_id = 'foreign'`,
    );
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM "${schema}".sagas FOR UPDATE`);

    const renewal = store.heartbeat(OWNER, ['expired', 'foreign'], 60_000);
    expect(await settlesWithin(renewal, STUCK_MS)).toBe(true);
    // Neither is held: the worker stops them ('taken'), as it did when the renewal found them so.
    expect(await renewal).toEqual({ renewed: [], busy: [] });
  });

  it('a release waiting for a locked row holds up no renewal on the priority lane', async () => {
    const store = await storeWithLeased(['a', 'b', 'c']);
    await lockRow('a');

    const release = store.release(OWNER, ['a', 'b']);
    // The lane is one connection: a release waiting there for the row lock held every renewal behind it.
    const renewal = store.heartbeat(OWNER, ['c'], 60_000);
    expect(await settlesWithin(renewal, STUCK_MS)).toBe(true);
    expect(await renewal).toEqual({ renewed: ['c'], busy: [] });
    await waitFor(async () => (await leases()).get('b')!.owner === null, { what: "b's lease given back" });
    expect((await leases()).get('a')!.owner).toBe(OWNER);

    await locker.query('ROLLBACK');
    await release;
    const after = await leases();
    expect([after.get('a')!.owner, after.get('b')!.owner, after.get('c')!.owner]).toEqual([
      null,
      null,
      OWNER,
    ]);
  });

  /** A runner (its renewals recorded) with sagas `ids` parked in their first step until `finish()`. */
  async function parkedSagas(ids: string[], leaseMs: number, heartbeatMs: number) {
    const store = createSqlSagaStore({ sql, schema });
    await store.migrate();
    /** Per renewal answered: when, and what it did. */
    const answers: { at: number; renewal: SagaLeaseRenewal }[] = [];
    const heartbeat: SagaStore['heartbeat'] = async (owner, sagaIds, ms) => {
      const renewal = await store.heartbeat(owner, sagaIds, ms);
      answers.push({ at: performance.now(), renewal });
      return renewal;
    };
    const recording = new Proxy(store, {
      get(target, property) {
        if (property === 'heartbeat') return heartbeat;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const runs = new Map<string, number>();
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const saga = defineSaga({
      name: 'parked',
      steps: [
        {
          name: 'long',
          action: async ({ sagaId, signal }) => {
            runs.set(sagaId, (runs.get(sagaId) ?? 0) + 1);
            await new Promise<void>((resolve, reject) => {
              void finished.then(resolve);
              signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
            });
          },
          compensation: 'none',
        },
        { name: 'after', action: () => undefined, compensation: 'none' },
      ],
    });
    const started = createSagaRunner({
      store: recording,
      leaseMs,
      heartbeatMs,
      pollIntervalMs: 50,
      definitions: [saga],
    });
    runner = started;
    const lost: { sagaId: string; reason: string }[] = [];
    const takenOver: { sagaId: string; token: number }[] = [];
    const errors: unknown[] = [];
    started.on('saga:lease_lost', (e) => lost.push({ sagaId: e.sagaId, reason: e.reason }));
    started.on('saga:taken_over', (e) => takenOver.push({ sagaId: e.sagaId, token: e.token }));
    started.on('error', (err) => errors.push(err));
    started.startWorker();
    for (const sagaId of ids) await started.start(saga, null, { sagaId });
    await waitFor(() => ids.every((id) => runs.has(id)), { what: 'every saga in its step' });
    /** The renewals answered since `since` that renewed `sagaId`. */
    const renewalsOf = (sagaId: string, since: number) =>
      answers.filter((x) => x.at > since && x.renewal.renewed.includes(sagaId));
    const tokens = async () => {
      const { rows } = await pool.query<{ saga_id: string; lease_token: number }>(
        `SELECT saga_id, lease_token FROM "${schema}".sagas ORDER BY saga_id`,
      );
      return Object.fromEntries(rows.map((r) => [r.saga_id, r.lease_token]));
    };
    const history = async (id: string) => (await started.history(id)).map((h) => h.name);
    return { runner: started, answers, renewalsOf, runs, finish, lost, takenOver, errors, tokens, history };
  }

  it('a worker keeps renewing its other sagas while one saga row stays locked past the self-fence window', async () => {
    const parked = await parkedSagas(['a', 'b'], 2_000, 500);
    const { lost } = parked;

    await lockRow('a');
    await waitFor(() => lost.length > 0, { what: 'a lease lost' });
    // The row stayed locked past a's deadline: a is fenced (conservatively); b is not.
    expect(lost).toEqual([{ sagaId: 'a', reason: 'not_renewed' }]);
    const fencedAt = performance.now();
    await waitFor(() => parked.renewalsOf('b', fencedAt).length >= 2 || lost.length > 1, {
      what: 'two renewals of b after a was fenced',
    });
    expect(lost).toEqual([{ sagaId: 'a', reason: 'not_renewed' }]);

    await locker.query('ROLLBACK');
    parked.finish();
    expect((await parked.runner.waitFor('b', { timeoutMs: 30_000 })).status).toBe('completed');
    // a runs again once its lease ran out: this worker claims it back (token 2).
    expect((await parked.runner.waitFor('a', { timeoutMs: 30_000 })).status).toBe('completed');
    expect(lost).toEqual([{ sagaId: 'a', reason: 'not_renewed' }]);
    expect(parked.takenOver).toEqual([{ sagaId: 'a', token: 2 }]);
    expect(Object.fromEntries(parked.runs)).toEqual({ a: 2, b: 1 });
    expect(await parked.history('b')).toEqual(['long', 'after']);
    expect(await parked.history('a')).toEqual(['long', 'after']);
    expect(await parked.tokens()).toEqual({ a: 2, b: 1 });
    expect(parked.errors).toEqual([]);
  }, 90_000);

  it('a saga found busy by a beat is renewed again soon after, before the next beat would be too late', async () => {
    // The defaults' ratio: the self-fence comes 2 beats after a renewal, so the beat after a missed one is too late.
    const parked = await parkedSagas(['a', 'b'], 3_000, 1_000);
    // Its deadline now counts from a beat (not from its start, which may come later than a beat).
    await waitFor(() => parked.renewalsOf('a', 0).length > 0, { what: 'a renewed once' });
    await lockRow('a');
    await waitFor(() => parked.answers.some((x) => x.renewal.busy.includes('a')), {
      what: 'a beat finding a busy',
    });
    const busyAt = performance.now();
    await locker.query('ROLLBACK');
    await waitFor(() => parked.renewalsOf('a', busyAt).length > 0 || parked.lost.length > 0, {
      what: 'a renewed after its row was let go',
    });
    await waitFor(() => parked.renewalsOf('a', busyAt).length >= 3 || parked.lost.length > 0, {
      what: 'three renewals of a after it was busy',
    });

    parked.finish();
    for (const id of ['a', 'b']) {
      expect((await parked.runner.waitFor(id, { timeoutMs: 30_000 })).status).toBe('completed');
    }
    expect(parked.lost).toEqual([]);
    expect(parked.takenOver).toEqual([]);
    expect(Object.fromEntries(parked.runs)).toEqual({ a: 1, b: 1 });
    expect(await parked.tokens()).toEqual({ a: 1, b: 1 });
    expect(parked.errors).toEqual([]);
  }, 90_000);
});
