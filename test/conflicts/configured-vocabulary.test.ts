/**
 * A domain names what the engine reports (issue 11): conflict kinds, the rule
 * of a minimum field, and the detected event's type and keys are
 * configuration, shown here with a seat-booking domain that is not commerce.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictResolver,
  DEFAULT_CONFLICT_KIND,
  DEFAULT_MINIMUM_RULE,
  DEFAULT_MISMATCH_KIND,
  GENERIC_CONFLICT_DETECTED_EVENT,
  MalformedConflictInputError,
  createConflictConfig,
  createConflictEngine,
  type ConflictConfigInput,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import { createEventStore } from '../../src/store/index.js';

const NOW = Date.UTC(2026, 0, 15, 12);
let seq = 0;
const seats = (source: string, free: number): ContenderInput => ({
  entityType: 'seat',
  entityId: 'show-9',
  source,
  sourceId: `${source}-1`,
  eventId: `e${++seq}`,
  hlc: { wallMs: NOW - 100, logical: seq, node: source },
  changes: { free },
});

const SEATING: ConflictConfigInput = {
  priorities: { box_office: 3, reseller: 2, usher: 1 },
  entities: {
    seat: {
      kind: 'seat_race',
      strategy: 'businessRules',
      minimumFields: ['free'],
      minimumRule: 'fewest_seats',
    },
  },
  crossPlatform: {
    source: 'box_office',
    manualSources: ['usher'],
    manualKind: 'box_office_vs_usher',
    mismatchKind: 'box_office_vs_reseller',
  },
  thresholds: { crossPlatformMismatch: false },
  detectedEvent: {
    ownerKey: 'venueId',
    quantityEvent: { type: 'seats.conflict_detected', subjectKey: 'showId' },
  },
};

const conflict = (contenders: ContenderInput[]) => ({
  entityType: 'seat',
  entityId: 'show-9',
  base: { free: 10, venueId: 'venue-1' },
  contenders,
  detectedAt: NOW,
});

describe('a domain names the kinds, the minimum rule and the detected event', () => {
  it('reports the kinds the policy and the platform rule name', () => {
    const engine = createConflictEngine(SEATING);
    expect(engine.resolve(conflict([seats('reseller', 8), seats('usher', 9)])).kind).toBe('seat_race');
    expect(engine.resolve(conflict([seats('box_office', 8), seats('usher', 9)])).kind).toBe(
      'box_office_vs_usher',
    );
    expect(engine.resolve(conflict([seats('box_office', 8), seats('reseller', 9)])).kind).toBe(
      'box_office_vs_reseller',
    );
    expect(engine.config.kinds).toEqual([
      'seat_race',
      DEFAULT_CONFLICT_KIND,
      'box_office_vs_usher',
      'box_office_vs_reseller',
    ]);
  });

  it('records the minimum rule the policy names, and a default one otherwise', () => {
    const r = createConflictEngine(SEATING).resolve(conflict([seats('box_office', 9), seats('reseller', 7)]));
    expect(r.after).toMatchObject({ free: 7 });
    expect(r.fields.free).toMatchObject({ rule: 'fewest_seats' });
    const plain = createConflictEngine({
      ...SEATING,
      entities: { seat: { strategy: 'businessRules', minimumFields: ['free'] } },
    }).resolve(conflict([seats('box_office', 9), seats('reseller', 7)]));
    expect(plain.fields.free).toMatchObject({ rule: DEFAULT_MINIMUM_RULE });
  });

  it('refuses a kind list that leaves out a kind the configuration uses, and a platform rule without its kind', () => {
    expect(() => createConflictConfig({ ...SEATING, kinds: ['seat_race'] })).toThrow(
      MalformedConflictInputError,
    );
    const { manualKind: _dropped, ...noKind } = SEATING.crossPlatform!;
    expect(() => createConflictConfig({ ...SEATING, crossPlatform: noKind as never })).toThrow(
      MalformedConflictInputError,
    );
    // An owner or subject key may not overwrite a key of the detected event itself.
    expect(() => createConflictConfig({ ...SEATING, detectedEvent: { ownerKey: 'kind' } })).toThrow(
      MalformedConflictInputError,
    );
    // Without a rule, the kinds of a bare configuration are the engine's default ones.
    expect(createConflictConfig().kinds).toEqual([DEFAULT_CONFLICT_KIND]);
    expect(DEFAULT_MISMATCH_KIND).toBe('cross_platform_inconsistency');
  });

  it('measures a deviation from a reference the contender sets, on a terminal base too when asked, and refuses one without its reference', () => {
    const limit = {
      code: 'resale_markup',
      field: 'price',
      measure: 'deviationPercent' as const,
      reference: 'faceValue',
      limit: 25,
      message: 'price is {value}% off face value',
    };
    const engine = createConflictEngine({
      ...SEATING,
      entities: {
        ticket: {
          terminal: { field: 'state', values: ['used'], pick: 'first' },
          limits: [{ ...limit, evenWhenTerminal: true }],
        },
      },
    });
    const ticket = (eventId: string, price: number): ContenderInput => ({
      entityType: 'ticket',
      entityId: 't-1',
      source: 'reseller',
      sourceId: 'r',
      eventId,
      hlc: { wallMs: NOW - 100, logical: 0, node: 'r' },
      changes: { price, faceValue: 40 },
    });
    const resolve = (price: number, state: string) =>
      engine.resolve({
        entityType: 'ticket',
        entityId: 't-1',
        contenders: [ticket(`p${price}`, price)],
        base: { state },
        detectedAt: NOW,
      });
    expect(resolve(50, 'sold').status).toBe('resolved'); // exactly 25 %
    expect(resolve(51, 'sold').escalation!.reasons).toEqual([
      expect.objectContaining({ code: 'resale_markup', value: 27.5, threshold: 25 }),
    ]);
    expect(resolve(20, 'used').status).toBe('escalated'); // 50 % under, though terminal
    expect(resolve(45, 'used').rule).toBe('terminal_state_absorbs');
    const { reference: _dropped, ...noReference } = limit;
    expect(() =>
      createConflictConfig({ ...SEATING, entities: { ticket: { limits: [noReference] } } }),
    ).toThrow(MalformedConflictInputError);
  });

  it('appends the quantity event with the owner and subject keys, and counts every configured kind in reports', async () => {
    const store = createEventStore();
    await store.migrate();
    const resolver = new ConflictResolver({ store, now: () => NOW, config: SEATING });
    await resolver.migrate();
    const record = await resolver.resolve(conflict([seats('reseller', 8), seats('usher', 9)]));
    const { events } = await store.readStream('conflicts-seat-show-9');
    expect(events[0]!.type).toBe('seats.conflict_detected');
    expect(Object.keys(events[0]!.data as object).slice(0, 6)).toEqual([
      'venueId',
      'showId',
      'localQuantity',
      'remoteQuantity',
      'remoteSource',
      'resolvedQuantity',
    ]);
    expect(events[0]!.data).toMatchObject({ venueId: 'venue-1', showId: 'show-9', localQuantity: 10 });
    expect(record.resolution.after).toMatchObject({ free: 8 });
    const report = await resolver.report({
      from: new Date(NOW - 3_600_000),
      to: new Date(NOW + 3_600_000),
      bucket: 'hour',
    });
    expect(report.byKind).toEqual({
      seat_race: 1,
      [DEFAULT_CONFLICT_KIND]: 0,
      box_office_vs_usher: 0,
      box_office_vs_reseller: 0,
    });
    await store.close();
  });

  it('names no owner and appends conflict.detected without a detected-event rule', async () => {
    const store = createEventStore();
    await store.migrate();
    const resolver = new ConflictResolver({ store, config: { ...SEATING, detectedEvent: null } });
    await resolver.resolve(conflict([seats('reseller', 8), seats('usher', 9)]), { ownerId: 'venue-1' });
    const { events } = await store.readStream('conflicts-seat-show-9');
    expect(events[0]!.type).toBe(GENERIC_CONFLICT_DETECTED_EVENT);
    expect(events[0]!.data).not.toHaveProperty('venueId');
    await store.close();
  });
});
