/**
 * The saga store on the `SqlClient` port (PostgreSQL or PGlite). Batches go in
 * as one jsonb parameter (`jsonb_to_recordset`), which both engines accept and
 * which keeps a whole batch in one statement, one round trip and one commit.
 */
import { runMigrations } from '../core/migrator.js';
import { priorityLaneOf, quoteIdent, type SqlClient, type SqlQueryable } from '../core/sql-client.js';
import { migrateProcessing } from '../processing/index.js';
import type {
  ClaimOptions,
  ClaimResult,
  SagaDeadLetterFilter,
  SagaInsert,
  SagaLeaseRenewal,
  SagaListFilter,
  SagaStore,
  SagaWrite,
  TakenOverLease,
} from './saga-store.js';
import type { JoinedWrite, JoinedWriter } from '../store/types.js';
import { SagaLeaseLostError } from './errors.js';
import { migrations } from './sql/index.generated.js';
import {
  toDeadLetter,
  toSagaState,
  toStepLogEntry,
  type DeadLetterRow,
  type SagaRow,
  type StepRow,
} from './sql-rows.js';
import type { SagaDeadLetter, SagaState, StepLogEntry } from './types.js';

/**
 * Options of {@link createSqlSagaStore}.
 *
 * @example
 * ```ts
 * const sagaStore = createSqlSagaStore({ sql, schema: 'app' });
 * ```
 */
export interface SqlSagaStoreOptions {
  sql: SqlClient;
  /** Schema of the saga tables. Default `'creatorflow'`. */
  schema?: string;
}

const ACTIVE = `('running', 'compensating')`;

/**
 * Only the insert is prepared (no join: its plan cannot go stale). The
 * statements that join the sagas table are planned per call on purpose: a
 * generic plan cached while the table was small keeps scanning it as it grows
 * (until an ANALYZE invalidates it), which cost a step's write twice the
 * buffers in the end-to-end benchmark than planning it each time.
 */
const PREPARED = { prepare: true } as const;

/** A row of the claim: a claimed saga, or only the next expiry (saga columns null) when none was. */
type ClaimRow = Omit<SagaRow, 'saga_id'> & {
  saga_id: string | null;
  next_expiry_ms: number | string | null;
  /** The lease this claim replaced: its owner (null when never leased or given back) and how long it had expired. */
  previous_owner: string | null;
  expired_for_ms: number | string | null;
};

/**
 * A {@link SagaStore} on PostgreSQL or PGlite.
 *
 * @example
 * ```ts
 * const store = createSqlSagaStore({ sql: fromPglite(new PGlite()), schema: 'app' });
 * await store.migrate();
 * ```
 */
export function createSqlSagaStore(options: SqlSagaStoreOptions): SagaStore {
  return new SqlSagaStore(options.sql, options.schema ?? 'creatorflow');
}

class SqlSagaStore implements SagaStore {
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #channel: string;
  readonly #q: ReturnType<typeof buildQueries>;
  /** One per store: the writes of its sagas in one flush go in one call. */
  readonly #joinedSteps: JoinedWriter;

  constructor(sql: SqlClient, schema: string) {
    this.#sql = sql;
    this.#schema = schema;
    this.#channel = `creatorflow_sagas_${schema}`.slice(0, 63);
    this.#q = buildQueries(quoteIdent(schema));
    this.#joinedSteps = joinedStepWriter(sql, quoteIdent(schema));
  }

