/**
 * The processing-state contract: what processors rely on from a
 * `ProcessingState` adapter (in memory, PostgreSQL/PGlite tables, or a third
 * party's) — fenced checkpoints, dead letters, redrives and leases.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointMovedError,
  defineProjection,
  ProcessingNotFoundError,
  START_CHECKPOINT,
  type ProcessingState,
  type ProjectionDefinition,
  type ProjectionStorage,
  type StoredEvent,
} from '../index.js';

/**
 * Opens a fresh, empty state for one test; `close` releases it.
 * `projections`, when given, makes the storage of a projection's rows on the
 * same database, and the suite checks it too.
 */
export type ProcessingStateFactory = () => Promise<{
  state: ProcessingState;
  projections?: (definition: ProjectionDefinition) => ProjectionStorage;
  close(): Promise<void>;
}>;

/** A projection of counters by id, for the storage cases. */
const counters = defineProjection({
  name: 'contract_counters',
  key: ['id'],
  migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, n integer NOT NULL)'],
  handlers: {},
});

/** A stored event as a store would hand it to a processor. */
function storedEvent(n: number): StoredEvent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    aggregateId: `order-${n}`,
    aggregateType: 'order',
    type: 'order.placed',
    data: { n, note: 'línea — ✓' },
    metadata: {},
    version: 1,
    globalPosition: n,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    processedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, n)),
    checkpoint: `${n}:${n}`,
  };
}

/**
 * Register the processing-state contract with vitest: checkpoints load once
 * and move only from the checkpoint a commit expects (one of two racing
 * commits wins), failed work moves nothing, dead letters keep their event and
 * count attempts, a redrive removes a letter only after its work succeeded,
 * and leases have one owner at a time.
 *
 * @example
 * ```ts
 * import { processingStateContract } from '@creatorflow/sync/testing';
 * processingStateContract('my state', async () => ({ state: createMyState(), close: async () => {} }));
 * ```
 */
