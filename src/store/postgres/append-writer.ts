/**
 * Writes one group-commit batch with one call of the `append_batch` function
 * (sql/0003_event_ids.sql): without inline hooks that is one statement and
 * one round trip per flush, in its own implicit transaction. Each request gets
 * its own outcome: a version conflict fails only that request.
 *
 * The function takes the shared writer lock (see writer-lock.ts) first, claims
 * idempotency keys (INSERT … ON CONFLICT DO NOTHING waits for a concurrent
 * claimer, so a key is never written twice), creates-or-locks the batch's
 * streams in id order (no deadlocks between flushes), checks the attempt's
 * recovery fence (sql/0009_attempt_fence.sql), decides every request against the locked versions, then writes the
 * event ids (unique: an id is stored at most once) and the events, moves the
 * versions, records the keys and notifies.
 */
import { ConcurrencyError, DuplicateEventIdError, IdempotencyKeyReusedError } from '../../core/errors.js';
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import { formatCheckpoint } from '../../core/checkpoint.js';
import type { FlushOutcome } from '../../runtime/group-commit.js';
import { storedEventOf, type PreparedAppend } from '../prepare-append.js';
import type { AppendResult, ExpectedVersion, JoinedWriter, StoredEvent } from '../types.js';
import { writerLockKeys } from './writer-lock.js';

/** The writer's statements have fixed texts: prepared once per connection. */
const PREPARED = { prepare: true } as const;

/** `statuses[i]` of the function's result (see sql/0003_event_ids.sql). */
const STATUS = {
  written: 0,
  conflict: 1,
  earlierKey: 2,
  batchKey: 3,
  keyOnOtherStream: 4,
  alreadyStored: 5,
  idTakenElsewhere: 6,
} as const;

/**
 * How a flush is written: `normal`; `check-ids` after an event id was found
 * taken; `recover` after an attempt's outcome was unknown: its lost attempts
 * are fenced first, then the ids are checked (sql/0009_attempt_fence.sql).
 */
export type WriteMode = 'normal' | 'check-ids' | 'recover';

/** What a batch wrote, for inline hooks and wake-ups. */
export interface WrittenBatch {
  outcomes: FlushOutcome<AppendResult>[];
  /** Whether any event was written. */
  wrote: boolean;
  /** The stored events, built only when asked for (inline hooks need them). */
  events: StoredEvent[];
  /** The 0-based positions of the requests whose joined write was applied (its writer said so). */
  joinedApplied: ReadonlySet<number>;
  /**
   * Recovering (`recover` mode), some requests were found stored: a lost
   * attempt of this flush may have committed them, so what ran after that
   * attempt's commit (inline hooks' callbacks) may never have run.
   */
  foundWhileRecovering: boolean;
}

/** The function's one result row (arrays may come back as strings of numbers). */
interface BatchRow {
  statuses: (number | string)[];
  from_versions: (number | string | null)[];
  to_versions: (number | string | null)[];
  dup_streams: (string | null)[];
  written_positions: (number | string)[] | null;
  txid: string | null;
  processed_ms: number | string;
  /** `joined_<i>`: the `req`s (1-based) each joined writer's call applied. */
  [joined: `joined_${number}`]: (number | string)[] | null | undefined;
}

/** The statuses of a request whose append succeeded (written now, or an earlier append's result). */
const OK_STATUSES = [STATUS.written, STATUS.earlierKey, STATUS.batchKey, STATUS.alreadyStored];

/** Per request of the flush (`b`, append_batch's row): whether its status is one of `statuses`. */
function statusIn(statuses: readonly number[]): string {
  return `(SELECT array_agg(x.s IN (${statuses.join(', ')}) ORDER BY x.n) FROM unnest(b.statuses) WITH ORDINALITY AS x(s, n))`;
}

/** One joined writer's items in a flush. */
interface JoinedCall {
  writer: JoinedWriter;
  items: Record<string, unknown>[];
}

/** The batch's joined writes, grouped by writer, each item told its request's position. */
export function joinedCalls(batch: readonly PreparedAppend[]): JoinedCall[] {
  const calls = new Map<JoinedWriter, Record<string, unknown>[]>();
  batch.forEach((req, i) => {
    if (!req.joined) return;
    const items = calls.get(req.joined.writer) ?? [];
    items.push({ ...req.joined.item, req: i + 1 });
    calls.set(req.joined.writer, items);
  });
  return [...calls].map(([writer, items]) => ({ writer, items }));
}

