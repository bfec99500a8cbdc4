/**
 * Hold a stream row's lock from another session, as a concurrent flush (or a
 * chaos fault) would, so a test can make an append wait for it, and see that
 * the append is waiting.
 */
import type pg from 'pg';

/**
 * Take `streamId`'s row lock in a transaction of `admin`; resolves once held,
 * with a function that ends the transaction and frees the connection.
 *
 * @example
 * ```ts
 * const release = await lockStreamRow(admin, schema, 'order-1');
 * const pending = store.append('order-1', events); // waits for the row
 * await release();
 * ```
 */
export async function lockStreamRow(
  admin: pg.Pool,
  schema: string,
  streamId: string,
): Promise<() => Promise<void>> {
  const client = await admin.connect();
  await client.query('BEGIN');
  await client.query(`SELECT version FROM "${schema}".streams WHERE stream_id = $1 FOR UPDATE`, [streamId]);
  return async () => {
    await client.query('ROLLBACK');
    client.release();
  };
}

/**
 * Backends of `schema` running `append_batch` that wait for a lock: how a test
 * knows an append reached the row another session holds.
 *
 * @example
 * ```ts
 * await vi.waitFor(async () => expect(await appendsWaitingOnLock(admin, schema)).toBe(1));
 * ```
 */
export async function appendsWaitingOnLock(admin: pg.Pool, schema: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE state = 'active' AND wait_event_type = 'Lock' AND query LIKE '%append_batch%'
        AND query LIKE $1 AND pid <> pg_backend_pid()`,
    [`%"${schema}"%`],
  );
  return rows[0]!.n;
}
