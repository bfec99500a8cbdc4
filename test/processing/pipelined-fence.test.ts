/**
 * The fenced checkpoint update of an exactly-once batch is queued on
 * PostgreSQL: it goes out with BEGIN and the handler's first statement, which
 * run before its answer is read. A failed fence must still throw
 * `CheckpointMovedError` and roll the handler's writes back, whether the
 * handler then succeeds or fails; and a handler's queued write that fails
 * fails the commit, leaving the checkpoint where it was.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { queueStatement } from '../../src/core/sql-client.js';
import { CheckpointMovedError, sqlProcessingState } from '../../src/processing/index.js';
import type { ProcessingState } from '../../src/processing/state/processing-state.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

describe.skipIf(!postgresEngine.available)('a pipelined exactly-once commit on PostgreSQL', () => {
  const schema = uniqueSchema('pf');
  let pool: pg.Pool;
  let state: ProcessingState;
  const rows = async () =>
    (await pool.query<{ id: string }>(`SELECT id FROM "${schema}".done ORDER BY id`)).rows.map((r) => r.id);

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    state = sqlProcessingState(fromPg(pool), schema);
    await state.migrate();
    await pool.query(`CREATE TABLE "${schema}".done (id text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  const insert = (id: string) => `INSERT INTO "${schema}".done (id) VALUES ('${id}')`;

  it('a moved checkpoint fails the commit and rolls the handler’s writes back', async () => {
    await state.saveCheckpoint('p', '8:8');
    const err = await state
      .commit(
        'p',
        '4:4',
        '9:9',
        async (tx) => {
          await tx!.query(insert('read-write'));
          await queueStatement(tx!, insert('queued'));
        },
        { atomic: true },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointMovedError);
    expect(err).toMatchObject({ expected: '4:4', actual: '8:8' });
    expect(await state.readCheckpoint('p')).toBe('8:8');
    expect(await rows()).toEqual([]);
  });

  it('a moved checkpoint explains a handler that failed after it', async () => {
    await state.saveCheckpoint('q', '8:8');
    const err = await state
      .commit(
        'q',
        '4:4',
        '9:9',
        async (tx) => {
          await tx!.query('SELECT 1/0');
        },
        { atomic: true },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointMovedError);
    expect(await state.readCheckpoint('q')).toBe('8:8');
  });

  it('a queued write that fails fails the commit and leaves the checkpoint', async () => {
    await state.saveCheckpoint('r', '1:1');
    await pool.query(`INSERT INTO "${schema}".done (id) VALUES ('taken')`);
    const err = await state
      .commit(
        'r',
        '1:1',
        '2:2',
        async (tx) => {
          await queueStatement(tx!, insert('fresh'));
          await queueStatement(tx!, insert('taken')); // unique_violation, answered after the handler returned
        },
        { atomic: true },
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '23505' });
    expect(await state.readCheckpoint('r')).toBe('1:1');
    expect(await rows()).toEqual(['taken']);
  });
});
