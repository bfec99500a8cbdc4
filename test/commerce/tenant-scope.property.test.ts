/**
 * Tenant scoping as a law: across random users, roles, narrowing and filters,
 * `Commerce.rows` and `Commerce.find` never return another creator's row to a
 * caller without the admin role, return exactly the rows a reference filter
 * over the unscoped tables picks, and every admin read that reaches beyond the
 * admin's own creators (and only such a read) adds one access-audit entry.
 * Memory, PGlite and PostgreSQL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/access/index.js';
import type { Authorization } from '../../src/core/authorization.js';
import type { Row } from '../../src/core/row-change.js';
import {
  commerceEvent,
  COMMERCE_READ_ROLES,
  type CommerceReadOptions,
  type CommerceTable,
} from '../../src/commerce/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const CREATORS = ['creator-a', 'creator-b', 'creator-c'] as const;
const PRODUCTS = ['p1', 'p2', 'p3'];
const TABLES: readonly CommerceTable[] = [
  'inventory_levels',
  'inventory_alerts',
  'system_health_metrics',
  'order_metrics',
];
/** Columns and values the random filters pick from (some match nothing, some columns exist in no table). */
const FILTERS: Record<string, readonly (string | number | null)[]> = {
  product_id: [...PRODUCTS, 'p-none'],
  status: ['active', 'resolved', 'nominal', 'warning', 'critical', null],
  alert_type: ['low_stock', 'out_of_stock'],
  component: ['tiktok_api', 'inventory_sync'],
  on_hand: [0, 3, 40],
  no_such_column: ['x'],
};

const arbAuth: fc.Arbitrary<Authorization> = fc.record({
  userId: fc.constantFrom('u1', 'u2', 'ops'),
  tenantIds: fc.subarray([...CREATORS, 'creator-ghost']),
  roles: fc.subarray(['creator', 'admin', 'service', 'viewer']),
});
const arbOptions: fc.Arbitrary<CommerceReadOptions> = fc.record(
  {
    tenantIds: fc.subarray([...CREATORS, 'creator-ghost']),
    where: fc.dictionary(
      fc.constantFrom(...Object.keys(FILTERS)),
      fc.constantFrom(...Object.values(FILTERS).flat()),
      { maxKeys: 2 },
    ),
    limit: fc.integer({ min: 0, max: 20 }),
  },
  { requiredKeys: [] },
);

const text = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

describe.each(commerceEngines)('tenant-scoped reads ($name)', (engine) => {
  let bed: CommerceTestbed;
  /** Every row of every table, unscoped: the reference. */
  const all = new Map<CommerceTable, Row[]>();

  beforeAll(async () => {
    if (!engine.available) return;
    bed = await engine.open();
    for (const [i, creatorId] of CREATORS.entries()) {
      for (const [j, productId] of PRODUCTS.entries()) {
        await bed.store.append(`inventory-${creatorId}-${productId}`, [
          commerceEvent('inventory.stock_updated', {
            creatorId,
            productId,
            // Some below the threshold: alerts for some creators only.
            quantity: (i * 3 + j) % 4 === 0 ? 3 : 40,
            reason: 'restock',
            threshold: 10,
          }),
        ]);
      }
      await bed.store.append(`system-${creatorId}`, [
        commerceEvent('system.health_check_completed', {
          component: 'tiktok_api',
          status: i === 1 ? 'critical' : 'nominal',
          measurements: { api_latency_ms: 10 + i },
          checkedAt: '2026-03-01T10:00:00.000Z',
          creatorId,
        }),
      ]);
    }
    await bed.commerce.whenIdle();
    for (const table of TABLES) all.set(table, await bed.commerce.readModels.unscopedRows(table));
    // The seed reaches every creator, so a leak would show.
    for (const creator of CREATORS)
      expect(all.get('inventory_levels')!.some((r) => r.creator_id === creator)).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await bed?.close();
  });

  it.skipIf(!engine.available)(
    'rows and find return only the creators the caller may see, exactly those, and audit admins reaching beyond their own',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          arbAuth,
          fc.constantFrom(...TABLES),
          arbOptions,
          fc.nat(),
          async (auth, table, options, pick) => {
            const admin = auth.roles!.includes('admin');
            const reads = COMMERCE_READ_ROLES.some((r) => auth.roles!.includes(r));
            const audited = (await bed.commerce.accessAudit.list()).length;
            if (!reads) {
              await expect(bed.commerce.rows(table, auth, options)).rejects.toBeInstanceOf(AccessDeniedError);
              return;
            }
            const rows = await bed.commerce.rows(table, auth, options);

            // The law: without admin, nothing outside the caller's creators.
            if (!admin) for (const row of rows) expect(auth.tenantIds).toContain(row.creator_id);
            // And exactly what the reference picks.
            const visible = (creator: unknown) =>
              (admin || auth.tenantIds.includes(String(creator))) &&
              (options.tenantIds === undefined || options.tenantIds.includes(String(creator)));
            const expected = all
              .get(table)!
              .filter(
                (r) =>
                  visible(r.creator_id) &&
                  Object.entries(options.where ?? {}).every(([c, v]) =>
                    v === null ? r[c] === null || r[c] === undefined : r[c] != null && text(r[c]) === text(v),
                  ),
              );
            const key = (r: Row) => JSON.stringify([r.creator_id, r.product_id, r.component, r.alert_type]);
            const got = rows.map(key).sort();
            const want = expected.map(key).sort();
            if (options.limit === undefined) expect(got).toEqual(want);
            else {
              expect(got.length).toBe(Math.min(options.limit, want.length));
              for (const k of got) expect(want).toContain(k);
            }

            // An admin read beyond their own creators, and only that, is audited once.
            const beyond =
              admin &&
              (options.tenantIds === undefined || options.tenantIds.some((t) => !auth.tenantIds.includes(t)));
            const entries = await bed.commerce.accessAudit.list();
            expect(entries.length).toBe(audited + (beyond ? 1 : 0));
            if (beyond)
              expect(entries[0]).toMatchObject({
                userId: auth.userId,
                action: 'commerce.rows',
                resource: table,
                rowCount: rows.length,
              });

            // find by the key of any creator's row: null unless the caller may see that creator.
            const candidates = all.get(table)!;
            if (candidates.length === 0) return;
            const target = candidates[pick % candidates.length]!;
            const keyOf = Object.fromEntries(
              ['creator_id', 'product_id', 'component', 'alert_type']
                .filter((c) => target[c] !== undefined)
                .map((c) => [c, target[c]]),
            );
            const found = await bed.commerce.find(table, keyOf, auth);
            const mayFind = admin || auth.tenantIds.includes(String(target.creator_id));
            expect(found === null ? null : found.creator_id).toBe(mayFind ? target.creator_id : null);
          },
        ),
        { numRuns: engine.name === 'postgres' ? 60 : 100 },
      );
    },
    180_000,
  );
});
