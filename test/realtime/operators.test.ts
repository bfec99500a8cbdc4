import { TestScheduler } from 'rxjs/testing';
import { count as rxCount } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { defineChannels } from '../../src/realtime/channels.js';
import type { RowChange } from '../../src/core/row-change.js';
import { coalesceChanges, type DeltaBatch, throttleBatches } from '../../src/realtime/operators.js';

const channel = defineChannels([
  { name: 't', keyColumns: ['id'], tenantColumn: 'creator_id', filterableColumns: [], throttleMs: 0 },
]).get('t')!;

function change(id: string, n: number, old: number | null): RowChange {
  return {
    table: 't',
    key: { id },
    operation: old === null ? 'INSERT' : 'UPDATE',
    newRow: { id, creator_id: 'c', n },
    oldRow: old === null ? null : { id, creator_id: 'c', n: old },
    position: n,
    checkpoint: `1:${n}`,
  };
}

function batch(cursor: string, ...keys: [string, number][]): DeltaBatch {
  return {
    cursor,
    deltas: new Map(keys.map(([k, n]) => [k, { op: 'UPDATE' as const, key: { id: k }, fields: { n } }])),
  };
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('coalesceChanges', () => {
  it('sends a burst after a quiet window at once, folded per key, and holds later changes to the end of the window', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a, b, c: one processor batch's changes (one synchronous burst); d, 6 ms later, inside the 10 ms window.
      const source = cold('(abc) 1ms d 10ms |', {
        a: change('x', 1, null),
        b: change('x', 2, 1),
        c: change('y', 3, 0),
        d: change('y', 4, 3),
      });
      expectObservable(source.pipe(coalesceChanges(channel, 10))).toBe('a 9ms b 6ms |', {
        a: {
          channel: 't',
          cursor: '1:3',
          changes: [
            {
              key: { id: 'x' },
              keyId: '["x"]',
              oldRow: null,
              newRow: { id: 'x', creator_id: 'c', n: 2 },
              lastSeen: { id: 'x', creator_id: 'c', n: 2 },
              firstCheckpoint: '1:1',
              lastCheckpoint: '1:2',
            },
            {
              key: { id: 'y' },
              keyId: '["y"]',
              oldRow: { id: 'y', creator_id: 'c', n: 0 },
              newRow: { id: 'y', creator_id: 'c', n: 3 },
              lastSeen: { id: 'y', creator_id: 'c', n: 3 },
              firstCheckpoint: '1:3',
              lastCheckpoint: '1:3',
            },
          ],
        },
        b: {
          channel: 't',
          cursor: '1:4',
          changes: [
            {
              key: { id: 'y' },
              keyId: '["y"]',
              oldRow: { id: 'y', creator_id: 'c', n: 3 },
              newRow: { id: 'y', creator_id: 'c', n: 4 },
              lastSeen: { id: 'y', creator_id: 'c', n: 4 },
              firstCheckpoint: '1:4',
              lastCheckpoint: '1:4',
            },
          ],
        },
      });
    });
  });

  it('keeps a row inserted and deleted inside one window as a null/null fold (for straddling subscribers)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const del: RowChange = { ...change('x', 2, 1), operation: 'DELETE', newRow: null };
      const source = cold('a b 10ms |', { a: change('x', 1, null), b: del });
      // a goes out alone (the channel was quiet), b ends the window; then a burst of both: one null/null fold.
      const burst = cold('(ab) 10ms |', { a: change('x', 1, null), b: del });
      expectObservable(source.pipe(coalesceChanges(channel, 5)).pipe(rxCount())).toBe('12ms (n|)', { n: 2 });
      expectObservable(burst.pipe(coalesceChanges(channel, 5))).toBe('a 13ms |', {
        a: {
          channel: 't',
          cursor: '1:2',
          changes: [
            {
              key: { id: 'x' },
              keyId: '["x"]',
              oldRow: null,
              newRow: null,
              lastSeen: { id: 'x', creator_id: 'c', n: 1 },
              firstCheckpoint: '1:1',
              lastCheckpoint: '1:2',
            },
          ],
        },
      });
    });
  });
});

describe('throttleBatches', () => {
  it('sends the first batch at once and merges the rest of the interval into one', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 2ms b 2ms c 20ms d |', {
        a: batch('1:1', ['x', 1]),
        b: batch('1:2', ['x', 2], ['y', 1]),
        c: batch('1:3', ['x', 3]),
        d: batch('1:4', ['y', 2]),
      });
      expectObservable(source.pipe(throttleBatches(10))).toBe('a 9ms b 16ms d |', {
        a: batch('1:1', ['x', 1]),
        b: batch('1:3', ['y', 1], ['x', 3]),
        d: batch('1:4', ['y', 2]),
      });
    });
  });

  it('never loses a batch: on completion the held batches still go out', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a b c |', {
        a: batch('1:1', ['x', 1]),
        b: batch('1:2', ['x', 2]),
        c: batch('1:3', ['z', 1]),
      });
      expectObservable(source.pipe(throttleBatches(10))).toBe('a 2ms (b|)', {
        a: batch('1:1', ['x', 1]),
        b: batch('1:3', ['x', 2], ['z', 1]),
      });
    });
  });
});
