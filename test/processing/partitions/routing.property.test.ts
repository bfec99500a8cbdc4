/**
 * Laws of partition routing and fair share: the hash is FNV-1a over UTF-8,
 * a stream always lands in one partition, and the assignment is complete,
 * balanced and the same on every host.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignPartitions } from '../../../src/processing/partitions/assign-partitions.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import {
  fnv1a32,
  partitionOf,
  streamPartitionKey,
  tenantPartitionKey,
} from '../../../src/processing/partitions/partition-key.js';
import { partitionName, partitionNames } from '../../../src/processing/partitions/partition-names.js';
import type { StoredEvent } from '../../../src/store/types.js';

/** The textbook definition, over TextEncoder's bytes. */
function referenceFnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash;
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  // UTF-16 code units, lone surrogates included.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
);

const event = (aggregateId: string, extra: Partial<StoredEvent> = {}): StoredEvent => ({
  id: `${aggregateId}-1`,
  aggregateId,
  aggregateType: 'test',
  type: 'x',
  data: {},
  metadata: {},
  version: 1,
  globalPosition: 1,
  occurredAt: new Date(0),
  processedAt: new Date(0),
  checkpoint: '1:1',
  ...extra,
});

describe('partition routing', () => {
  it('is 32-bit FNV-1a: the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes of any string, lone surrogates as TextEncoder writes them', () => {
    fc.assert(fc.property(anyText, (text) => fnv1a32(text) === referenceFnv1a(text)));
  });

  it('puts every key in one partition in range, the same on every call', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 1024 }), (key, n) => {
        const p = partitionOf(key, n);
        return Number.isInteger(p) && p >= 0 && p < n && partitionOf(key, n) === p;
      }),
    );
  });

  it('routes every event of a stream to the partition of its stream id', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ stream: fc.constantFrom('a', 'b', 'order-7', 'ü', 'sku:😀'), n: fc.nat() })),
        fc.integer({ min: 2, max: 16 }),
        (events, partitions) => {
          const homes = new Map<string, Set<number>>();
          for (const e of events) {
            const p = partitionOf(streamPartitionKey(event(e.stream, { version: e.n })), partitions);
            homes.set(e.stream, (homes.get(e.stream) ?? new Set()).add(p));
          }
          return [...homes.values()].every((s) => s.size === 1);
        },
      ),
    );
  });

  it('spreads stream ids over the partitions', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOf(`order-${i}`, 8)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(700); // 1000 expected in each
  });

  it('keys by tenant from metadata, then data, then the stream id', () => {
    const key = tenantPartitionKey('creatorId');
    expect(key(event('s1', { metadata: { creatorId: 'c1' }, data: { creatorId: 'c2' } }))).toBe('c1');
    expect(key(event('s1', { data: { creatorId: 'c2' } }))).toBe('c2');
    expect(key(event('s1', { data: 'not an object' }))).toBe('s1');
  });

  it('needs the tenant field named: the generic layer knows no tenant field', () => {
    expect(() => (tenantPartitionKey as (field?: string) => unknown)()).toThrow(InvalidArgumentError);
    expect(() => tenantPartitionKey('')).toThrow(/tenant field/);
  });

  it('rejects a key that is not a string', () => {
    expect(() => partitionOf(7 as unknown as string, 4)).toThrow(/string/);
  });

  it('names partitions name#i/N, and a single partition by the plain name', () => {
    expect(partitionName('projection:t', 2, 4)).toBe('projection:t#2/4');
    expect(partitionNames('t', 3)).toEqual(['t#0/3', 't#1/3', 't#2/3']);
    expect(partitionNames('t', 1)).toEqual(['t']);
  });
});

const memberSets = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 9 });

describe('fair share (assignPartitions)', () => {
  it('gives every partition to exactly one member', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), memberSets, (n, members) => {
        const all = [...assignPartitions(n, members).values()].flat().sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });

  it('gives each member floor(N/M) or ceil(N/M) partitions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), memberSets, (n, members) => {
        const m = members.length;
        for (const mine of assignPartitions(n, members).values()) {
          expect(mine.length).toBeGreaterThanOrEqual(Math.floor(n / m));
          expect(mine.length).toBeLessThanOrEqual(Math.ceil(n / m));
        }
      }),
    );
  });

  it('is the same on every host, whatever order it lists the members in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        memberSets.chain((m) => fc.tuple(fc.constant(m), fc.shuffledSubarray(m, { minLength: m.length }))),
        (n, [members, shuffled]) => {
          expect(assignPartitions(n, shuffled)).toEqual(assignPartitions(n, members));
        },
      ),
    );
  });

  it('assigns nothing without members', () => {
    expect(assignPartitions(4, [])).toEqual(new Map());
  });

  it('moves fewer partitions than a round-robin split when a member joins', () => {
    const members = ['host-a', 'host-b', 'host-c'];
    const before = assignPartitions(24, members);
    const after = assignPartitions(24, [...members, 'host-d']);
    const moved = members.reduce(
      (sum, m) => sum + before.get(m)!.filter((p) => !after.get(m)!.includes(p)).length,
      0,
    );
    // Round robin (p mod M) would move 18 of 24; the least possible is 6.
    expect(moved).toBeLessThan(12);
  });
});