  async migrate(): Promise<void> {
    // Saga triggers are processors: their checkpoints live in processing's table,
    // which sagas migration 2 moves the old trigger checkpoints into.
    await migrateProcessing(this.#sql, this.#schema);
    await runMigrations(this.#sql, { schema: this.#schema, component: 'sagas', migrations });
  }

  async insert(sagas: readonly SagaInsert[]): Promise<boolean[]> {
    if (sagas.length === 0) return [];
    const { rows } = await this.#sql.query<{ saga_id: string }>(
      this.#q.insert,
      [insertJson(sagas)],
      PREPARED,
    );
    const created = markCreated(sagas, rows);
    if (sagas.some((s, i) => created[i] && s.owner === undefined)) await this.#notify();
    return created;
  }

  isOn(sql: SqlClient): boolean {
    return sql === this.#sql;
  }

  async insertIn(tx: SqlQueryable, sagas: readonly SagaInsert[]): Promise<string[]> {
    if (sagas.length === 0) return [];
    const { rows } = await tx.query<{ saga_id: string }>(this.#q.insert, [insertJson(sagas)], PREPARED);
    // Sent at commit, so workers elsewhere never look before the sagas are there.
    if (rows.length > 0) await this.#notify(tx);
    return rows.map((r) => r.saga_id);
  }

  async claim(options: ClaimOptions): Promise<ClaimResult> {
    const definitions = JSON.stringify(options.definitions);
    // One statement: the claimed rows and when the next lease held elsewhere
    // expires (one row with null saga columns when nothing was claimed).
    const { rows } = await this.#sql.query<ClaimRow>(this.#q.claim, [
      options.owner,
      options.limit,
      definitions,
      options.leaseMs,
    ]);
    const ms = rows[0]?.next_expiry_ms;
    const nextExpiryMs = ms === null || ms === undefined ? null : Math.max(0, Number(ms));
    const claimed = rows.filter((r): r is ClaimRow & SagaRow => r.saga_id !== null);
    if (claimed.length === 0) return { sagas: [], nextExpiryMs };
    // Token 1 after this claim: no worker ever held it, so it has no step log to read.
    const resumed = claimed.filter((r) => Number(r.lease_token) > 1).map((r) => r.saga_id);
    const bySaga = new Map<string, StepLogEntry[]>();
    if (resumed.length > 0) {
      const steps = await this.#sql.query<StepRow>(this.#q.completedSteps, [JSON.stringify(resumed)]);
      for (const row of steps.rows) {
        const list = bySaga.get(row.saga_id) ?? [];
        list.push(toStepLogEntry(row));
        bySaga.set(row.saga_id, list);
      }
    }
    return {
      sagas: claimed.map((row) => ({
        state: toSagaState(row),
        token: Number(row.lease_token),
        completed: bySaga.get(row.saga_id) ?? [],
        ...takenOverOf(row),
      })),
      nextExpiryMs,
    };
  }

