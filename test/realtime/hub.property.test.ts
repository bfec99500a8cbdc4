import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TestClient, harness, sorted, tick } from './support.js';

const creators = ['c1', '001', 'c3'] as const;
const skus = ['A', 'B', 'C'] as const;

type Action =
  | { kind: 'upsert'; creator: string; sku: string; stock: number; severity: string }
  | { kind: 'delete'; creator: string; sku: string }
  | { kind: 'flush' }
  | { kind: 'disconnect' | 'connect' | 'block' | 'unblock'; client: number }
  | { kind: 'release' }
  | { kind: 'tick' }
  | { kind: 'advance' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('upsert' as const),
      creator: fc.constantFrom(...creators),
      sku: fc.constantFrom(...skus),
      stock: fc.integer({ min: 0, max: 20 }),
      severity: fc.constantFrom('warning', 'critical'),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      creator: fc.constantFrom(...creators),
      sku: fc.constantFrom(...skus),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'flush' as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('disconnect' as const, 'connect' as const, 'block' as const, 'unblock' as const),
      client: fc.integer({ min: 0, max: 2 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.constant({ kind: 'release' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'advance' as const }), weight: 1 },
);

const clientArb = fc.record({
  tenantIds: fc.subarray([...creators], { minLength: 1 }),
  filter: fc.constantFrom(
    '',
    'stock=lt.10',
    'severity=eq.critical',
    'sku=eq.A',
    'sku=in.(A,B) AND stock=gte.5',
  ),
  throttleMs: fc.constantFrom(0, 0, 100),
});

describe('realtime hub laws', () => {
  it('no delta or snapshot row of one creator ever reaches another creator’s subscriber, and every client converges without gap or duplicate', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(clientArb, { minLength: 3, maxLength: 3 }),
        fc.array(actionArb, { maxLength: 80 }),
        async (clientSpecs, actions) => {
          // Throttles run on a virtual clock that only the 'advance' action moves.
          const scheduler = new VirtualTimeScheduler();
          const { model, hub, flush, releaseSnapshots } = harness({
            scheduler,
            holdSnapshots: true,
            replay: { maxBatches: 3 },
            subscriberBuffer: { maxMessages: 3, maxDeltas: 4 },
          });
          const clients = clientSpecs.map(
            (spec, i) =>
              new TestClient(
                hub,
                { userId: `u${i}`, tenantIds: spec.tenantIds },
                { channel: 'inventory_alerts', filter: spec.filter, throttleMs: spec.throttleMs },
              ),
          );
          for (const c of clients) c.connect();
          for (const a of actions) {
            switch (a.kind) {
              case 'upsert':
                model.upsert('inventory_alerts', {
                  creator_id: a.creator,
                  sku: a.sku,
                  stock: a.stock,
                  severity: a.severity,
                });
                break;
              case 'delete':
                model.delete('inventory_alerts', { creator_id: a.creator, sku: a.sku });
                break;
              case 'flush':
                flush();
                break;
              case 'release':
                releaseSnapshots();
                break;
              case 'tick':
                await tick();
                break;
              case 'advance':
                scheduler.flush();
                break;
              case 'disconnect':
                clients[a.client]!.disconnect();
                break;
              case 'connect':
                if (!clients[a.client]!.handle) clients[a.client]!.connect();
                break;
              case 'block':
                clients[a.client]!.writable = false;
                break;
              case 'unblock':
                clients[a.client]!.writable = true;
                clients[a.client]!.handle?.drained();
                break;
            }
          }
          // Settle: everything flushed, every client connected, writable and caught up.
          flush();
          for (let round = 0; round < 3; round++) {
            for (const c of clients) {
              c.writable = true;
              if (!c.handle) c.connect();
              c.handle!.drained();
            }
            releaseSnapshots();
            await tick();
            scheduler.flush();
          }
          for (const c of clients) {
            const allowed = new Set(c.auth.tenantIds);
            for (const e of c.received) {
              for (const [, key] of e.deltas ?? []) expect(allowed.has(String(key.creator_id))).toBe(true);
              for (const row of e.rows ?? []) expect(allowed.has(String(row.creator_id))).toBe(true);
            }
            expect(c.violations).toEqual([]);
            expect(sorted(c.table.rows())).toEqual(sorted(c.expected(model)));
          }
          await hub.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});
