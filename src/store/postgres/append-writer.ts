/**
 * Writes one group-commit batch in one transaction. Each request gets its own
 * outcome: a version conflict fails only that request.
 *
 * Per flush: take the shared writer lock (see writer-lock.ts), claim idempotency keys (INSERT … ON CONFLICT DO NOTHING waits for
 * a concurrent claimer, so a key is never written twice), create-or-lock the
 * batch's stream rows in stream-id order (no deadlocks between flushes), decide
 * every request in JS against the locked versions, then one statement inserts
 * the events, moves the stream versions, records the keys and notifies.
 */
import { ConcurrencyError } from '../../core/errors.js';
import { quoteIdent, type SqlTransaction } from '../../core/sql-client.js';
import { formatCheckpoint } from '../checkpoint.js';
import { satisfiesExpectedVersion } from '../expected-version.js';
import type { FlushOutcome } from '../group-commit.js';
import type { PreparedAppend } from '../prepare-append.js';
import type { AppendResult, EventMetadata, StoredEvent } from '../types.js';
import { WRITER_LOCK_ROW, writerLockKeys } from './writer-lock.js';

/** The writer's statements have fixed texts: prepared once per connection. */
const PREPARED = { prepare: true } as const;

/** What a batch wrote, for inline hooks and wake-ups. */
export interface WrittenBatch {
  outcomes: FlushOutcome<AppendResult>[];
  events: StoredEvent[];
}

interface Decision {
  kind: 'write' | 'duplicate' | 'same-batch-duplicate' | 'conflict';
  /** First and last version written (write). */
  from?: number;
  to?: number;
  error?: ConcurrencyError;
  /** Index of the earlier request in this batch with the same key. */
  duplicateOf?: number;
}

/** The statements of the writer, built once per schema. */
export class AppendWriter {
  readonly #claimKeys: string;
  readonly #readKeys: string;
  readonly #lockStreams: string;
  readonly #write: string;
  readonly #keyEvents: string;
  readonly #channel: string;
  readonly #lockKeys: [number, number];

