/**
 * The followed-page window's law: followers of one store that share their
 * reads through it each see exactly the log, in order — whatever their batch
 * sizes, however their reads, the pages and the commits interleave, and
 * whatever the window's budget. The log is a model of the store's: positions
 * are taken when an event is written and transactions commit out of order,
 * and a page holds only transactions below its horizon (the oldest one still
 * open), read when the page is asked for and answered later.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCheckpoints, START_CHECKPOINT, type LogCheckpoint } from '../../src/core/checkpoint.js';
import { FollowedWindow } from '../../src/store/followed-window.js';

interface ModelEvent {
  txid: number;
  position: number;
  checkpoint: LogCheckpoint;
}

/** A log whose writers take positions as they write and commit in any order. */
class ModelLog {
  #nextTxid = 1;
  #nextPosition = 1;
  readonly #open = new Map<number, ModelEvent[]>();
  readonly committed: ModelEvent[] = [];

  begin(): void {
    this.#open.set(this.#nextTxid++, []);
  }

  write(pick: number): void {
    const txids = [...this.#open.keys()];
    if (txids.length === 0) return;
    const txid = txids[pick % txids.length]!;
    const position = this.#nextPosition++;
    this.#open.get(txid)!.push({ txid, position, checkpoint: `${txid}:${position}` });
  }

  /** Commit an open transaction; false when none is open. */
  commit(pick: number): boolean {
    const txids = [...this.#open.keys()];
    if (txids.length === 0) return false;
    const txid = txids[pick % txids.length]!;
    this.committed.push(...this.#open.get(txid)!);
    this.#open.delete(txid);
    return true;
  }

  commitAll(): void {
    while (this.commit(0));
  }

  /** What a page read now returns: committed events below the horizon, after `after`, in log order. */
  page(after: LogCheckpoint, limit: number): ModelEvent[] {
    const horizon = Math.min(...this.#open.keys(), this.#nextTxid);
    return this.committed
      .filter((e) => e.txid < horizon && compareCheckpoints(e.checkpoint, after) > 0)
      .sort((a, b) => compareCheckpoints(a.checkpoint, b.checkpoint))
      .slice(0, limit);
  }

  /** The whole log, in order. */
  all(): LogCheckpoint[] {
    return this.page(START_CHECKPOINT, Number.MAX_SAFE_INTEGER).map((e) => e.checkpoint);
  }
}

type WriterOp =
  { kind: 'begin' } | { kind: 'write'; pick: number } | { kind: 'commit'; pick: number; wakes: boolean };

const writerOp: fc.Arbitrary<WriterOp> = fc.oneof(
  fc.constant<WriterOp>({ kind: 'begin' }),
  fc.record({ kind: fc.constant('write' as const), pick: fc.nat(7) }),
  fc.record({ kind: fc.constant('commit' as const), pick: fc.nat(7), wakes: fc.boolean() }),
);

describe('FollowedWindow', () => {
  it('every follower sees exactly the log, in order, under any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(writerOp, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(0, 2, 5, 1_000),
        fc.constantFrom(0, Number.POSITIVE_INFINITY),
        async (s, ops, batchSizes, maxBytes, tailTtlMs) => {
          const log = new ModelLog();
          let generation = 0;
          let clock = 0;
          let fetches = 0;
          const window = new FollowedWindow<ModelEvent>(
            (after, limit) => {
              fetches++;
              // The horizon and rows are read when the page is asked for; the answer comes when the scheduler says.
              const rows = log.page(after, limit);
              return s.schedule(Promise.resolve(rows), `page after ${after}`);
            },
            {
              checkpointOf: (e) => e.checkpoint,
              sizeOf: () => 1,
              generation: () => generation,
              maxBytes,
              tailTtlMs,
              now: () => clock,
            },
          );
          let writerDone = false;
          const writer = (async () => {
            for (const op of ops) {
              await s.schedule(Promise.resolve(), op.kind);
              clock++;
              if (op.kind === 'begin') log.begin();
              else if (op.kind === 'write') log.write(op.pick);
              else if (log.commit(op.pick) && op.wakes) generation++; // a commit whose wake-up is late: none yet
            }
            await s.schedule(Promise.resolve(), 'commit the rest');
            log.commitAll();
            generation++; // the last commit's wake-up
            writerDone = true;
          })();
          const follower = async (batch: number) => {
            const seen: LogCheckpoint[] = [];
            let checkpoint = START_CHECKPOINT;
            for (let reads = 0; ; reads++) {
              // A follower told "nothing more" for good would loop here forever.
              if (reads > 1_000) throw new Error(`follower ${batch} never reached the end of the log`);
              await s.schedule(Promise.resolve(), `follower ${batch} wakes`);
              // A read asked for after the last wake-up must reach the end of the log.
              const afterLastWakeUp = writerDone;
              const page = await window.read(checkpoint, batch);
              expect(page.length).toBeLessThanOrEqual(batch);
              for (const e of page) seen.push(e.checkpoint);
              checkpoint = page.at(-1)?.checkpoint ?? checkpoint;
              if (afterLastWakeUp && page.length < batch) return seen;
            }
          };
          const all = Promise.all([writer, ...batchSizes.map(follower)]);
          await s.waitFor(all);
          const [, ...seen] = await all;
          for (const followerSaw of seen) expect(followerSaw).toStrictEqual(log.all());
          expect(window.bytes).toBeLessThanOrEqual(maxBytes);
          expect(fetches).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a short page ends a read only while no wake-up came since and within its time', async () => {
    const log = new ModelLog();
    let generation = 0;
    let clock = 0;
    let fetches = 0;
    const window = new FollowedWindow<ModelEvent>(
      async (after, limit) => {
        fetches++;
        return log.page(after, limit);
      },
      {
        checkpointOf: (e) => e.checkpoint,
        sizeOf: () => 1,
        generation: () => generation,
        maxBytes: 100,
        tailTtlMs: 50,
        now: () => clock,
      },
    );
    log.begin();
    log.write(0);
    log.commit(0);
    const first = await window.read(START_CHECKPOINT, 10);
    expect(await window.read(START_CHECKPOINT, 10)).toStrictEqual(first); // the same page: no read
    expect(await window.read(first[0]!.checkpoint, 10)).toStrictEqual([]); // its end: nothing after, no read
    expect(fetches).toBe(1);
    log.begin();
    log.write(0);
    log.commit(0);
    clock += 51; // no wake-up (a lost notification), but the page is too old to prove the end
    expect((await window.read(START_CHECKPOINT, 10)).map((e) => e.position)).toStrictEqual([1, 2]);
    expect(fetches).toBe(2);
    log.begin();
    log.write(0);
    log.commit(0);
    generation++; // the wake-up: the kept pages serve what they hold, the rest is read
    expect((await window.read(START_CHECKPOINT, 10)).map((e) => e.position)).toStrictEqual([1, 2, 3]);
    expect(fetches).toBe(3);
  });

  it('keeps rows within its budget, dropping the oldest pages first', async () => {
    const log = new ModelLog();
    for (let i = 0; i < 6; i++) {
      log.begin();
      log.write(0);
      log.commit(0);
    }
    let fetches = 0;
    const window = new FollowedWindow<ModelEvent>(
      async (after, limit) => {
        fetches++;
        return log.page(after, limit);
      },
      {
        checkpointOf: (e) => e.checkpoint,
        sizeOf: () => 10,
        generation: () => 0,
        maxBytes: 40,
        tailTtlMs: 1e9,
      },
    );
    const first = await window.read(START_CHECKPOINT, 2);
    const second = await window.read(first[1]!.checkpoint, 2);
    await window.read(second[1]!.checkpoint, 2);
    expect(window.bytes).toBe(40); // the first page went
    expect(fetches).toBe(3);
    await window.read(first[1]!.checkpoint, 4); // the second and third pages serve it
    expect(fetches).toBe(3);
    await window.read(START_CHECKPOINT, 1); // the first page is gone: read again
    expect(fetches).toBe(4);
  });
});