  async heartbeat(owner: string, sagaIds: readonly string[], leaseMs: number): Promise<SagaLeaseRenewal> {
    const renewal: SagaLeaseRenewal = { renewed: [], busy: [] };
    if (sagaIds.length === 0) return renewal;
    // On the priority lane: a renewal queued behind the pool's statements came back past the self-fencing deadline.
    const { rows } = await priorityLaneOf(this.#sql).query<LeaseRow>(this.#q.heartbeat, [
      owner,
      JSON.stringify(sagaIds),
      leaseMs,
    ]);
    for (const row of rows) (row.done ? renewal.renewed : renewal.busy).push(row.saga_id);
    return renewal;
  }

  async record(owner: string, writes: readonly SagaWrite[]): Promise<boolean[]> {
    if (writes.length === 0) return [];
    const payload = writes.map((w) => ({
      saga_id: w.sagaId,
      token: w.token,
      transition: w.transition,
      status: w.status,
      cursor: w.cursor,
      compensation_failed: w.compensationFailed,
      error: w.error ?? null,
      finish: w.finish,
      step_name: w.log?.name ?? null,
      step_index: w.log?.stepIndex ?? null,
      phase: w.log?.phase ?? null,
      outcome: w.log?.outcome ?? null,
      attempts: w.log?.attempts ?? null,
      output: w.log?.output ?? null,
      step_error: w.log?.error ?? null,
      started_at: w.log?.startedAt ?? null,
      dl_definition: w.deadLetter?.definition ?? null,
      dl_step: w.deadLetter?.step ?? null,
      dl_compensation: w.deadLetter?.compensation ?? null,
      dl_error: w.deadLetter?.error ?? null,
      dl_attempts: w.deadLetter?.attempts ?? null,
    }));
    const { rows } = await this.#sql.query<{ saga_id: string }>(this.#q.record, [
      owner,
      JSON.stringify(payload),
    ]);
    const done = new Set(rows.map((r) => r.saga_id));
    return writes.map((w) => done.has(w.sagaId));
  }

  joinStep(owner: string, write: SagaWrite, committed: () => void): JoinedWrite {
    const log = write.log!;
    return {
      writer: this.#joinedSteps,
      item: {
        owner,
        saga_id: write.sagaId,
        token: write.token,
        transition: write.transition,
        status: write.status,
        cursor: write.cursor,
        compensation_failed: write.compensationFailed,
        finish: write.finish,
        step_name: log.name,
        step_index: log.stepIndex,
        attempts: log.attempts,
        output: log.output ?? null,
        started_at: log.startedAt,
      },
      committed,
    };
  }

  async release(owner: string, sagaIds: readonly string[]): Promise<void> {
    if (sagaIds.length === 0) return;
    // The lane's one connection must not wait on a row lock (the renewals queue
    // behind it): a saga whose row a write in flight holds is given back on the
    // pool instead, once that write is done.
    const { rows } = await priorityLaneOf(this.#sql).query<LeaseRow>(this.#q.release, [
      owner,
      JSON.stringify(sagaIds),
    ]);
    const busy = rows.filter((r) => !r.done).map((r) => r.saga_id);
    if (busy.length > 0) await this.#sql.query(this.#q.releaseWaiting, [owner, JSON.stringify(busy)]);
    await this.#notify();
  }

  async get(sagaId: string): Promise<SagaState | null> {
    const { rows } = await this.#sql.query<SagaRow>(this.#q.get, [sagaId]);
    return rows[0] ? toSagaState(rows[0]) : null;
  }

  async history(sagaId: string): Promise<StepLogEntry[]> {
    const { rows } = await this.#sql.query<StepRow>(this.#q.history, [sagaId]);
    return rows.map(toStepLogEntry);
  }

  async list(filter: SagaListFilter = {}): Promise<SagaState[]> {
    const { rows } = await this.#sql.query<SagaRow>(this.#q.list, [
      filter.status ?? null,
      filter.definition ?? null,
      filter.limit ?? 100,
    ]);
    return rows.map(toSagaState);
  }

  async deadLetters(filter: SagaDeadLetterFilter = {}): Promise<SagaDeadLetter[]> {
    const { rows } = await this.#sql.query<DeadLetterRow>(this.#q.deadLetters, [
      filter.sagaId ?? null,
      filter.includeResolved ?? false,
      filter.limit ?? 100,
    ]);
    return rows.map(toDeadLetter);
  }

  async countDeadLetters(): Promise<number> {
    const { rows } = await this.#sql.query<{ n: string }>(this.#q.countDeadLetters);
    return Number(rows[0]?.n ?? 0);
  }

  async redrive(sagaId: string): Promise<boolean> {
    const redriven = await this.#sql.transaction(async (tx) => {
      const { rows } = await tx.query<{ saga_id: string }>(this.#q.redrive, [sagaId]);
      if (rows.length === 0) return false;
      await tx.query(this.#q.resolveDeadLetters, [sagaId]);
      return true;
    });
    if (redriven) await this.#notify();
    return redriven;
  }

  async onWake(listener: () => void): Promise<() => Promise<void>> {
    if (!this.#sql.listen) return async () => undefined;
    return this.#sql.listen(this.#channel, () => listener());
  }

  async #notify(sql: SqlQueryable = this.#sql): Promise<void> {
    // Only a hint: workers also poll, so a lost notification delays, never loses, work.
    if (this.#sql.listen) await sql.query('SELECT pg_notify($1, $2)', [this.#channel, '']);
  }
}

/** What `record_joined_steps` raises when a joined step's lease no longer holds (sql/0004). */
const LEASE_LOST_SQLSTATE = 'SAGF1';

