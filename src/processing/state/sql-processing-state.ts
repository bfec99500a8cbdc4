/**
 * Processing state in the tables of a schema (PostgreSQL or PGlite): the
 * checkpoint row is written in the same transaction as a batch's effects, and
 * locked first, so a second holder blocks on it and then finds it moved.
 */
import type { SqlClient } from '../../core/sql-client.js';
import { InvalidArgumentError } from '../../core/errors.js';
import {
  advanceCheckpoint,
  advanceCheckpointWith,
  queueCheckpointAdvance,
  loadCheckpoint,
  lockCheckpointRow,
  readCheckpoint,
  readCheckpoints,
  saveCheckpoint,
} from '../checkpoint-store.js';
import { sqlDeadLetterQueue } from '../dead-letter-queue.js';
import { ProcessingNotFoundError } from '../errors.js';
import { sqlLeases } from '../lease.js';
import { migrateProcessing } from '../migrate-processing.js';
import type { ProcessingState } from './processing-state.js';

/**
 * A {@link ProcessingState} in `schema` (tables `processor_checkpoints`,
 * `dead_letters`, `leases`, created by `migrate()`).
 *
 * @example
 * ```ts
 * const state = sqlProcessingState(sql, 'app');
 * console.log(await state.readCheckpoint('projection:totals')); // '812:40'
 * ```
 */
export function sqlProcessingState(sql: SqlClient, schema: string): ProcessingState {
  const deadLetters = sqlDeadLetterQueue(sql, schema);
  return {
    migrate: () => migrateProcessing(sql, schema),
    readCheckpoint: (processor, tx = sql) => readCheckpoint(tx, schema, processor),
    readCheckpoints: (processors) => readCheckpoints(sql, schema, processors),
    loadCheckpoint: (processor, initial) => loadCheckpoint(sql, schema, processor, initial),
    saveCheckpoint: (processor, checkpoint) => saveCheckpoint(sql, schema, processor, checkpoint),
    async commit(processor, expected, next, work, { atomic, deferred = false }) {
      if (atomic) {
        return sql.transaction(async (tx) => {
          // Fence and advance first; failing work rolls both back. Where the
          // transaction pipelines, the fence goes out with BEGIN and the work's
          // first statement, and is checked before COMMIT.
          const fence = await queueCheckpointAdvance(tx, schema, processor, expected, next);
          const result = await work(tx).catch(async (err: unknown) => {
            await fence.held; // a moved checkpoint explains the failure
            throw err;
          });
          await fence.held;
          return result;
        });
      }
      // No transaction is open while the work runs, so its own writes (appends
      // through the store) get a connection — on PGlite, the only one. The fenced
      // update comes after, or with the work's one write; when it fails the work
      // is done again. Deferred: no update when the work sent no write with it.
      let stored = false;
      const result = await work(undefined, async (text, params) => {
        if (stored)
          throw new InvalidArgumentError(`${processor}: one write a batch goes with the checkpoint`);
        stored = true;
        return advanceCheckpointWith(sql, schema, processor, expected, next, text, params);
      });
      if (!stored && !deferred) await advanceCheckpoint(sql, schema, processor, expected, next);
      return result;
    },
    async redriveDeadLetter(processor, id, work, { atomic }) {
      const notFound = () => new ProcessingNotFoundError(`Dead letter ${id} no longer exists`);
      if (atomic) {
        return sql.transaction(async (tx) => {
          // Serialize with the live batches (which lock this row first) so both never
          // read-modify-write the same read-model rows at once.
          await lockCheckpointRow(tx, schema, processor);
          const letter = await deadLetters.get(id, tx);
          if (letter?.processor !== processor || !(await deadLetters.remove(id, tx))) throw notFound();
          return work(tx);
        });
      }
      // Without a transaction around the work, a crash before the removal redrives the letter again.
      const letter = await deadLetters.get(id);
      if (letter?.processor !== processor) throw notFound();
      const result = await work(undefined);
      await deadLetters.remove(id);
      return result;
    },
    deadLetters,
    leases: sqlLeases(sql, schema),
  };
}
