/**
 * How many of a deployment's sagas were claimed more than once. A saga is
 * claimed once when nothing goes wrong (its lease token is 1 when it
 * finishes); a higher token means a worker lost it — it fenced itself, or it
 * died — and another claimed it again, running its step again under the
 * step's idempotency key. The e2e benchmarks report it so a live host
 * fencing its own sagas under load shows in their lines.
 */
import pg from 'pg';
import { databaseUrl } from './pg-bench.js';

/** Sagas claimed again, and the highest lease token, of every saga table in `database`. */
export async function sagasClaimedAgain(
  database: string,
): Promise<{ claimedAgain: number; maxToken: number }> {
  const client = new pg.Client({ connectionString: databaseUrl(database) });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ schema: string }>(
      "SELECT schemaname AS schema FROM pg_tables WHERE tablename = 'sagas'",
    );
    let claimedAgain = 0;
    let maxToken = 0;
    for (const { schema } of tables) {
      const { rows } = await client.query<{ again: number; max: number | null }>(
        `SELECT count(*) FILTER (WHERE lease_token > 1)::int AS again, max(lease_token) AS max
           FROM "${schema.replace(/"/g, '""')}".sagas`,
      );
      claimedAgain += rows[0]!.again;
      maxToken = Math.max(maxToken, rows[0]!.max ?? 0);
    }
    return { claimedAgain, maxToken };
  } finally {
    await client.end();
  }
}
