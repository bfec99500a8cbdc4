/**
 * Window cutting and the open-entity index, pure: the cut depends only on the
 * reports' times, and the index never forgets an entity with reports left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenEntityIndex, dueWindow, type StagedContender } from '../../src/commerce/conflicts/index.js';
import type { DueEntity } from '../../src/commerce/conflicts/open-index.js';
import { entityKey } from '../../src/commerce/conflicts/contender-staging.js';
import { staged } from './staged-report.js';

describe('dueWindow', () => {
  it('holds the reports up to windowMs after the first, once windowMs + settleMs have passed', () => {
    const rows = [staged('a', 0), staged('b', 5_000), staged('c', 5_001)];
    expect(dueWindow(rows, 5_999, 5_000, 1_000)).toBeNull();
    expect(dueWindow(rows, 6_000, 5_000, 1_000)!.map((r) => r.eventId)).toEqual(['a', 'b']);
    expect(dueWindow([], 1e12, 5_000, 1_000)).toBeNull();
  });

  it('cuts the same windows whatever the arrival order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 12 }),
        (times) => {
          const sorted = times.map((t, i) => staged(`e${i}`, t)).sort((a, b) => a.atMs - b.atMs);
          const cut = (rows: StagedContender[]): string[][] => {
            const out: string[][] = [];
            let left = rows;
            for (;;) {
              const w = dueWindow(left, 1e12, 5_000, 1_000);
              if (!w) return out;
              out.push(w.map((r) => r.eventId).sort());
              left = left.slice(w.length);
            }
          };
          const windows = cut(sorted);
          expect(windows.flat().sort()).toEqual(sorted.map((r) => r.eventId).sort());
          for (const w of windows) {
            const ts = w.map((id) => sorted.find((r) => r.eventId === id)!.atMs);
            expect(Math.max(...ts) - Math.min(...ts)).toBeLessThanOrEqual(5_000);
          }
        },
      ),
    );
  });
});

describe('OpenEntityIndex', () => {
  const view = (due: DueEntity[]) =>
    due.map((d) => [d.entity.entityId, d.entity.anchorMs, d.rows?.map((r) => r.eventId) ?? null]);

  it('keeps the reports of each entity by time and forgets an entity only when nothing is left', () => {
    const index = new OpenEntityIndex();
    index.note([staged('a', 300), staged('b', 100), staged('c', 50, 'p2')]);
    const due = index.due((e) => e.anchorMs <= 100);
    expect(view(due)).toEqual([
      ['p1', 100, ['b', 'a']],
      ['p2', 50, ['c']],
    ]);
    // p1's first window takes b only; a report staged while p1 settles keeps it open.
    index.note([staged('d', 900)]);
    index.settled(due[0]!.entity, null, ['b']);
    index.settled(due[1]!.entity, null, ['c']);
    expect(view(index.due(() => true))).toEqual([['p1', 300, ['a', 'd']]]);
    index.reload([]);
    expect(index.due(() => true)).toEqual([]);
  });

  it('after a reload reads an entity from the table once, keeping what was noted meanwhile', () => {
    const index = new OpenEntityIndex();
    index.reload([
      { creatorId: 'c1', entityType: 'inventory', entityId: 'p1', anchorMs: 100, reports: 2, atMsSum: 250 },
    ]);
    index.note([staged('z', 2_000)]);
    const [first] = index.due(() => true);
    expect(first!.rows).toBeNull(); // unknown: the processor loads the table
    // The table had x and y (and z, staged before it was noted); the window took x and y.
    index.settled(first!.entity, [staged('x', 100), staged('y', 150), staged('z', 2_000)], ['x', 'y']);
    expect(view(index.due(() => true))).toEqual([['p1', 2_000, ['z']]]);
    index.settled(first!.entity, null, ['z']);
    expect(index.due(() => true)).toEqual([]);
  });

  it('a backstop reload keeps an entity the table holds as the index does, and reads the others again', () => {
    const index = new OpenEntityIndex();
    index.note([staged('a', 100), staged('b', 300), staged('c', 50, 'p2'), staged('e', 70, 'p3')]);
    const row = (entityId: string, anchorMs: number, reports: number, atMsSum: number) => ({
      creatorId: 'c1',
      entityType: 'inventory' as const,
      entityId,
      anchorMs,
      reports,
      atMsSum,
    });
    const kept = index.reload(
      // p1 as known; p2 gained a report staged elsewhere (same count would need the same times);
      // p3 had a report staged while the table was read; p4 is new to the index.
      [row('p1', 100, 2, 400), row('p2', 20, 2, 70), row('p3', 70, 1, 70), row('p4', 10, 1, 10)],
      { keepKnown: true, changed: new Set([entityKey(staged('e', 70, 'p3'))]) },
    );
    expect([...kept]).toEqual([entityKey(staged('a', 100))]);
    const due = index.due(() => true);
    expect(due.map((d) => [d.entity.entityId, d.rows?.map((r) => r.eventId) ?? null])).toEqual([
      ['p1', ['a', 'b']],
      ['p2', null],
      ['p3', null],
      ['p4', null],
    ]);
    // Without keepKnown (a newly taken lease) nothing is kept.
    expect(index.reload([row('p1', 100, 2, 400)]).size).toBe(0);
    expect(index.due(() => true)[0]!.rows).toBeNull();
  });
});