/**
 * The step log's side of a joined append: `record_joined_steps` after
 * `append_batch` (sql/0004_step_joined_to_append.sql; with only the events
 * it writes, sql/0005_joined_step_only_with_its_events.sql). Its refusal becomes a
 * `SagaLeaseLostError` (for the batch's one saga; a batch of several is split
 * by the event store until the fenced one fails alone).
 */
function joinedStepWriter(sql: SqlClient, s: string): JoinedWriter {
  return {
    isOn: (other) => other === sql,
    expression: (items, ok, written) => `${s}.record_joined_steps(${items}::jsonb, ${ok}, ${written})`,
    errorOf(error, items) {
      if ((error as { code?: unknown } | null)?.code !== LEASE_LOST_SQLSTATE) return undefined;
      const detail = String((error as { detail?: unknown }).detail ?? '');
      const sagaId = items.length === 1 ? String(items[0]!['saga_id']) : detail.split(',')[0]!;
      return new SagaLeaseLostError(sagaId, 'taken');
    },
  };
}

function insertJson(sagas: readonly SagaInsert[]): string {
  return JSON.stringify(
    sagas.map((s) => ({
      saga_id: s.sagaId,
      definition: s.definition,
      input: s.input ?? null,
      owner: s.owner ?? null,
      lease_ms: s.leaseMs ?? null,
    })),
  );
}

/** `true` for the first occurrence of every id the insert returned. */
function markCreated(sagas: readonly SagaInsert[], rows: readonly { saga_id: string }[]): boolean[] {
  const created = new Set(rows.map((r) => r.saga_id));
  return sagas.map((s) => created.delete(s.sagaId));
}

/**
 * `LIMIT` the array's length: a set-returning function is estimated at 100 rows,
 * which makes a join with the sagas table a hash join over a scan of the whole
 * table (every saga ever run). The statements are planned with their
 * parameters bound, so the limit folds to a constant and the planner looks
 * each row up by its key instead.
 */
const sized = (param: string) => `LIMIT jsonb_array_length(${param}::jsonb)`;

/** A row of a lease statement: a saga it updated (`done`), or one it left because a write in flight has its row locked. */
interface LeaseRow {
  saga_id: string;
  done: boolean;
}

const RELEASED = 'lease_owner = NULL, lease_expires_at = NULL, updated_at = now()';

