/**
 * Probe (not part of `npm run bench`): server CPU per record of forms of the
 * conflict audit's multi-row INSERT, alternating, on real records dumped by
 * `pass-stats.ts` (PROBE_DUMP=/tmp/audit-records.json). PROBE_BATCH (256, in
 * four statements), PROBE_ROUNDS (6). Server CPU from /proc of the backend.
 */
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { PG_URL } from '../support/pg-bench.js';
const records: string[] = JSON.parse(readFileSync('/tmp/audit-records.json', 'utf8'));
const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
const client = await pool.connect();
const pid = (await client.query('select pg_backend_pid() p')).rows[0].p;
const ticks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(x[11]) + Number(x[12]);
};
const S = 'probe_audit_' + process.pid;
await client.query(`create schema ${S}`);
await client.query(`CREATE TABLE ${S}.conflict_audit (conflict_id uuid PRIMARY KEY, entity_type text NOT NULL, entity_id text NOT NULL, kind text NOT NULL, status text NOT NULL, detected_at timestamptz NOT NULL, resolved_at timestamptz, resolution_ms double precision, record jsonb COMPRESSION lz4 NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), tenant_id text);
CREATE INDEX ON ${S}.conflict_audit (detected_at) WHERE status = 'pending'; CREATE INDEX ON ${S}.conflict_audit (detected_at); CREATE INDEX ON ${S}.conflict_audit (entity_type, entity_id);
CREATE INDEX ON ${S}.conflict_audit (tenant_id, detected_at); CREATE INDEX ON ${S}.conflict_audit (tenant_id, detected_at) WHERE status = 'pending';`);
const cols = `(conflict_id, entity_type, entity_id, kind, status, detected_at, resolved_at, resolution_ms, record, tenant_id)`;
const sel = `SELECT (r->>'conflictId')::uuid, r->'resolution'->>'entityType', r->'resolution'->>'entityId', r->'resolution'->>'kind', r->>'status', (r->>'detectedAt')::timestamptz, (r->>'resolvedAt')::timestamptz, (r->>'resolutionMs')::double precision, r, r->>'tenantId'`;
const variants: Record<string, (recs: string[]) => pg.QueryConfig> = {
  jsonb_array: (recs) => ({
    text: `INSERT INTO ${S}.conflict_audit ${cols} ${sel} FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT (conflict_id) DO NOTHING`,
    values: [`[${recs.join(',')}]`],
  }),
  jsonb_array_named: (recs) => ({
    name: 'a1',
    text: `INSERT INTO ${S}.conflict_audit ${cols} ${sel} FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT (conflict_id) DO NOTHING`,
    values: [`[${recs.join(',')}]`],
  }),
  json_array_each: (recs) => ({
    text: `INSERT INTO ${S}.conflict_audit ${cols} ${sel} FROM json_array_elements($1::json) AS j(e), LATERAL (SELECT j.e::jsonb AS r) x ON CONFLICT (conflict_id) DO NOTHING`,
    values: [`[${recs.join(',')}]`],
  }),
  text_array_each: (recs) => ({
    text: `INSERT INTO ${S}.conflict_audit ${cols} ${sel} FROM unnest($1::text[]) AS t(e), LATERAL (SELECT t.e::jsonb AS r) x ON CONFLICT (conflict_id) DO NOTHING`,
    values: [recs],
  }),
};
const n = Number(process.env.PROBE_BATCH ?? 250);
const rounds = Number(process.env.PROBE_ROUNDS ?? 6);
const res: Record<string, number[]> = {};
let seq = 0;
for (let round = 0; round < rounds; round++) {
  for (const [name, make] of Object.entries(variants)) {
    // Fresh ids so every row is inserted.
    const recs = Array.from({ length: n }, (_, i) => {
      const r = JSON.parse(records[i % records.length]!);
      seq++;
      r.conflictId = `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
      return JSON.stringify(r);
    });
    await client.query('BEGIN');
    const t0 = ticks();
    const c0 = process.hrtime.bigint();
    for (let k = 0; k < 4; k++) await client.query(make(recs.slice(k * (n / 4), (k + 1) * (n / 4))));
    await client.query('COMMIT');
    const wall = Number(process.hrtime.bigint() - c0) / 1e6;
    const t1 = ticks();
    (res[name] ??= []).push(((t1 - t0) * 10000) / n);
    if (round === rounds - 1)
      console.log(
        name,
        'server µs/record',
        res[name]!.map((x) => Math.round(x)).join(' '),
        'median',
        Math.round([...res[name]!].sort((a, b) => a - b)[Math.floor(res[name]!.length / 2)]!),
        'last wall ms',
        Math.round(wall),
      );
  }
}
await client.query(`drop schema ${S} cascade`);
client.release();
await pool.end();
