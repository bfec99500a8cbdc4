/**
 * Resolving ahead (`ConflictResolver.prepare`) and writing later
 * (`commitPrepared`): the write is what `resolve` would have written at the
 * moment of the commit, on the in-memory store, PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictResolver, type ConflictRecord, type ContenderInput } from '../../src/conflicts/index.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { registerCommerceEvents } from '../../src/commerce/events/index.js';
import { createEventStore } from '../../src/store/index.js';
import { backends, type ResolverFixture } from './support/fixtures.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
let seq = 0;
const stock = (entityId: string, source: string, quantity: number, wallMs = T0): ContenderInput => ({
  entityType: 'inventory',
  entityId,
  source,
  sourceId: `${source}-1`,
  eventId: `prep-${++seq}`,
  hlc: { wallMs, logical: 0, node: source },
  changes: { quantity },
});
const withoutTiming = (r: ConflictRecord) => ({
  ...r,
  detectedAt: null,
  resolvedAt: null,
  resolutionMs: null,
});

describe.each(backends)('prepared resolutions on $name', (backend) => {
  let f: ResolverFixture;
  let clock = T0 + 1_000;
  beforeAll(async () => {
    if (!backend.available) return;
    f = await backend.open({ now: () => clock });
    registerCommerceEvents(f.store);
  });
  afterAll(async () => {
    await f?.close();
  });

  it.skipIf(!backend.available)(
    'writes nothing until committed, then the events and audit resolve() writes, detected at the commit',
    async () => {
      const base = { quantity: 50, creatorId: 'creator-1' };
      const contenders = [
        stock('sku-a', 'automated_system', 48),
        stock('sku-a', 'scheduled_sync', 50, T0 + 200),
      ];
      const prepared = f.resolver.prepare({ entityType: 'inventory', entityId: 'sku-a', contenders, base });
      expect(prepared.resolution.status).toBe('resolved');
      expect((await f.store.readStream('conflicts-inventory-sku-a')).events).toEqual([]);
      expect(await f.resolver.get(prepared.resolution.conflictId)).toBeUndefined();

      clock += 500;
      const record = await f.resolver.commitPrepared(prepared);
      expect(record.detectedAt).toBe(new Date(clock).toISOString());
      expect(await f.resolver.get(record.conflictId)).toEqual(record);
      const written = (await f.store.readStream('conflicts-inventory-sku-a')).events;

      // The same conflict resolved directly on a fresh store writes the same thing.
      const other = createEventStore();
      registerCommerceEvents(other);
      const direct = new ConflictResolver({
        store: other,
        config: f.resolver.engine.config,
        now: () => clock,
      });
      await direct.migrate();
      const expected = await direct.resolve({ entityType: 'inventory', entityId: 'sku-a', contenders, base });
      expect(withoutTiming(record)).toEqual(withoutTiming(expected));
      const strip = (e: { id: string; type: string; data: unknown; metadata: unknown }) => [
        e.id,
        e.type,
        e.data,
        e.metadata,
      ];
      expect(written.map(strip)).toEqual(
        (await other.readStream('conflicts-inventory-sku-a')).events.map(strip),
      );
      await other.close();
    },
  );

  it.skipIf(!backend.available)(
    'a contender whose clock was too far ahead at preparation is trusted at the commit: resolved afresh',
    async () => {
      const drift = f.resolver.engine.config.maxDriftMs;
      const ahead = clock + drift + 10_000;
      const contenders = [
        stock('sku-b', 'tiktok_webhook', 40, clock),
        stock('sku-b', 'manual_admin', 39, ahead),
      ];
      const prepared = f.resolver.prepare({
        entityType: 'inventory',
        entityId: 'sku-b',
        contenders,
        base: { quantity: 40, creatorId: 'creator-1' },
      });
      expect(prepared.resolution.contenders.map((c) => c.trusted).sort()).toEqual([false, true]);
      clock = ahead; // by now the admin's clock is within the drift
      const record = await f.resolver.commitPrepared(prepared);
      expect(record.resolution.contenders.every((c) => c.trusted)).toBe(true);
    },
  );

  it.skipIf(!backend.available)('refuses an object it did not prepare', async () => {
    const prepared = f.resolver.prepare({
      entityType: 'inventory',
      entityId: 'sku-c',
      contenders: [stock('sku-c', 'tiktok_webhook', 1), stock('sku-c', 'manual_admin', 1)],
      base: { quantity: 1, creatorId: 'creator-1' },
    });
    await expect(f.resolver.commitPrepared({ ...prepared })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