/** ExpectedVersion as the function's int8 code. */
function expectedCode(expected: ExpectedVersion): number {
  switch (expected) {
    case 'any':
      return -1;
    case 'no_stream':
      return -2;
    case 'stream_exists':
      return -3;
    default:
      return expected;
  }
}

/** The calls of the writer, built once per schema. */
export class AppendWriter {
  readonly #appendBatch: string;
  readonly #keyEvents: string;
  readonly #fence: string;
  readonly #channel: string;
  readonly #lockKeys: [number, number];

  constructor(schema: string, channel: string) {
    const s = quoteIdent(schema);
    this.#channel = channel;
    this.#lockKeys = writerLockKeys(schema);
    this.#appendBatch = `SELECT * FROM ${s}.append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
    this.#fence = `SELECT FROM ${s}.fence_attempts($1::uuid[])`;
    this.#keyEvents = `SELECT version, global_position, transaction_id::text AS txid FROM ${s}.events
      WHERE aggregate_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version`;
  }

  /**
   * Write `batch` through `sql` (a pool for one implicit transaction, or an open
   * transaction). Throws only for failures that are not one request's fault.
   * In the `check-ids` and `recover` modes, requests whose event ids are
   * already stored are answered from the stored events. `recover` needs the
   * flush's lost attempts fenced first ({@link AppendWriter.fence}).
   * `attemptId` names this attempt (a fresh uuid per attempt), so that a
   * recovery can fence it should its outcome be lost.
   */
  async write(
    sql: SqlQueryable,
    batch: readonly PreparedAppend[],
    options: { withEvents: boolean; mode: WriteMode; attemptId: string },
  ): Promise<WrittenBatch> {
    const { withEvents, mode, attemptId } = options;
    const rStream: string[] = [];
    const rAgg: string[] = [];
    const rExpected: number[] = [];
    const rKey: (string | null)[] = [];
    const rCount: number[] = [];
    const eReq: number[] = [];
    const eOff: number[] = [];
    const eId: string[] = [];
    const eType: string[] = [];
    const eData: string[] = [];
    const eMeta: string[] = [];
    const eOccurred: number[] = [];
    batch.forEach((req, i) => {
      rStream.push(req.streamId);
      rAgg.push(req.aggregateType);
      rExpected.push(expectedCode(req.expectedVersion));
      rKey.push(req.idempotencyKey ?? null);
      rCount.push(req.events.length);
      req.events.forEach((e, j) => {
        eReq.push(i + 1);
        eOff.push(j);
        eId.push(e.id);
        eType.push(e.type);
        eData.push(e.dataJson);
        eMeta.push(e.metadataJson);
        eOccurred.push(e.occurredAt.getTime());
      });
    });
    const joined = joinedCalls(batch);
    const { rows } = await sql.query<BatchRow>(
      joined.length === 0 ? this.#appendBatch : this.#withJoined(joined),
      [
        ...this.#lockKeys,
        this.#channel,
        mode !== 'normal',
        rStream,
        rAgg,
        rExpected,
        rKey,
        rCount,
        eReq,
        eOff,
        eId,
        eType,
        // JSON the client already has, joined: no array-literal escaping on either side.
        `[${eData.join(',')}]`,
        `[${eMeta.join(',')}]`,
        eOccurred,
        attemptId,
        ...joined.map((call) => JSON.stringify(call.items)),
      ],
      PREPARED,
    );
    const row = rows[0]!;
    const positions = (row.written_positions ?? []).map(Number);
    const processedAt = new Date(Number(row.processed_ms));
    const events: StoredEvent[] = [];
    const outcomes: FlushOutcome<AppendResult>[] = [];
    let found = false;
    let next = 0;
    for (const [i, req] of batch.entries()) {
      const status = Number(row.statuses[i]);
      const from = Number(row.from_versions[i]);
      const to = Number(row.to_versions[i]);
      if (status === STATUS.conflict) {
        outcomes.push({ ok: false, error: new ConcurrencyError(req.streamId, req.expectedVersion, to) });
      } else if (status === STATUS.written) {
        const mine = positions.slice(next, next + req.events.length);
        next += req.events.length;
        if (mine.length !== req.events.length) throw new Error('append_batch returned too few positions');
        const checkpoint = formatCheckpoint(row.txid!, mine.at(-1)!);
        if (withEvents) {
          req.events.forEach((e, j) =>
            events.push(
              storedEventOf(req, e, {
                version: from + j,
                globalPosition: mine[j]!,
                transactionId: row.txid!,
                processedAt,
              }),
            ),
          );
        }
        outcomes.push({
          ok: true,
          value: { streamId: req.streamId, nextVersion: to, positions: mine, checkpoint, duplicate: false },
        });
      } else if (status === STATUS.batchKey) {
        const first = outcomes[from - 1]!;
        outcomes.push(first.ok ? { ok: true, value: { ...first.value, duplicate: true } } : first);
      } else if (status === STATUS.earlierKey) {
        found = true;
        const prior = { streamId: row.dup_streams[i]!, from, to };
        outcomes.push({ ok: true, value: await this.#replay(sql, prior, true) });
      } else if (status === STATUS.alreadyStored) {
        found = true;
        // While recovering, an earlier attempt of this very flush stored them:
        // the caller's own first write. Otherwise an earlier call did.
        const prior = { streamId: req.streamId, from, to };
        outcomes.push({ ok: true, value: await this.#replay(sql, prior, mode !== 'recover') });
      } else if (status === STATUS.keyOnOtherStream) {
        const error = new IdempotencyKeyReusedError(req.idempotencyKey!, req.streamId, row.dup_streams[i]!);
        outcomes.push({ ok: false, error });
      } else if (status === STATUS.idTakenElsewhere) {
        outcomes.push({ ok: false, error: new DuplicateEventIdError(req.streamId, row.dup_streams[i]!) });
      } else {
        throw new Error(`append_batch returned an unknown status ${status}`);
      }
    }
    const joinedApplied = new Set<number>();
    joined.forEach((_, c) => {
      for (const req of row[`joined_${c}`] ?? []) joinedApplied.add(Number(req) - 1);
    });
    return {
      outcomes,
      wrote: positions.length > 0,
      events,
      joinedApplied,
      foundWhileRecovering: found && mode === 'recover',
    };
  }

  /**
   * The flush with its joined writes: each writer's call runs after
   * `append_batch` (the subquery is not flattened, and the function's result
   * is complete before a row comes out of it), in the same statement, told
   * which requests succeeded and which of them wrote their events now (not
   * answered by an earlier append). A call that raises rolls the statement back.
   */
  #withJoined(calls: readonly JoinedCall[]): string {
    const ok = statusIn(OK_STATUSES);
    const written = statusIn([STATUS.written]);
    const columns = calls.map(
      (call, i) => `${call.writer.expression(`$${18 + i}`, ok, written)} AS joined_${i}`,
    );
    return `SELECT b.*, ${columns.join(', ')} FROM (${this.#appendBatch} OFFSET 0) AS b`;
  }

  /**
   * Fence off the given attempts (lost attempts of one flush): each fails when
   * it reads its fence after locking its streams, so no attempt the client
   * lost track of can commit after the flush was run again and answered for.
   * Other flushes' attempts are not touched. Its own statement, committed
   * before the flush runs again.
   */
  async fence(sql: SqlQueryable, attemptIds: readonly string[]): Promise<void> {
    await sql.query(this.#fence, [attemptIds]);
  }

  /** Rebuild the result of an append already stored, from its stream's versions. */
  async #replay(
    sql: SqlQueryable,
    prior: { streamId: string; from: number; to: number },
    duplicate: boolean,
  ): Promise<AppendResult> {
    const { rows } = await sql.query<{
      version: string | number;
      global_position: string | number;
      txid: string;
    }>(this.#keyEvents, [prior.streamId, prior.from, prior.to], PREPARED);
    const last = rows.at(-1);
    return {
      streamId: prior.streamId,
      nextVersion: prior.to,
      positions: rows.map((r) => Number(r.global_position)),
      checkpoint: last ? formatCheckpoint(last.txid, Number(last.global_position)) : '0:0',
      duplicate,
    };
  }
}
