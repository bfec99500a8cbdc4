/**
 * Roles in the realtime hub, as laws over random users, roles, filters and
 * traffic: no snapshot row and no delta of another creator ever reaches a
 * subscriber without the admin role, whatever filter it sends (tenant
 * conditions included); an admin receives every creator's rows its filter
 * picks, and each of its subscriptions reaching beyond its own creators is
 * written to the access audit exactly once (who, roles, channel, filter),
 * before its first row; a service key's roles apply like anyone's. Then the
 * edges: an audit that fails refuses the subscription with no row sent, and a
 * hub without an access audit widens no scope.
 */
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryAccessAudit, type AccessAuditInput } from '../../src/access/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { Row } from '../../src/core/row-change.js';
import { matchesFilter, parseFilter } from '../../src/realtime/filter.js';
import { REALTIME_SUBSCRIBE_ACTION } from '../../src/realtime/hub.js';
import { TestClient, harness, inventory, sorted, tick } from './support.js';

const creators = ['c1', 'c2', 'c3'] as const;
const skus = ['A', 'B'] as const;

type Action =
  | { kind: 'upsert'; creator: string; sku: string; stock: number }
  | { kind: 'delete'; creator: string; sku: string }
  | { kind: 'flush' | 'release' | 'tick' }
  | { kind: 'reconnect'; client: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('upsert' as const),
      creator: fc.constantFrom(...creators),
      sku: fc.constantFrom(...skus),
      stock: fc.integer({ min: 0, max: 20 }),
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
  { arbitrary: fc.constantFrom({ kind: 'flush' as const }, { kind: 'release' as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client: fc.nat(3) }), weight: 1 },
);

/** Filters a client may send, most of them naming creators it may not see. */
const FILTERS = [
  '',
  'stock=lt.10',
  'creator_id=eq.c1',
  'creator_id=eq.c2 AND stock=gte.5',
  'creator_id=in.(c2,c3)',
  'creator_id=in.(c1,c2) AND creator_id=eq.c2',
  'creator_id=neq.c1',
  'sku=eq.A',
] as const;

const userArb: fc.Arbitrary<{ auth: Authorization; filter: string }> = fc.record({
  auth: fc.record({
    userId: fc.constantFrom('u1', 'u2', 'ops', 'service:sync'),
    tenantIds: fc.subarray([...creators, 'c-ghost']),
    roles: fc.subarray(['creator', 'admin', 'service', 'viewer']),
  }),
  filter: fc.constantFrom(...FILTERS),
});

/** The creators a subscription may see, by the rule of docs/realtime.md ("Roles"). */
function reach(auth: Authorization, filter: string): { all: boolean; own: Set<string> } {
  const own = new Set(auth.tenantIds);
  if (!auth.roles?.includes('admin')) return { all: false, own };
  const parsed = parseFilter(inventory, filter);
  const named = parsed.conditions
    .filter((c) => c.column === 'creator_id' && (c.op === 'eq' || c.op === 'in'))
    .map((c) => new Set(c.values));
  if (named.length === 0) return { all: true, own };
  const asked = [...named[0]!].filter((t) => named.every((s) => s.has(t)));
  return { all: !asked.every((t) => own.has(t)), own };
}

const rowsOf = (e: Envelope): Row[] => [...(e.rows ?? []), ...(e.deltas ?? []).map(([, key]) => key as Row)];

