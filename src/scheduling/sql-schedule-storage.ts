/**
 * Runs in the `schedule_runs` table (component `scheduling`). A due time is
 * claimed by inserting its row: the partial unique index on (schedule,
 * due_at) makes a second claim of the same due time insert nothing, on any
 * host, whatever the leases did.
 */
import { unstorableInJson } from '../core/storable-text.js';
import { runMigrations } from '../core/migrator.js';
import { quoteIdent, type SqlClient } from '../core/sql-client.js';
import { migrateProcessing } from '../processing/migrate-processing.js';
import type {
  ClaimDue,
  RequestRun,
  RunOutcome,
  ScheduleRun,
  ScheduleRunError,
  ScheduleRunStatus,
  ScheduleStorage,
} from './schedule-run.js';
import { migrations } from './sql/index.generated.js';
import { ScheduleNotFoundError } from './errors.js';
import type { ScheduleTrigger } from './schedule-definition.js';

interface RunRow {
  run_id: string | number;
  schedule: string;
  trigger: ScheduleTrigger;
  due_at: Date | string;
  status: ScheduleRunStatus;
  attempts: number;
  skipped: number;
  owner: string | null;
  trigger_key: string | null;
  requested_by: string | null;
  error: ScheduleRunError | null;
  result: unknown;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

const COLUMNS = `run_id, schedule, trigger, due_at, status, attempts, skipped, owner, trigger_key,
  requested_by, error, result, created_at, started_at, finished_at`;

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function toRun(row: RunRow): ScheduleRun {
  return {
    id: String(row.run_id),
    schedule: row.schedule,
    trigger: row.trigger,
    dueAt: new Date(row.due_at),
    status: row.status,
    attempts: Number(row.attempts),
    skipped: Number(row.skipped),
    owner: row.owner,
    key: row.trigger_key,
    requestedBy: row.requested_by,
    error: row.error,
    result: row.result,
    createdAt: new Date(row.created_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}

/**
 * A result kept only when it is JSON of at most 64 KiB that jsonb accepts (no
 * NUL character or lone surrogate, which JSON allows and jsonb refuses);
 * anything else is dropped, never fails the run.
 */
function resultJson(result: unknown): string | null {
  if (result === undefined) return null;
  try {
    const text = JSON.stringify(result);
    return text !== undefined && text.length <= 65_536 && unstorableInJson(text) === undefined ? text : null;
  } catch {
    return null;
  }
}

/**
 * The runs of schedules in `schema` (PostgreSQL or PGlite). `migrate()` also
 * creates processing's tables, whose `leases` the scheduler's lease lives in.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ storage: sqlScheduleStorage(sql, 'app'), leases: sqlLeases(sql, 'app'), schedules });
 * ```
 */
export function sqlScheduleStorage(sql: SqlClient, schema: string): ScheduleStorage {
  const t = `${quoteIdent(schema)}.schedule_runs`;
  const one = async (text: string, params: unknown[]): Promise<ScheduleRun | null> => {
    const { rows } = await sql.query<RunRow>(text, params);
    return rows[0] ? toRun(rows[0]) : null;
  };
  return {
    async migrate() {
      await migrateProcessing(sql, schema);
      await runMigrations(sql, { schema, component: 'scheduling', migrations });
    },
    async lastDue(schedule) {
      const { rows } = await sql.query<{ due_at: Date | string | null }>(
        `SELECT max(due_at) AS due_at FROM ${t} WHERE schedule = $1 AND trigger = 'schedule'`,
        [schedule],
      );
      const due = rows[0]?.due_at ?? null;
      return due === null ? null : new Date(due).getTime();
    },
    claimDue(claim: ClaimDue) {
      const running = claim.status === 'running';
      return one(
        `INSERT INTO ${t} (schedule, trigger, due_at, status, attempts, skipped, owner, started_at, finished_at)
         VALUES ($1, 'schedule', $2, $3, $4, $5, $6,
                 CASE WHEN $4 > 0 THEN now() END, CASE WHEN $4 = 0 THEN now() END)
         ON CONFLICT (schedule, due_at) WHERE trigger = 'schedule' DO NOTHING
         RETURNING ${COLUMNS}`,
        [claim.schedule, new Date(claim.dueAt), claim.status, running ? 1 : 0, claim.skipped, claim.owner],
      );
    },
    async request(request: RequestRun) {
      const inserted = await one(
        `INSERT INTO ${t} (schedule, trigger, due_at, status, trigger_key, requested_by)
         VALUES ($1, 'manual', $2, 'pending', $3, $4)
         ON CONFLICT (schedule, trigger_key) WHERE trigger_key IS NOT NULL DO NOTHING
         RETURNING ${COLUMNS}`,
        [request.schedule, new Date(request.at), request.key ?? null, request.requestedBy ?? null],
      );
      if (inserted) return inserted;
      const existing = await one(`SELECT ${COLUMNS} FROM ${t} WHERE schedule = $1 AND trigger_key = $2`, [
        request.schedule,
        request.key,
      ]);
      // Pruned between the two statements: only a finished run is pruned, so asking again is answered as gone.
      if (!existing)
        throw new ScheduleNotFoundError(request.schedule, `The run with key ${request.key} is gone`);
      return existing;
    },
    async pendingSchedules(schedules) {
      const { rows } = await sql.query<{ schedule: string }>(
        `SELECT DISTINCT schedule FROM ${t} WHERE status = 'pending' AND schedule = ANY($1::text[])`,
        [schedules],
      );
      return rows.map((r) => r.schedule);
    },
    claimPending(schedule, owner) {
      return one(
        `UPDATE ${t} SET status = 'running', owner = $2, attempts = 1, started_at = now()
          WHERE run_id = (SELECT run_id FROM ${t} WHERE schedule = $1 AND status = 'pending'
                           ORDER BY run_id LIMIT 1 FOR UPDATE SKIP LOCKED)
            AND status = 'pending'
          RETURNING ${COLUMNS}`,
        [schedule, owner],
      );
    },
    async running(schedules) {
      const { rows } = await sql.query<RunRow>(
        `SELECT ${COLUMNS} FROM ${t} WHERE status = 'running' AND schedule = ANY($1::text[]) ORDER BY run_id`,
        [schedules],
      );
      return rows.map(toRun);
    },
    takeOver(runId, from, owner) {
      return one(
        `UPDATE ${t} SET owner = $3 WHERE run_id = $1 AND status = 'running' AND owner IS NOT DISTINCT FROM $2
          RETURNING ${COLUMNS}`,
        [runId, from, owner],
      );
    },
    async recordAttempt(runId, owner, attempts, error) {
      const { rows } = await sql.query(
        `UPDATE ${t} SET attempts = $3, error = COALESCE($4::jsonb, error)
          WHERE run_id = $1 AND owner = $2 AND status = 'running' RETURNING run_id`,
        [runId, owner, attempts, error ? JSON.stringify(error) : null],
      );
      return rows.length === 1;
    },
    async finish(runId, owner, outcome: RunOutcome) {
      const { rows } = await sql.query(
        `UPDATE ${t} SET status = $3, attempts = $4, error = $5::jsonb, result = $6::jsonb, finished_at = now()
          WHERE run_id = $1 AND owner = $2 AND status = 'running' RETURNING run_id`,
        [
          runId,
          owner,
          outcome.status,
          outcome.attempts,
          outcome.error ? JSON.stringify(outcome.error) : null,
          resultJson(outcome.result),
        ],
      );
      return rows.length === 1;
    },
    get(runId) {
      if (!/^\d{1,18}$/.test(runId)) return Promise.resolve(null);
      return one(`SELECT ${COLUMNS} FROM ${t} WHERE run_id = $1`, [runId]);
    },
    async history(schedule, limit) {
      const { rows } = await sql.query<RunRow>(
        `SELECT ${COLUMNS} FROM ${t} WHERE schedule = $1 ORDER BY run_id DESC LIMIT $2`,
        [schedule, limit],
      );
      return rows.map(toRun);
    },
    async prune(schedule, keep) {
      await sql.query(
        `DELETE FROM ${t} WHERE schedule = $1 AND status NOT IN ('pending', 'running')
            AND run_id < (SELECT min(run_id) FROM (SELECT run_id FROM ${t} WHERE schedule = $1
                                                   ORDER BY run_id DESC LIMIT $2) newest)`,
        [schedule, keep],
      );
    },
  };
}
