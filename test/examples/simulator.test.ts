/**
 * The simulator's laws: a seed replays the same traffic; every order moves
 * through a valid sequence of statuses; stock never goes negative; the
 * viral spike concentrates orders on one product; every webhook it builds
 * passes the library's own signature checks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyTikTokWebhook } from '../../src/commerce/index.js';
import { decodeWebhookSecret, verifyStandardWebhook } from '../../src/ingest/index.js';
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import { CATALOG, VIRAL_PRODUCT_ID } from '../../examples/simulator/catalog.js';
import { FakeShop, type Notification, type TrafficOptions } from '../../examples/simulator/fake-shop.js';
import { seededRandom } from '../../examples/simulator/random.js';
import { buildWebhook } from '../../examples/simulator/webhook-sender.js';

const T0 = 1_764_000_000_000;

function run(seed: number, options: TrafficOptions, seconds: number, stepMs = 100): Notification[] {
  const shop = new FakeShop(seededRandom(seed), options);
  const out: Notification[] = [];
  for (let t = T0; t <= T0 + seconds * 1000; t += stepMs) out.push(...shop.tick(t));
  return out;
}

const summary = (ns: Notification[]) =>
  ns.map((n) =>
    n.kind === 'product_status' ? `${n.product.id}:${n.status}` : `${n.order.id}:${n.kind}:${n.status}`,
  );

const NEXT: Record<string, readonly string[]> = {
  UNPAID: ['AWAITING_SHIPMENT', 'CANCELLED'],
  AWAITING_SHIPMENT: ['AWAITING_COLLECTION', 'CANCELLED'],
  AWAITING_COLLECTION: ['IN_TRANSIT'],
  IN_TRANSIT: ['DELIVERED'],
  DELIVERED: ['COMPLETED'],
};

const options = fc.record({
  rate: fc.double({ min: 0.5, max: 20, noNaN: true }),
  pace: fc.double({ min: 0.1, max: 2, noNaN: true }),
  cancelRate: fc.double({ min: 0, max: 1, noNaN: true }),
  stockScale: fc.double({ min: 0.05, max: 1, noNaN: true }),
  viralAfterMs: fc.integer({ min: 0, max: 10_000 }),
});

describe('simulator', () => {
  it('replays the same traffic for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), options, (seed, o) => {
        expect(summary(run(seed, o, 20))).toEqual(summary(run(seed, o, 20)));
      }),
      { numRuns: 20 },
    );
  });

  it('moves every order through a valid sequence of statuses and never oversells', () => {
    fc.assert(
      fc.property(fc.integer(), options, (seed, o) => {
        const shop = new FakeShop(seededRandom(seed), o);
        const last = new Map<string, string>();
        for (let t = T0; t <= T0 + 30_000; t += 100) {
          for (const n of shop.tick(t)) {
            if (n.kind !== 'order_status') continue;
            const previous = last.get(n.order.id);
            if (previous === undefined) expect(n.status).toBe('UNPAID');
            else expect(NEXT[previous]).toContain(n.status);
            last.set(n.order.id, n.status);
          }
          for (const p of CATALOG) expect(shop.stock(p.id)!.quantity).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('concentrates the viral spike on one product', () => {
    const count = (ns: Notification[]) => {
      const paid = ns.filter((n) => n.kind === 'order_status' && n.status === 'UNPAID');
      const viral = paid.filter((n) => n.kind === 'order_status' && n.order.product.id === VIRAL_PRODUCT_ID);
      return { total: paid.length, viral: viral.length };
    };
    // Plenty of stock, so the viral product does not sell out within the run.
    const calm = count(run(1, { rate: 5, viralAfterMs: 1e9, stockScale: 20 }, 20));
    const spike = count(run(1, { rate: 5, viralAfterMs: 0, viralDurationMs: 1e9, stockScale: 20 }, 20));
    expect(spike.total).toBeGreaterThan(calm.total * 2);
    expect(spike.viral / spike.total).toBeGreaterThan(0.6);
    expect(calm.viral / calm.total).toBeLessThan(0.5);
  });

  it('signs every webhook so the library verifies it', () => {
    const target = { ...DEMO_CREDENTIALS, url: 'http://localhost' };
    const notifications = run(3, { rate: 5, pace: 0.2 }, 10);
    expect(new Set(notifications.map((n) => n.kind))).toEqual(new Set(['order_status', 'tracking']));
    for (const n of notifications) {
      const { headers, body } = buildWebhook(target, n, T0);
      const raw = Buffer.from(body);
      if (n.kind === 'tracking') {
        const verified = verifyStandardWebhook({
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          signature: headers['webhook-signature'],
          rawBody: raw,
          keys: [decodeWebhookSecret(target.shipping.secret)],
          nowMs: T0,
          toleranceSeconds: 300,
        });
        expect(verified.id).toBe(headers['webhook-id']);
      } else {
        expect(verifyTikTokWebhook(headers.authorization, target.appKey, target.appSecret, raw)).toBe(true);
        expect(verifyTikTokWebhook(headers.authorization, target.appKey, 'wrong-secret', raw)).toBe(false);
      }
    }
  });
});
