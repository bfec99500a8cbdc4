/**
 * Commerce's conflict vocabulary moved out of the generic engine (issue 11)
 * without changing a stored string: the events, the audit records and the
 * report of a fixed set of commerce conflicts are byte for byte what the
 * engine wrote when it named the kinds, `stock_minimum` and
 * `inventory.sync_conflict_detected` itself. The golden file was written by
 * that code (main at bc07ceb, with `ResolveOptions.creatorId`, now `ownerId`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';
import {
  COMMERCE_CONFLICT_KINDS,
  CONFLICT_DETECTED_EVENT,
  CONFLICT_KINDS,
  SYNC_CONFLICT_DETECTED_EVENT,
} from '../../src/commerce/conflicts/commerce-conflict-names.js';
import { ConflictResolver, type ContenderInput, type ResolveOptions } from '../../src/conflicts/index.js';
import type { JsonObject } from '../../src/conflicts/json.js';
import { createEventStore } from '../../src/store/index.js';

const GOLDEN = new URL('./fixtures/conflict-stored-strings.golden.json', import.meta.url);
const NOW = Date.UTC(2026, 0, 15, 12);

let seq = 0;
function change(
  entityType: string,
  entityId: string,
  source: string,
  changes: JsonObject,
  deltas?: Record<string, number>,
): ContenderInput {
  seq += 1;
  return {
    entityType,
    entityId,
    source,
    sourceId: `${source}-1`,
    eventId: `e${seq}`,
    hlc: { wallMs: NOW - 1000 + seq, logical: 0, node: source },
    changes,
    ...(deltas ? { deltas } : {}),
  };
}

/** Stock, TikTok against an admin and another platform, order, payment, deltas, an unknown type. */
function cases(): [
  entityType: string,
  entityId: string,
  base: JsonObject,
  ContenderInput[],
  ResolveOptions,
][] {
  seq = 0;
  const inv = (id: string, source: string, changes: JsonObject, deltas?: Record<string, number>) =>
    change('inventory', id, source, changes, deltas);
  return [
    [
      'inventory',
      'p1',
      { quantity: 50, creatorId: 'c1' },
      [inv('p1', 'automated_system', { quantity: 48 }), inv('p1', 'scheduled_sync', { quantity: 50 })],
      {},
    ],
    [
      'inventory',
      'p2',
      { quantity: 20 },
      [inv('p2', 'tiktok_webhook', { quantity: 18 }), inv('p2', 'manual_admin', { quantity: 20 })],
      { ownerId: 'c2', tenantId: 'c2' },
    ],
    [
      'inventory',
      'p3',
      { quantity: 20 },
      [inv('p3', 'tiktok_webhook', { quantity: 18 }), inv('p3', 'scheduled_sync', { quantity: 19 })],
      { ownerId: 'c3' },
    ],
    [
      'order',
      'o1',
      { status: 'paid', creatorId: 'c1', totalAmount: 2000 },
      [
        change('order', 'o1', 'shipping_provider', { status: 'shipped' }),
        change('order', 'o1', 'automated_system', { status: 'cancelled' }),
      ],
      {},
    ],
    [
      'payment',
      'pay1',
      { status: 'pending', amount: 100 },
      [
        change('payment', 'pay1', 'payment_processor', { status: 'completed' }),
        change('payment', 'pay1', 'automated_system', { status: 'failed' }),
      ],
      { ownerId: 'c4' },
    ],
    [
      'inventory',
      'p5',
      { quantity: 10, creatorId: 'c5' },
      [inv('p5', 'automated_system', {}, { quantity: -2 }), inv('p5', 'scheduled_sync', { quantity: 9 })],
      {},
    ],
    [
      'widget',
      'w1',
      { size: 1 },
      [
        change('widget', 'w1', 'automated_system', { size: 2 }),
        change('widget', 'w1', 'scheduled_sync', { size: 3 }),
      ],
      { ownerId: 'c6' },
    ],
  ];
}

describe('commerce conflict names', () => {
  it('writes the events, audit records and report the engine wrote before the names moved', async () => {
    const store = createEventStore();
    await store.migrate();
    const resolver = new ConflictResolver({ store, now: () => NOW, config: commerceConflictConfig() });
    await resolver.migrate();
    const all = cases();
    for (const [entityType, entityId, base, contenders, options] of all)
      await resolver.resolve({ entityType, entityId, base, contenders }, options);
    const written: unknown[] = [];
    for (const [entityType, entityId] of all) {
      const { events } = await store.readStream(`conflicts-${entityType}-${entityId}`);
      for (const e of events) written.push({ type: e.type, data: e.data, metadata: e.metadata, id: e.id });
    }
    written.push(...(await resolver.list({})));
    written.push(
      await resolver.report({
        from: new Date(NOW - 3_600_000),
        to: new Date(NOW + 3_600_000),
        bucket: 'hour',
      }),
    );
    // Compared as serialised text: key order and every string count, not only deep equality.
    const golden: unknown = JSON.parse(readFileSync(GOLDEN, 'utf8'));
    expect(JSON.stringify(written, null, 1)).toBe(JSON.stringify(golden, null, 1));
    await store.close();
  });

  it('keeps the names /conflicts used to export as deprecated aliases', () => {
    expect(CONFLICT_KINDS).toBe(COMMERCE_CONFLICT_KINDS);
    expect(CONFLICT_DETECTED_EVENT).toBe(SYNC_CONFLICT_DETECTED_EVENT);
    expect(CONFLICT_KINDS).toEqual([
      'inventory_concurrent_update',
      'order_status_race_condition',
      'tiktok_vs_manual_changes',
      'cross_platform_inconsistency',
      'concurrent_update',
    ]);
  });
});
