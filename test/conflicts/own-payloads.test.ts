/**
 * The resolver's own payloads are not checked again by their zod schemas when
 * the store validates its append; every payload it builds satisfies them (so
 * the skipped check is one that could not fail), and a payload from anywhere
 * else is still checked in full.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConflictResolver,
  conflictEventSchemas,
  createConflictEngine,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import { detectedEvent, escalatedEvent, resolvedEvent } from '../../src/conflicts/service/events.js';
import { summariseDetected, summariseEscalated } from '../../src/conflicts/service/summary-events.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';
import { SYNC_CONFLICT_DETECTED_EVENT } from '../../src/commerce/conflicts/commerce-conflict-names.js';
import { syncConflictDetectedSchema } from '../../src/commerce/events/index.js';
import { ValidationError } from '../../src/core/errors.js';
import { createEventStore } from '../../src/store/index.js';
import { anyConflictArb } from './support/arbitraries.js';

const engine = createConflictEngine(commerceConflictConfig());

describe('own payloads', () => {
  afterEach(() => vi.restoreAllMocks());

  it('every payload the builders make satisfies its schema', () => {
    fc.assert(
      fc.property(anyConflictArb, fc.constantFrom(undefined, 'creator-1'), (input, creatorId) => {
        const r = engine.resolve(input);
        const detected = detectedEvent(r, 'd', {
          rule: engine.config.detectedEvent,
          quantityField: 'quantity',
          ...(creatorId === undefined ? {} : { ownerId: creatorId }),
        });
        const detectedSchema =
          detected.type === SYNC_CONFLICT_DETECTED_EVENT
            ? syncConflictDetectedSchema
            : conflictEventSchemas['conflict.detected'];
        expect(detectedSchema.safeParse(detected.data).success).toBe(true);
        expect(detectedSchema.safeParse(summariseDetected(detected.data)).success).toBe(true);
        if (r.status === 'escalated') {
          const summary = summariseEscalated(escalatedEvent(r, 'o').data);
          expect(conflictEventSchemas['conflict.escalated'].safeParse(summary).success).toBe(true);
        }
        const outcome =
          r.status === 'escalated'
            ? conflictEventSchemas['conflict.escalated'].safeParse(escalatedEvent(r, 'o').data)
            : conflictEventSchemas['conflict.resolved'].safeParse(
                resolvedEvent(r, 'o', { manual: false }).data,
              );
        expect(outcome.success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("appends the resolver's own escalation without running its schema, and checks anyone else's", async () => {
    const store = createEventStore({ strict: true });
    const resolver = new ConflictResolver({ store, config: commerceConflictConfig() });
    const schema = conflictEventSchemas['conflict.escalated'];
    const parse = vi.spyOn(schema, 'safeParse');
    const contenders: ContenderInput[] = ['tiktok_webhook', 'shipping_provider'].map((source, i) => ({
      entityType: 'order',
      entityId: 'o-1',
      source,
      sourceId: source,
      eventId: `e${i}`,
      hlc: { wallMs: 1_000 + i, logical: 0, node: source },
      changes: { status: i === 0 ? 'paid' : 'cancelled', totalAmount: 2_000 },
    }));
    const record = await resolver.resolve(
      { entityType: 'order', entityId: 'o-1', contenders },
      { ownerId: 'c1' },
    );
    expect(record.status).toBe('pending');
    expect(parse).not.toHaveBeenCalled();

    // A copy is not the resolver's own: checked, and accepted when it is well formed.
    const { events } = await store.readStream('conflicts-order-o-1');
    const copy = structuredClone(events[1]!.data) as Record<string, unknown>;
    await store.append('elsewhere', [{ type: 'conflict.escalated', data: copy }]);
    expect(parse).toHaveBeenCalledTimes(1);
    // A malformed one is refused with the schema's issue, and nothing is written.
    const bad = { ...copy, markers: { status: [{ source: 'x' }] } };
    const refused = await store
      .append('elsewhere', [{ type: 'conflict.escalated', data: bad }])
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues.map((i) => i.path)).toEqual(['markers.status.0.eventId']);
    expect((await store.readStream('elsewhere')).version).toBe(1);
    resolver.close();
    await store.close();
  });
});