  constructor(schema: string, channel: string) {
    const s = quoteIdent(schema);
    this.#channel = channel;
    this.#lockKeys = writerLockKeys(schema);
    // The first writing statement of a flush takes the writer lock in a CTE: the
    // sort needs it before any row is inserted, so before the transaction has an id.
    this.#claimKeys = `WITH writer AS MATERIALIZED (${WRITER_LOCK_ROW})
      INSERT INTO ${s}.idempotency_keys (key, stream_id)
      SELECT k.key, k.stream_id FROM unnest($1::text[], $2::text[]) AS k(key, stream_id), writer ORDER BY 1
      ON CONFLICT (key) DO NOTHING RETURNING key`;
    this.#readKeys = `SELECT key, stream_id, result FROM ${s}.idempotency_keys WHERE key = ANY($1::text[])`;
    // DO UPDATE (a no-op) takes the row lock and returns the current version in one round trip.
    this.#lockStreams = `WITH writer AS MATERIALIZED (${WRITER_LOCK_ROW})
      INSERT INTO ${s}.streams AS st (stream_id, aggregate_type)
      SELECT n.stream_id, n.aggregate_type FROM unnest($1::text[], $2::text[]) AS n(stream_id, aggregate_type), writer
       ORDER BY 1
      ON CONFLICT (stream_id) DO UPDATE SET stream_id = st.stream_id
      RETURNING stream_id, version`;
    this.#write = `WITH ev AS (
        INSERT INTO ${s}.events (id, aggregate_id, aggregate_type, event_type, event_data, metadata, version, occurred_at)
        SELECT t.id, t.aggregate_id, t.aggregate_type, t.event_type, t.event_data, t.metadata, t.version, t.occurred_at
          FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::bigint[], $8::timestamptz[])
               WITH ORDINALITY AS t(id, aggregate_id, aggregate_type, event_type, event_data, metadata, version, occurred_at, ord)
         ORDER BY t.ord
        RETURNING id, global_position, transaction_id::text AS txid, processed_at
      ), moved AS (
        UPDATE ${s}.streams st SET version = v.version, updated_at = now()
          FROM unnest($9::text[], $10::bigint[]) AS v(stream_id, version)
         WHERE st.stream_id = v.stream_id
      ), unused AS (
        DELETE FROM ${s}.streams WHERE stream_id = ANY($11::text[]) AND version = 0
      ), keys_done AS (
        UPDATE ${s}.idempotency_keys k SET result = jsonb_build_object('from', r.from_version, 'to', r.to_version)
          FROM unnest($12::text[], $13::bigint[], $14::bigint[]) AS r(key, from_version, to_version)
         WHERE k.key = r.key
      ), keys_released AS (
        DELETE FROM ${s}.idempotency_keys WHERE key = ANY($15::text[])
      )
      SELECT ev.id, ev.global_position, ev.txid, ev.processed_at
        FROM ev, (SELECT pg_notify($16, '')) AS notified`;
    this.#keyEvents = `SELECT version, global_position, transaction_id::text AS txid FROM ${s}.events
      WHERE aggregate_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version`;
  }

  /** Write `batch` inside `tx`. Throws only for failures that are not one request's fault. */
  async write(tx: SqlTransaction, batch: readonly PreparedAppend[]): Promise<WrittenBatch> {
    // 1. Idempotency keys: claim ours; read the results of keys someone already used.
    const keyed = new Map<string, string>();
    for (const req of batch)
      if (req.idempotencyKey && !keyed.has(req.idempotencyKey)) keyed.set(req.idempotencyKey, req.streamId);
    const earlier = new Map<string, { streamId: string; from: number; to: number }>();
    if (keyed.size > 0) {
      const claimed = await tx.query<{ key: string }>(
        this.#claimKeys,
        [[...keyed.keys()], [...keyed.values()], ...this.#lockKeys],
        PREPARED,
      );
      const mine = new Set(claimed.rows.map((r) => r.key));
      const taken = [...keyed.keys()].filter((k) => !mine.has(k));
      if (taken.length > 0) {
        const { rows } = await tx.query<{
          key: string;
          stream_id: string;
          result: { from: number; to: number } | null;
        }>(this.#readKeys, [taken], PREPARED);
        for (const r of rows) if (r.result) earlier.set(r.key, { streamId: r.stream_id, ...r.result });
      }
    }

    // 2. Create-or-lock every stream that may be written.
    const streamTypes = new Map<string, string>();
    for (const req of batch) {
      if (req.idempotencyKey && earlier.has(req.idempotencyKey)) continue;
      if (!streamTypes.has(req.streamId)) streamTypes.set(req.streamId, req.aggregateType);
    }
    const versions = new Map<string, number>();
    if (streamTypes.size > 0) {
      const { rows } = await tx.query<{ stream_id: string; version: string | number }>(
        this.#lockStreams,
        [[...streamTypes.keys()], [...streamTypes.values()], ...this.#lockKeys],
        PREPARED,
      );
      for (const r of rows) versions.set(r.stream_id, Number(r.version));
    }
    const created = new Set([...versions].filter(([, v]) => v === 0).map(([id]) => id));

    // 3. Decide each request in order; requests on one stream chain their versions.
    const decisions: Decision[] = [];
    const keyOwner = new Map<string, number>();
    for (const [i, req] of batch.entries()) {
      const key = req.idempotencyKey;
      if (key && earlier.has(key)) {
        decisions.push({ kind: 'duplicate' });
        continue;
      }
      if (key && keyOwner.has(key)) {
        decisions.push({ kind: 'same-batch-duplicate', duplicateOf: keyOwner.get(key)! });
        continue;
      }
      const current = versions.get(req.streamId) ?? 0;
      if (!satisfiesExpectedVersion(req.expectedVersion, current)) {
        decisions.push({
          kind: 'conflict',
          error: new ConcurrencyError(req.streamId, req.expectedVersion, current),
        });
        continue;
      }
      const to = current + req.events.length;
      versions.set(req.streamId, to);
      if (key) keyOwner.set(key, i);
      decisions.push({ kind: 'write', from: current + 1, to });
    }

    // 4. One statement writes everything that passed.
    const cols = {
      id: [] as string[],
      stream: [] as string[],
      aggType: [] as string[],
      type: [] as string[],
      data: [] as string[],
      meta: [] as string[],
      version: [] as number[],
      occurred: [] as string[],
    };
    const writtenStreams = new Map<string, number>();
    const doneKeys: { key: string; from: number; to: number }[] = [];
    batch.forEach((req, i) => {
      const d = decisions[i]!;
      if (d.kind !== 'write') return;
      req.events.forEach((e, j) => {
        cols.id.push(e.id);
        cols.stream.push(req.streamId);
        cols.aggType.push(req.aggregateType);
        cols.type.push(e.type);
        cols.data.push(e.dataJson);
        cols.meta.push(e.metadataJson);
        cols.version.push(d.from! + j);
        cols.occurred.push(e.occurredAt.toISOString());
      });
      writtenStreams.set(req.streamId, d.to!);
      if (req.idempotencyKey) doneKeys.push({ key: req.idempotencyKey, from: d.from!, to: d.to! });
    });
    const unusedStreams = [...created].filter((id) => !writtenStreams.has(id));
    const releasedKeys = [...keyed.keys()].filter((k) => !earlier.has(k) && !keyOwner.has(k));

    const positions = new Map<string, { position: number; txid: string; processedAt: Date }[]>();
    if (cols.id.length > 0 || unusedStreams.length > 0 || releasedKeys.length > 0) {
      const { rows } = await tx.query<{
        id: string;
        global_position: string | number;
        txid: string;
        processed_at: Date | string;
      }>(
        this.#write,
        [
          cols.id,
          cols.stream,
          cols.aggType,
          cols.type,
          cols.data,
          cols.meta,
          cols.version,
          cols.occurred,
          [...writtenStreams.keys()],
          [...writtenStreams.values()],
          unusedStreams,
          doneKeys.map((k) => k.key),
          doneKeys.map((k) => k.from),
          doneKeys.map((k) => k.to),
          releasedKeys,
          this.#channel,
        ],
        PREPARED,
      );
      for (const r of rows) {
        const list = positions.get(r.id) ?? [];
        list.push({
          position: Number(r.global_position),
          txid: r.txid,
          processedAt: r.processed_at instanceof Date ? r.processed_at : new Date(r.processed_at),
        });
        positions.set(r.id, list);
      }
    }

    // 5. Outcomes, and the stored events for inline hooks.
    const events: StoredEvent[] = [];
    const outcomes: FlushOutcome<AppendResult>[] = [];
    for (const [i, req] of batch.entries()) {
      const d = decisions[i]!;
      if (d.kind === 'conflict') {
        outcomes.push({ ok: false, error: d.error });
      } else if (d.kind === 'write') {
        const written = req.events.map((e, j) => {
          const slot = positions.get(e.id)?.shift();
          if (!slot) throw new Error(`event ${e.id} was not returned by the insert`);
          const event: StoredEvent = {
            id: e.id,
            aggregateId: req.streamId,
            aggregateType: req.aggregateType,
            type: e.type,
            data: JSON.parse(e.dataJson) as unknown,
            metadata: JSON.parse(e.metadataJson) as EventMetadata,
            version: d.from! + j,
            globalPosition: slot.position,
            occurredAt: e.occurredAt,
            processedAt: slot.processedAt,
            checkpoint: formatCheckpoint(slot.txid, slot.position),
          };
          events.push(event);
          return event;
        });
        const last = written.at(-1)!;
        outcomes.push({
          ok: true,
          value: {
            streamId: req.streamId,
            nextVersion: d.to!,
            positions: written.map((e) => e.globalPosition),
            checkpoint: last.checkpoint,
            duplicate: false,
          },
        });
      } else if (d.kind === 'same-batch-duplicate') {
        const first = outcomes[d.duplicateOf!]!;
        outcomes.push(first.ok ? { ok: true, value: { ...first.value, duplicate: true } } : first);
      } else {
        const prior = earlier.get(req.idempotencyKey!)!;
        outcomes.push({ ok: true, value: await this.#replay(tx, prior) });
      }
    }
    return { outcomes, events };
  }

  /** Rebuild the result of an earlier append from its idempotency record. */
  async #replay(
    tx: SqlTransaction,
    prior: { streamId: string; from: number; to: number },
  ): Promise<AppendResult> {
    const { rows } = await tx.query<{
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
      duplicate: true,
    };
  }
}