function buildQueries(s: string) {
  const ids = (param: string) => `(SELECT jsonb_array_elements_text(${param}::jsonb) ${sized(param)})`;
  /**
   * A lease statement (renewal, release; owner `$1`) that never waits on a row
   * lock, so a slow write on one saga holds up neither the others' renewals
   * nor the lane they share. `SKIP LOCKED` leaves the rows a write in flight
   * has locked (a step being recorded, `record_joined_steps`); it sets `set` on
   * the rest and returns both: the updated rows (`done`), and, read from the
   * statement's snapshot without a lock, the skipped rows that still match
   * `where` and `busy`. It locks no row it waits for, so it cannot deadlock.
   */
  const skipLocked = (where: string, set: string, busy: string) => `
      WITH l AS (
        SELECT saga_id FROM ${s}.sagas WHERE ${where} FOR NO KEY UPDATE SKIP LOCKED),
      u AS (
        UPDATE ${s}.sagas AS g SET ${set}
          FROM l WHERE g.saga_id = l.saga_id AND g.lease_owner = $1
        RETURNING g.saga_id)
      SELECT saga_id, true AS done FROM u
      UNION ALL
      SELECT saga_id, false AS done FROM ${s}.sagas
       WHERE ${where} AND ${busy} AND saga_id NOT IN (SELECT saga_id FROM l)`;
  return {
    // A lease written at the insert counts from the statement (clock_timestamp),
    // not from the start of a transaction it runs in (a batch open a while
    // already): the owner's self-fencing deadline counts from before the send.
    insert: `
      INSERT INTO ${s}.sagas (saga_id, definition, input, status, step_cursor, lease_owner, lease_expires_at, lease_token)
      SELECT i.saga_id, i.definition, COALESCE(i.input, 'null'::jsonb), 'running', 0, i.owner,
             CASE WHEN i.owner IS NULL THEN NULL ELSE clock_timestamp() + i.lease_ms * interval '1 millisecond' END,
             CASE WHEN i.owner IS NULL THEN 0 ELSE 1 END
        FROM jsonb_to_recordset($1::jsonb) AS i(saga_id text, definition text, input jsonb, owner text, lease_ms double precision)
      ON CONFLICT (saga_id) DO NOTHING
      RETURNING saga_id`,
    // SKIP LOCKED: concurrent claimers never wait on, nor take, the same row.
    // Expired leases (a dead worker's sagas) come first, oldest expiry first,
    // then sagas never leased: new sagas must not push a dead host's sagas out
    // of every batch (the claimable index has the same order).
    // The next expiry (of a lease held elsewhere) is read from the statement's
    // snapshot, without the rows claimed here.
    claim: `
      WITH c AS (
        SELECT saga_id, lease_owner AS previous_owner, lease_expires_at AS previous_expiry FROM ${s}.sagas
         WHERE status IN ${ACTIVE}
           AND (lease_expires_at IS NULL OR lease_expires_at < now())
           AND definition IN ${ids('$3')}
         ORDER BY lease_expires_at NULLS LAST
         LIMIT $2
         FOR UPDATE SKIP LOCKED),
      u AS (
        UPDATE ${s}.sagas AS g
           SET lease_owner = $1, lease_expires_at = now() + $4 * interval '1 millisecond',
               lease_token = g.lease_token + 1, updated_at = now()
          FROM c WHERE g.saga_id = c.saga_id
        RETURNING g.*),
      n AS (
        SELECT EXTRACT(EPOCH FROM (min(lease_expires_at) - now())) * 1000 AS next_expiry_ms FROM ${s}.sagas
         WHERE status IN ${ACTIVE} AND lease_expires_at IS NOT NULL AND definition IN ${ids('$3')}
           AND saga_id NOT IN (SELECT saga_id FROM c))
      SELECT n.next_expiry_ms, u.*, c.previous_owner,
             EXTRACT(EPOCH FROM (now() - c.previous_expiry)) * 1000 AS expired_for_ms
        FROM n LEFT JOIN u ON true LEFT JOIN c ON c.saga_id = u.saga_id`,
    completedSteps: `
      SELECT * FROM ${s}.saga_steps
       WHERE saga_id IN ${ids('$1')} AND outcome = 'completed' ORDER BY id`,
    // A busy saga's lease keeps its committed expiry: nobody else can claim it before then.
    heartbeat: skipLocked(
      `lease_owner = $1 AND saga_id IN ${ids('$2')} AND status IN ${ACTIVE}`,
      `lease_expires_at = now() + $3 * interval '1 millisecond'`,
      'lease_expires_at > now()',
    ),
    // The saga rows are locked (in saga_id order, so concurrent batches cannot
    // deadlock) only where owner and token still match: that is the fence. Only
    // transitions rewrite the row; plain step completions just append to the log.
    record: `
      WITH i AS (
        SELECT * FROM jsonb_to_recordset($2::jsonb) AS i(
          saga_id text, token integer, transition boolean, status text, cursor integer,
          compensation_failed boolean, error jsonb, finish boolean, step_name text, step_index integer,
          phase text, outcome text, attempts integer, output jsonb, step_error jsonb, started_at timestamptz,
          dl_definition text, dl_step text, dl_compensation text, dl_error jsonb, dl_attempts integer)
         ${sized('$2')}),
      l AS (
        SELECT g.saga_id FROM ${s}.sagas AS g JOIN i ON i.saga_id = g.saga_id
         WHERE g.lease_token = i.token AND g.lease_owner = $1
         ORDER BY g.saga_id FOR NO KEY UPDATE OF g),
      ok AS (SELECT i.* FROM i WHERE i.saga_id IN (SELECT saga_id FROM l)),
      u AS (
        UPDATE ${s}.sagas AS g
           SET status = ok.status, step_cursor = ok.cursor, compensation_failed = ok.compensation_failed,
               error = COALESCE(ok.error, g.error), updated_at = now(),
               lease_owner = CASE WHEN ok.finish THEN NULL ELSE g.lease_owner END,
               lease_expires_at = CASE WHEN ok.finish THEN NULL ELSE g.lease_expires_at END,
               finished_at = CASE WHEN ok.finish THEN clock_timestamp() ELSE NULL END
          FROM ok WHERE g.saga_id = ok.saga_id AND ok.transition)
      , st AS (
        INSERT INTO ${s}.saga_steps
          (saga_id, step_name, step_index, phase, outcome, attempts, output, error, worker_id, lease_token, started_at)
        SELECT saga_id, step_name, step_index, phase, outcome, attempts, output, step_error, $1, token, started_at
          FROM ok WHERE step_name IS NOT NULL)
      , dl AS (
        INSERT INTO ${s}.saga_dead_letters (saga_id, definition, step_name, compensation, error, attempts)
        SELECT saga_id, dl_definition, dl_step, dl_compensation, dl_error, dl_attempts
          FROM ok WHERE dl_step IS NOT NULL)
      SELECT saga_id FROM ok`,
    release: skipLocked(`lease_owner = $1 AND saga_id IN ${ids('$2')}`, RELEASED, 'true'),
    // Waits for the rows' locks, in saga_id order so concurrent batches cannot deadlock.
    releaseWaiting: `
      WITH l AS (
        SELECT saga_id FROM ${s}.sagas WHERE lease_owner = $1 AND saga_id IN ${ids('$2')}
         ORDER BY saga_id FOR NO KEY UPDATE)
      UPDATE ${s}.sagas AS g SET ${RELEASED}
        FROM l WHERE g.saga_id = l.saga_id AND g.lease_owner = $1`,
    get: `SELECT * FROM ${s}.sagas WHERE saga_id = $1`,
    history: `SELECT * FROM ${s}.saga_steps WHERE saga_id = $1 ORDER BY id`,
    list: `
      SELECT * FROM ${s}.sagas
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR definition = $2)
       ORDER BY created_at, saga_id LIMIT $3`,
    deadLetters: `
      SELECT * FROM ${s}.saga_dead_letters
       WHERE ($1::text IS NULL OR saga_id = $1) AND ($2::boolean OR resolved_at IS NULL)
       ORDER BY id LIMIT $3`,
    countDeadLetters: `SELECT count(*) AS n FROM ${s}.saga_dead_letters WHERE resolved_at IS NULL`,
    // Compensation restarts from the last action that completed or may have
    // acted (failed with an unknown effect); completed compensations are skipped.
    redrive: `
      UPDATE ${s}.sagas AS g
         SET status = 'compensating', compensation_failed = false, lease_owner = NULL, lease_expires_at = NULL,
             finished_at = NULL, updated_at = now(),
             step_cursor = (SELECT COALESCE(max(step_index), -1) FROM ${s}.saga_steps
                             WHERE saga_id = g.saga_id AND phase = 'action'
                               AND (outcome = 'completed' OR error->>'effect' = 'unknown'))
       WHERE saga_id = $1 AND status = 'compensation_failed'
      RETURNING saga_id`,
    resolveDeadLetters: `UPDATE ${s}.saga_dead_letters SET resolved_at = now() WHERE saga_id = $1 AND resolved_at IS NULL`,
  };
}

/** The lease a claimed row had run out (its owner still set), if any. */
function takenOverOf(row: ClaimRow): { takenOver?: TakenOverLease } {
  if (row.previous_owner === null || row.expired_for_ms === null) return {};
  return {
    takenOver: { previousOwner: row.previous_owner, expiredForMs: Math.max(0, Number(row.expired_for_ms)) },
  };
}
