/**
 * resolve-sync-conflicts keeps at most `passesPerCreator` (default 2) settle
 * passes of one creator in flight: every settle transaction writes rows of
 * its creator, so a third would only queue on their locks. Its windows wait
 * in the processor and go in the pass that starts when one ends, on
 * `settleDue` and on the timer alike; other creators' windows do not wait.
 * Memory, PGlite and PostgreSQL.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inventoryStream, stockReportEvent } from '../../src/commerce/index.js';
import { SyncConflictProcessor, type SyncConflictOptions } from '../../src/commerce/conflicts/index.js';
import type { AppendRequest } from '../../src/store/index.js';
import { waitFor } from '../support/wait.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const WINDOW = 5_000;
const SETTLE = 1_000;
const DUE = T0 + WINDOW + SETTLE + 1_000;
/** Five products of creator A staged first, then one of creator B. */
const ENTITIES = [
  ...['a0', 'a1', 'a2', 'a3', 'a4'].map((productId) => ({ creatorId: 'A', productId })),
  { creatorId: 'B', productId: 'b0' },
];

/** The creator of a settle pass's appends (its outcome events name it). */
function creatorOf(requests: readonly AppendRequest[]): string | undefined {
  for (const r of requests)
    for (const e of r.events) {
      const creatorId = (e.data as { creatorId?: unknown } | undefined)?.creatorId;
      if (typeof creatorId === 'string') return creatorId;
    }
  return undefined;
}

describe.each(commerceEngines)('settle passes per creator ($name)', (engine) => {
  let bed: CommerceTestbed | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await bed?.close();
    bed = undefined;
  });

  /**
   * A testbed whose settle appends each wait for `release` (oldest first), noting how many
   * of each creator's are in flight at most.
   */
  async function openHeld(conflicts: SyncConflictOptions) {
    bed = await engine.open({ conflicts: { settleMs: SETTLE, lease: false, concurrency: 1, ...conflicts } });
    const store = bed.store;
    const held: { creator: string; release: () => void }[] = [];
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const appendMany = store.appendMany.bind(store);
    vi.spyOn(store, 'appendMany').mockImplementation(async (requests) => {
      const settles = requests.some((r) => r.events.some((e) => e.type === 'inventory.stock_updated'));
      const creator = creatorOf(requests);
      if (!settles || creator === undefined) return appendMany(requests);
      inFlight.set(creator, (inFlight.get(creator) ?? 0) + 1);
      most.set(creator, Math.max(most.get(creator) ?? 0, inFlight.get(creator)!));
      await new Promise<void>((release) => held.push({ creator, release }));
      try {
        return await appendMany(requests);
      } finally {
        inFlight.set(creator, inFlight.get(creator)! - 1);
      }
    });
    return { conflicts: bed.commerce.conflicts!, held, most };
  }

  /** Two figures a unit apart for each entity (a conflict the stock minimum resolves). */
  async function report(conflicts: SyncConflictProcessor, atMs: (i: number) => number) {
    for (const [i, { creatorId, productId }] of ENTITIES.entries()) {
      for (const [j, source] of (['tiktok_webhook', 'manual_admin'] as const).entries()) {
        await bed!.store.append(inventoryStream(creatorId, productId), [
          stockReportEvent({
            creatorId,
            productId,
            quantity: 40 - j,
            source,
            sourceId: source,
            reportedAt: new Date(atMs(i) + j * 10).toISOString(),
          }),
        ]);
      }
    }
    await conflicts.whenCaughtUp();
  }

  const creators = (held: readonly { creator: string }[]) => held.map((h) => h.creator).sort();

  it.runIf(engine.available)(
    'settleDue keeps two passes of a creator in flight, never holds back another creator, and settles every window',
    async () => {
      const { conflicts, held, most } = await openHeld({ tickMs: 3_600_000 });
      await report(conflicts, (i) => T0 + i);
      const settling = conflicts.settleDue(DUE);
      // A's first two passes and B's: A's other windows wait for one of A's passes to end.
      await waitFor(() => held.length === 3, { what: "two passes of A's and one of B's held" });
      expect(creators(held)).toEqual(['A', 'A', 'B']);
      let settled = false;
      void settling.finally(() => (settled = true));
      while (!settled) {
        await waitFor(() => held.length > 0 || settled, { what: 'the next settle append or the end' });
        held.shift()?.release();
      }
      expect(await settling).toEqual({ applied: 0, resolved: 6, escalated: 0 });
      expect(most.get('A')).toBe(2);
      expect(most.get('B')).toBe(1);
      await bed!.commerce.whenIdle();
      const levels = await bed!.commerce.readModels.unscopedRows<{ on_hand: number }>('inventory_levels');
      expect(levels.map((l) => l.on_hand)).toEqual([39, 39, 39, 39, 39, 39]);
    },
    60_000,
  );

  it.runIf(engine.available)(
    'the timer starts the windows that waited as soon as a pass of their creator ends',
    async () => {
      // The processor's clock stands at the windows' end until every report is staged (a
      // window already due when staged would wait for the next tick), then runs: they fall due
      // a second later. The timer ticks once an hour, so only a window falling due or a pass
      // ending wakes it.
      let runningSince: number | undefined;
      const now = () => T0 + WINDOW + (runningSince === undefined ? 0 : Date.now() - runningSince);
      const { conflicts, held } = await openHeld({ tickMs: 3_600_000, now });
      await report(conflicts, (i) => T0 + i);
      runningSince = Date.now();
      await waitFor(() => held.length === 3, {
        what: "two passes of A's and one of B's held",
        timeoutMs: 30_000,
      });
      expect(creators(held)).toEqual(['A', 'A', 'B']);
      // One of A's passes ends: the next of A's windows starts at once, not on the next tick.
      held.shift()!.release();
      await waitFor(() => held.length === 3, { what: "a third pass of A's started", timeoutMs: 30_000 });
      expect(creators(held)).toEqual(['A', 'A', 'B']);
      // Six passes in all (one window each): the other five, as they come.
      for (let released = 1; released < ENTITIES.length; released++) {
        await waitFor(() => held.length > 0, { what: `settle append ${released + 1} of ${ENTITIES.length}` });
        held.shift()!.release();
      }
      await waitFor(
        async () => {
          const levels = await bed!.commerce.readModels.unscopedRows<{ on_hand: number }>('inventory_levels');
          return levels.length === ENTITIES.length && levels.every((l) => l.on_hand === 39);
        },
        { what: 'every window settled' },
      );
      expect(held).toEqual([]);
    },
    60_000,
  );

  it.runIf(engine.available)('refuses a passesPerCreator that is not an integer of at least 1', async () => {
    bed = await engine.open({ conflicts: { lease: false } });
    for (const passesPerCreator of [0, 1.5, Number.NaN]) {
      expect(
        () => new SyncConflictProcessor(bed!.store, bed!.commerce.readModels, { passesPerCreator }),
      ).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('passesPerCreator'),
        }),
      );
    }
  });
});