describe('realtime hub roles (laws)', () => {
  it('a non-admin never receives another creator’s row or delta; an admin sees across creators, audited once per subscription', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(userArb, { minLength: 4, maxLength: 4 }),
        fc.array(actionArb, { maxLength: 60 }),
        async (users, actions) => {
          const audit = new MemoryAccessAudit();
          const { model, hub, flush, releaseSnapshots } = harness({
            scheduler: new VirtualTimeScheduler(),
            holdSnapshots: true,
            replay: { maxBatches: 3 },
            accessAudit: audit,
          });
          // Some rows exist before anyone subscribes (snapshots), the rest arrive as deltas.
          for (const creator of creators)
            model.upsert('inventory_alerts', { creator_id: creator, sku: 'A', stock: 3 });
          flush();
          const clients = users.map(
            (u) =>
              new TestClient(hub, u.auth, { channel: 'inventory_alerts', filter: u.filter, throttleMs: 0 }),
          );
          const subscriptions = clients.map(() => 0);
          const connect = (i: number) => {
            clients[i]!.connect();
            subscriptions[i]!++;
          };
          clients.forEach((_, i) => connect(i));
          for (const a of actions) {
            if (a.kind === 'upsert')
              model.upsert('inventory_alerts', { creator_id: a.creator, sku: a.sku, stock: a.stock });
            else if (a.kind === 'delete')
              model.delete('inventory_alerts', { creator_id: a.creator, sku: a.sku });
            else if (a.kind === 'flush') flush();
            else if (a.kind === 'release') releaseSnapshots();
            else if (a.kind === 'tick') await tick();
            else if (a.kind === 'reconnect') {
              clients[a.client]!.disconnect();
              connect(a.client);
            }
          }
          flush();
          for (let round = 0; round < 3; round++) {
            releaseSnapshots();
            await tick();
          }
          const entries = await audit.list();
          clients.forEach((c, i) => {
            const { auth, filter } = users[i]!;
            const { all, own } = reach(auth, filter);
            for (const e of c.received) {
              for (const row of rowsOf(e)) {
                if (!all) expect(own.has(String(row.creator_id))).toBe(true);
              }
            }
            const parsed = parseFilter(inventory, filter);
            const expected = model
              .rows('inventory_alerts')
              .filter((r) => (all || own.has(String(r.creator_id))) && matchesFilter(parsed, r));
            expect(sorted(c.table.rows())).toEqual(sorted(expected));
            expect(c.violations).toEqual([]);
          });
          // One entry per cross-tenant subscription, none for the others.
          const want: AccessAuditInput[] = [];
          clients.forEach((_, i) => {
            const { auth, filter } = users[i]!;
            if (!reach(auth, filter).all) return;
            for (let n = 0; n < subscriptions[i]!; n++) {
              want.push({
                userId: auth.userId,
                roles: auth.roles ?? [],
                action: REALTIME_SUBSCRIBE_ACTION,
                resource: 'inventory_alerts',
                tenantIds: expect.anything() as never,
                rowCount: null,
                detail: parseFilter(inventory, filter).text || null,
              });
            }
          });
          const key = (e: { userId: string; detail?: string | null }) => `${e.userId}|${e.detail ?? ''}`;
          expect(entries.map(key).sort()).toEqual(want.map(key).sort());
          for (const e of entries)
            expect(e).toMatchObject({
              action: REALTIME_SUBSCRIBE_ACTION,
              resource: 'inventory_alerts',
              rowCount: null,
            });
          await hub.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the creators an admin reached beyond its own, or null for every creator', async () => {
    const audit = new MemoryAccessAudit();
    const { hub, releaseSnapshots } = harness({ accessAudit: audit });
    const admin: Authorization = { userId: 'ops', tenantIds: ['c1'], roles: ['admin'] };
    const sink = { write: () => true };
    hub.subscribe({ channel: 'inventory_alerts', filter: 'creator_id=in.(c1,c2)' }, admin, sink);
    hub.subscribe({ channel: 'inventory_alerts' }, admin, sink);
    hub.subscribe({ channel: 'inventory_alerts', filter: 'creator_id=eq.c1' }, admin, sink); // own: not audited
    releaseSnapshots();
    await tick();
    const entries = await audit.list();
    expect(entries.map((e) => [e.tenantIds, e.detail]).reverse()).toEqual([
      [['c2'], 'creator_id=in.("c1","c2")'],
      [null, null],
    ]);
    expect(entries[0]).toMatchObject({ userId: 'ops', roles: ['admin'], action: 'realtime.subscribe' });
    await hub.close();
  });

  it('refuses a cross-tenant subscription whose audit entry cannot be written, before any row', async () => {
    const broken = new MemoryAccessAudit();
    broken.record = async () => {
      throw new Error('audit table unreachable');
    };
    const { model, hub, flush } = harness({ accessAudit: broken });
    model.upsert('inventory_alerts', { creator_id: 'c2', sku: 'A', stock: 1 });
    flush();
    const received: Envelope[] = [];
    const closed: unknown[] = [];
    const errors: unknown[] = [];
    hub.events.on('error', (err) => errors.push(err));
    hub.subscribe(
      { channel: 'inventory_alerts' },
      { userId: 'ops', tenantIds: [], roles: ['admin'] },
      { write: (e) => received.push(e) > 0, close: (err) => closed.push(err) },
    );
    await tick();
    await tick();
    expect(received).toEqual([]);
    expect(closed).toEqual([expect.objectContaining({ code: 'REALTIME_UNAVAILABLE' })]);
    expect(errors).toHaveLength(1);
    expect(hub.stats().subscriptions).toBe(0);
    await hub.close();
  });

  it('without an access audit, the admin role widens nothing', async () => {
    const { model, hub, flush } = harness();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    model.upsert('inventory_alerts', { creator_id: 'c2', sku: 'A', stock: 1 });
    flush();
    const admin = new TestClient(
      hub,
      { userId: 'ops', tenantIds: ['c1'], roles: ['admin'] },
      {
        channel: 'inventory_alerts',
        throttleMs: 0,
      },
    );
    admin.connect();
    await tick();
    expect(admin.table.rows().map((r) => r.creator_id)).toEqual(['c1']);
    await hub.close();
  });
});