export function processingStateContract(
  name: string,
  factory: ProcessingStateFactory,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`processing state contract: ${name}`, () => {
    let state: ProcessingState;
    let projections: ((definition: ProjectionDefinition) => ProjectionStorage) | undefined;
    let close: () => Promise<void>;
    const work = async () => 'done';
    /** A letter of `processor` for event 1, after its checkpoint is at 1:1. */
    const firstLetter = async (processor = 'p') => {
      await state.saveCheckpoint('p', '1:1');
      return state.deadLetters.add({ processor, event: storedEvent(1), error: 'e', attempts: 1 });
    };

    beforeEach(async () => {
      ({ state, projections, close } = await factory());
      await state.migrate();
      await state.migrate(); // migrating again is harmless
    });
    afterEach(async () => {
      await close();
    });

    describe('checkpoints', () => {
      it('reads null for an unknown processor, and only stored ones in bulk', async () => {
        expect(await state.readCheckpoint('nobody')).toBeNull();
        await state.saveCheckpoint('a', '5:5');
        const found = await state.readCheckpoints(['a', 'nobody']);
        expect([...found]).toEqual([['a', '5:5']]);
      });

      it('load stores the initial checkpoint once; later loads return the stored one', async () => {
        let asked = 0;
        const initial = async () => (asked++, '3:3');
        expect(await state.loadCheckpoint('p', initial)).toBe('3:3');
        await state.saveCheckpoint('p', '7:7');
        expect(await state.loadCheckpoint('p', initial)).toBe('7:7');
        expect(asked).toBe(1);
        expect(await state.readCheckpoint('p')).toBe('7:7');
      });

      it('racing loads agree on one checkpoint', async () => {
        const loads = await Promise.all(
          ['1:1', '2:2', '3:3'].map((cp) => state.loadCheckpoint('p', async () => cp)),
        );
        expect(new Set(loads).size).toBe(1);
        expect(await state.readCheckpoint('p')).toBe(loads[0]);
      });

      it('save overwrites unfenced (a stopped processor seeking)', async () => {
        await state.saveCheckpoint('p', '9:9');
        await state.saveCheckpoint('p', START_CHECKPOINT);
        expect(await state.readCheckpoint('p')).toBe(START_CHECKPOINT);
      });
    });

    describe.each([true, false])('commit (atomic: %s)', (atomic) => {
      it('runs the work and moves the checkpoint from the expected one', async () => {
        await state.loadCheckpoint('p', async () => START_CHECKPOINT);
        const result = await state.commit('p', START_CHECKPOINT, '4:4', work, { atomic });
        expect(result).toBe('done');
        expect(await state.readCheckpoint('p')).toBe('4:4');
      });

      it('refuses to move a checkpoint that is not the expected one (the fence)', async () => {
        await state.saveCheckpoint('p', '8:8');
        const err = await state.commit('p', '4:4', '9:9', work, { atomic }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CheckpointMovedError);
        expect(err).toMatchObject({
          code: 'CHECKPOINT_MOVED',
          processor: 'p',
          expected: '4:4',
          actual: '8:8',
        });
        expect(await state.readCheckpoint('p')).toBe('8:8');
      });

      it('moves nothing when the work throws, and passes its error on', async () => {
        await state.saveCheckpoint('p', '1:1');
        const boom = new Error('handler failed');
        await expect(state.commit('p', '1:1', '2:2', () => Promise.reject(boom), { atomic })).rejects.toBe(
          boom,
        );
        expect(await state.readCheckpoint('p')).toBe('1:1');
      });

      it('lets exactly one of two commits from the same checkpoint through', async () => {
        await state.saveCheckpoint('p', '1:1');
        const outcomes = await Promise.allSettled([
          state.commit('p', '1:1', '2:2', work, { atomic }),
          state.commit('p', '1:1', '3:3', work, { atomic }),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o) => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(CheckpointMovedError);
        expect(['2:2', '3:3']).toContain(await state.readCheckpoint('p'));
      });
    });

    describe('deferred commit (non-atomic)', () => {
      it('runs the work and leaves the checkpoint when no write goes with it', async () => {
        await state.saveCheckpoint('p', '1:1');
        expect(await state.commit('p', '1:1', '2:2', work, { atomic: false, deferred: true })).toBe('done');
        expect(await state.readCheckpoint('p')).toBe('1:1');
        // The caller stores it later, fenced on the one it left.
        await state.commit('p', '1:1', '3:3', work, { atomic: false });
        expect(await state.readCheckpoint('p')).toBe('3:3');
      });
    });

    describe('dead letters', () => {
      it('keeps the event as it was stored, with the error and attempts', async () => {
        const event = storedEvent(1);
        const letter = await state.deadLetters.add({
          processor: 'p',
          event,
          error: new Error('bad data'),
          attempts: 3,
        });
        expect(letter).toMatchObject({ processor: 'p', attempts: 3, event });
        expect(letter.error).toContain('bad data');
        expect(letter.failedAt).toBeInstanceOf(Date);
        expect(await state.deadLetters.get(letter.id)).toEqual(letter);
      });

      it('counts attempts on one letter when the same event fails again', async () => {
        const first = await state.deadLetters.add({
          processor: 'p',
          event: storedEvent(1),
          error: 'x',
          attempts: 2,
        });
        const again = await state.deadLetters.add({
          processor: 'p',
          event: storedEvent(1),
          error: 'y',
          attempts: 3,
        });
        expect(again.id).toBe(first.id);
        expect(again.attempts).toBe(5);
        await state.deadLetters.recordFailure(first.id, new Error('redrive failed'), 1);
        const stored = await state.deadLetters.get(first.id);
        expect(stored?.attempts).toBe(6);
        expect(stored?.error).toContain('redrive failed');
      });

      it('lists by processor in id order, pages, counts and removes', async () => {
        const ids: string[] = [];
        for (let n = 1; n <= 4; n++) {
          const processor = n === 3 ? 'other' : 'p';
          ids.push(
            (await state.deadLetters.add({ processor, event: storedEvent(n), error: 'e', attempts: 1 })).id,
          );
        }
        const mine = await state.deadLetters.list({ processor: 'p' });
        expect(mine.map((l) => l.event.globalPosition)).toEqual([1, 2, 4]);
        const page = await state.deadLetters.list({ processor: 'p', afterId: mine[0]!.id, limit: 1 });
        expect(page.map((l) => l.event.globalPosition)).toEqual([2]);
        expect(await state.deadLetters.countByProcessor()).toEqual({ p: 3, other: 1 });
        expect(await state.deadLetters.remove(ids[0]!)).toBe(true);
        expect(await state.deadLetters.remove(ids[0]!)).toBe(false);
        expect(await state.deadLetters.get(ids[0]!)).toBeNull();
      });

      it('an id that names no letter (not a number, a NUL, past bigint) is none, never an error', async () => {
        const { id } = await firstLetter();
        for (const bad of ['abc', '', ' 1', '1.5', '-1', '1e3', 'a\u0000', '99999999999999999999999']) {
          expect(await state.deadLetters.get(bad), bad).toBeNull();
          expect(await state.deadLetters.remove(bad), bad).toBe(false);
          await state.deadLetters.recordFailure(bad, new Error('x'), 1);
          await expect(state.redriveDeadLetter('p', bad, work, { atomic: false }), bad).rejects.toMatchObject(
            {
              code: 'NOT_FOUND',
            },
          );
        }
        expect(await state.deadLetters.get(id)).toMatchObject({ attempts: 1 });
      });

      it('a list filter no store can answer is INVALID_ARGUMENT', async () => {
        for (const filter of [{ afterId: 'abc' }, { afterId: '-1' }, { limit: -1 }, { limit: 1.5 }]) {
          await expect(state.deadLetters.list(filter), JSON.stringify(filter)).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
          });
        }
      });
    });

    describe.each([true, false])('redriveDeadLetter (atomic: %s)', (atomic) => {
      it('removes the letter once its work succeeded', async () => {
        const { id } = await firstLetter();
        expect(await state.redriveDeadLetter('p', id, work, { atomic })).toBe('done');
        expect(await state.deadLetters.get(id)).toBeNull();
      });

      it('keeps the letter when the work throws', async () => {
        const { id } = await firstLetter();
        const boom = new Error('still failing');
        await expect(state.redriveDeadLetter('p', id, () => Promise.reject(boom), { atomic })).rejects.toBe(
          boom,
        );
        expect(await state.deadLetters.get(id)).not.toBeNull();
      });

      it("refuses a letter that is gone or another processor's, without running the work", async () => {
        const { id } = await firstLetter('other');
        let ran = false;
        const mark = async () => void (ran = true);
        await expect(state.redriveDeadLetter('p', id, mark, { atomic })).rejects.toBeInstanceOf(
          ProcessingNotFoundError,
        );
        await expect(state.redriveDeadLetter('p', '999999', mark, { atomic })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        expect(ran).toBe(false);
        expect(await state.deadLetters.get(id)).not.toBeNull();
      });
    });

    describe('leases (where the state shares them)', () => {
      it('one owner at a time; renewal by the owner only; release lets another in', async (ctx) => {
        const leases = state.leases;
        if (!leases) return ctx.skip();
        expect(await leases.acquire('job', 'a', 60_000)).toBe(true);
        expect(await leases.acquire('job', 'a', 60_000)).toBe(true); // already ours
        expect(await leases.acquire('job', 'b', 60_000)).toBe(false);
        expect(await leases.renew('job', 'a', 60_000)).toBe(true);
        expect(await leases.renew('job', 'b', 60_000)).toBe(false);
        await leases.release('job', 'b'); // not b's: nothing happens
        expect(await leases.acquire('job', 'b', 60_000)).toBe(false);
        await leases.release('job', 'a');
        expect(await leases.renew('job', 'a', 60_000)).toBe(false);
        expect(await leases.acquire('job', 'b', 60_000)).toBe(true);
        expect(await leases.acquire('other-job', 'a', 60_000)).toBe(true);
      });
    });

    describe('projection storage', () => {
      it('migrates twice, writes and deletes rows, and reads them back sorted by key', async (ctx) => {
        if (!projections) return ctx.skip();
        const storage = projections(counters);
        await storage.migrate();
        await storage.migrate();
        const table = storage.table();
        expect(await table.all()).toEqual([]);
        await table.write({
          upserts: [
            { id: 'b', n: 2 },
            { id: 'a', n: 1 },
          ],
          deletes: [],
        });
        await table.write({ upserts: [{ id: 'a', n: 3 }], deletes: [{ id: 'b' }] });
        expect(await storage.table().all()).toEqual([{ id: 'a', n: 3 }]);
        const found = await table.load([{ id: 'a' }, { id: 'zz' }]);
        expect([...found.values()]).toEqual([{ id: 'a', n: 3 }]);
      });

      it('a SQL table joins the commit’s transaction: failed work leaves no row', async (ctx) => {
        if (!projections) return ctx.skip();
        const storage = projections(counters);
        if (storage.kind !== 'sql') return ctx.skip(); // memory rows cannot roll back
        await storage.migrate();
        const from = await state.loadCheckpoint('projection:contract_counters', async () => START_CHECKPOINT);
        const failing = state.commit(
          'projection:contract_counters',
          from,
          '1:1',
          async (tx) => {
            await storage.table(tx).write({ upserts: [{ id: 'a', n: 1 }], deletes: [] });
            throw new Error('work failed');
          },
          { atomic: true },
        );
        await expect(failing).rejects.toThrow('work failed');
        expect(await storage.table().all()).toEqual([]);
        expect(await state.readCheckpoint('projection:contract_counters')).toBe(from);
      });

      it('in memory, replace() puts a replayed table in place of the live one', async (ctx) => {
        if (!projections) return ctx.skip();
        const storage = projections(counters);
        if (storage.kind !== 'memory') return ctx.skip(); // SQL rebuilds blue/green through the store
        await storage.table().write({ upserts: [{ id: 'old', n: 1 }], deletes: [] });
        const other = projections(counters);
        await other.table().write({ upserts: [{ id: 'new', n: 2 }], deletes: [] });
        storage.replace(other.table());
        expect(await storage.table().all()).toEqual([{ id: 'new', n: 2 }]);
      });
    });
  });
}
