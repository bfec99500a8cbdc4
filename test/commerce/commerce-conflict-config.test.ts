/**
 * The conflict engine knows no domain: without configuration it has no
 * source, no entity policy and no platform rule. `commerceConflictConfig()`
 * supplies CreatorFlow's, with a host's input merged over them.
 */
import { describe, expect, it } from 'vitest';
import {
  COMMERCE_ENTITY_POLICIES,
  COMMERCE_SOURCE_PRIORITIES,
  COMMERCE_SOURCES,
  MANUAL_SOURCE,
  TIKTOK_SOURCE,
  commerceConflictConfig,
} from '../../src/commerce/conflicts/commerce-conflict-config.js';
import {
  createConflictEngine,
  MalformedConflictInputError,
  UnknownSourceError,
  type ContenderInput,
} from '../../src/conflicts/index.js';

const NOW = Date.UTC(2026, 0, 15, 12);
let seq = 0;
const stock = (source: string, quantity: number): ContenderInput => ({
  entityType: 'inventory',
  entityId: 'sku-1',
  source,
  sourceId: `${source}-1`,
  eventId: `e${++seq}`,
  hlc: { wallMs: NOW - 100, logical: seq, node: source },
  changes: { quantity },
});
const conflict = (contenders: ContenderInput[]) => ({
  entityType: 'inventory',
  entityId: 'sku-1',
  base: { quantity: 20 },
  contenders,
  detectedAt: NOW,
});

describe('the generic conflict engine', () => {
  it('has no sources, entity policies or platform rule of its own', () => {
    const engine = createConflictEngine();
    expect(engine.config.priorities).toEqual({});
    expect(engine.config.entities).toEqual({});
    expect(engine.config.crossPlatform).toBeNull();
    expect(() => engine.resolve(conflict([stock(TIKTOK_SOURCE, 18), stock(MANUAL_SOURCE, 20)]))).toThrow(
      UnknownSourceError,
    );
  });

  it('reports a generic kind for an entity type without a policy (issue 12: a task board got a commerce kind)', () => {
    const engine = createConflictEngine({ priorities: { web_app: 7, mobile_app: 5 } });
    const move = (source: string, column: string): ContenderInput => ({
      entityType: 'task',
      entityId: 'b1/t1',
      source,
      sourceId: `${source}-1`,
      eventId: `e${++seq}`,
      hlc: { wallMs: NOW - 100, logical: seq, node: source },
      changes: { column },
    });
    const r = engine.resolve({
      entityType: 'task',
      entityId: 'b1/t1',
      base: { column: 'todo' },
      contenders: [move('mobile_app', 'done'), move('web_app', 'doing')],
      detectedAt: NOW,
    });
    expect(r.kind).toBe('concurrent_update');
    expect(r.set).toEqual({ column: 'doing' });
    // Commerce keeps the specification's kind for its entity types without a policy.
    const commerce = createConflictEngine(commerceConflictConfig());
    expect(commerce.config.fallback.kind).toBe('cross_platform_inconsistency');
    expect(engine.config.fallback.kind).toBe('concurrent_update');
  });

  it('classifies by the entity policy alone without a platform rule', () => {
    const engine = createConflictEngine({
      ...commerceConflictConfig({ thresholds: { crossPlatformMismatch: false } }),
      crossPlatform: null,
    });
    const r = engine.resolve(conflict([stock(TIKTOK_SOURCE, 18), stock(MANUAL_SOURCE, 19)]));
    expect(r.kind).toBe('inventory_concurrent_update');
  });
});

describe('commerceConflictConfig', () => {
  it('supplies the specification sources, entity policies and the TikTok rule', () => {
    const engine = createConflictEngine(commerceConflictConfig());
    expect(engine.config.priorities).toEqual(COMMERCE_SOURCE_PRIORITIES);
    expect(COMMERCE_SOURCES[0]).toBe(TIKTOK_SOURCE);
    expect(Object.keys(engine.config.entities).sort()).toEqual(Object.keys(COMMERCE_ENTITY_POLICIES).sort());
    expect(engine.config.entities.payment!.terminal).toEqual({
      field: 'status',
      values: ['completed'],
      pick: 'first',
    });
    const r = engine.resolve(conflict([stock(TIKTOK_SOURCE, 18), stock(MANUAL_SOURCE, 19)]));
    expect(r.kind).toBe('tiktok_vs_manual_changes');
    const mismatch = engine.resolve(conflict([stock(TIKTOK_SOURCE, 18), stock('scheduled_sync', 19)]));
    expect(mismatch.kind).toBe('cross_platform_inconsistency');
    expect(mismatch.escalation?.reasons.map((x) => x.message)).toContain(
      'TikTok Shop disagrees with another platform',
    );
  });

  it("merges a host's entity fields over the commerce policy and adds its sources", () => {
    const config = createConflictEngine(
      commerceConflictConfig({
        priorities: { shopify_webhook: 9 },
        entities: { inventory: { windowMs: 2_000 } },
      }),
    ).config;
    expect(config.priorities.shopify_webhook).toBe(9);
    expect(config.priorities[TIKTOK_SOURCE]).toBe(10);
    expect(config.entities.inventory).toMatchObject({
      windowMs: 2_000,
      minimumFields: ['quantity'],
      minimumRule: 'stock_minimum',
    });
  });

  it("keeps a host's commerce input working: its own platform rule gets commerce's manual kind, its stock fields the stock minimum", () => {
    const engine = createConflictEngine(
      commerceConflictConfig({
        crossPlatform: { source: 'scheduled_sync', manualSources: [MANUAL_SOURCE] },
        entities: {
          bundle: { kind: 'inventory_concurrent_update', strategy: 'businessRules', stockFields: ['units'] },
        },
      }),
    );
    const r = engine.resolve(conflict([stock('scheduled_sync', 18), stock(MANUAL_SOURCE, 19)]));
    expect(r.kind).toBe('tiktok_vs_manual_changes');
    const bundle = engine.resolve({
      ...conflict([]),
      entityType: 'bundle',
      entityId: 'b1',
      base: { units: 20 },
      contenders: [5, 4].map((units) => ({
        ...stock('automated_system', 0),
        entityType: 'bundle',
        entityId: 'b1',
        changes: { units },
      })),
    });
    expect(bundle.fields.units).toMatchObject({ rule: 'stock_minimum' });
    expect(bundle.set).toEqual({ units: 4 });
    // A kind outside commerce's list is refused, as the engine's kind enum refused it before.
    expect(() =>
      createConflictEngine(commerceConflictConfig({ entities: { bundle: { kind: 'bundle_race' } } })),
    ).toThrow(MalformedConflictInputError);
  });
});
