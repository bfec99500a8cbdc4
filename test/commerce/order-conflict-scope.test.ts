/**
 * Order conflicts carry their creator end to end: the detected event names it,
 * the audit keeps it, and the manual queue, the audit list and the reports of
 * `commerce.conflictQueue` scope by it. Two creators with the same order ids
 * (TikTok vs shipping status, a payment amount over $1000, a refund over
 * $500): each creator sees only their own, another creator none, an admin
 * both (access-audited); a decision changes only its creator's order.
 * Memory, PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError } from '../../src/access/errors.js';
import type { Authorization } from '../../src/core/authorization.js';
import {
  orderReportEvent,
  orderStream,
  type CommerceOrderRow,
  type OrderReported,
} from '../../src/commerce/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const A = 'creator-a';
const B = 'creator-b';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const LATER = T0 + 3_600_000;
const creatorA: Authorization = { userId: 'user-a', tenantIds: [A], roles: ['creator'] };
const creatorB: Authorization = { userId: 'user-b', tenantIds: [B], roles: ['creator'] };
const nobody: Authorization = { userId: 'user-c', tenantIds: ['creator-c'], roles: ['creator'] };
const admin: Authorization = { userId: 'ops-1', tenantIds: [], roles: ['admin'] };

describe.each(commerceEngines)('order conflicts scoped by creator ($name)', (engine) => {
  let bed: CommerceTestbed;

  beforeEach(async () => {
    bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
  });
  afterEach(async () => {
    await bed.close();
  });

  const report = (
    creatorId: string,
    orderId: string,
    source: OrderReported['source'],
    ms: number,
    extra: Partial<OrderReported>,
  ) =>
    bed.store.append(orderStream(creatorId, orderId), [
      orderReportEvent({
        creatorId,
        orderId,
        source,
        sourceId: source,
        reportedAt: new Date(T0 + ms).toISOString(),
        ...extra,
      } as OrderReported),
    ]);

  /** For one creator: a status mismatch, an amount over $1000 and a refund over $500, all escalated. */
  async function orderConflicts(creatorId: string): Promise<void> {
    await report(creatorId, 'o1', 'shipping_provider', 0, { status: 'delivered' });
    await report(creatorId, 'o1', 'tiktok_webhook', 500, { status: 'cancelled' });
    await report(creatorId, 'o2', 'payment_processor', 0, { status: 'paid', totalAmount: 1_200 });
    await report(creatorId, 'o2', 'automated_system', 10, { status: 'paid', totalAmount: 1_250 });
    await report(creatorId, 'o3', 'payment_processor', 0, { status: 'refunded', refundedAmount: 600 });
    await report(creatorId, 'o3', 'manual_admin', 10, { status: 'refunded', refundedAmount: 600 });
  }

  async function settle(): Promise<void> {
    const conflicts = bed.commerce.conflicts!;
    await conflicts.whenCaughtUp();
    expect(await conflicts.settleDue(LATER)).toEqual({ applied: 0, resolved: 0, escalated: 6 });
    await bed.commerce.whenIdle();
  }

  const ids = (records: { conflictId: string }[]) => records.map((r) => r.conflictId).sort();

  it('names the creator on every order conflict: detected event, audit, queue, list and report', async () => {
    await orderConflicts(A);
    await orderConflicts(B);
    await settle();
    const { events } = await bed.store.readAll();
    const detected = events.filter((e) => e.type === 'conflict.detected');
    expect(detected).toHaveLength(6);
    const byCreator = (c: string) =>
      detected.filter((e) => (e.data as { creatorId?: string }).creatorId === c).map((e) => e.data);
    expect(byCreator(A)).toHaveLength(3);
    expect(byCreator(B)).toHaveLength(3);

    const queue = bed.commerce.conflictQueue!;
    const all = await bed.commerce.conflicts!.unscopedResolver.list();
    const ofA = all.filter((r) => r.tenantId === A);
    const ofB = all.filter((r) => r.tenantId === B);
    expect([ofA.length, ofB.length]).toEqual([3, 3]);

    expect(ids(await queue.pending(creatorA))).toEqual(ids(ofA));
    expect(ids(await queue.pending(creatorB, { entityType: 'order' }))).toEqual(ids(ofB));
    expect(ids(await queue.list(creatorA, { entityType: 'order' }))).toEqual(ids(ofA));
    expect(await queue.pending(nobody)).toEqual([]);
    // Narrowing to someone else's creator gives nothing, not their rows.
    expect(await queue.pending(creatorA, { tenantIds: [B] })).toEqual([]);
    // Conflicts are dated by their detection (now), not by the reports' times.
    const range = {
      from: new Date(Date.now() - 3_600_000),
      to: new Date(Date.now() + 60_000),
      bucket: 'hour' as const,
    };
    expect(await queue.report(creatorA, range)).toMatchObject({ total: 3, pending: 3 });
    expect(await queue.report(nobody, range)).toMatchObject({ total: 0 });
    expect(bed.commerce.accessAudit).toBeDefined();
    expect(await bed.commerce.accessAudit.list()).toEqual([]);

    // The admin reads both creators; the read is access-audited.
    expect(ids(await queue.pending(admin, { entityType: 'order' }))).toEqual(ids(all));
    expect(await bed.commerce.accessAudit.list()).toMatchObject([
      { userId: 'ops-1', action: 'conflicts.pending', tenantIds: null, rowCount: 6 },
    ]);
  });

  it("a decision on creator A's order conflict changes only A's order; a creator cannot decide", async () => {
    await orderConflicts(A);
    await orderConflicts(B);
    await settle();
    const queue = bed.commerce.conflictQueue!;
    const [mismatch] = (await queue.pending(creatorA)).filter((r) => r.resolution.entityId === 'o1');
    await expect(
      queue.decide(creatorB, mismatch!.conflictId, { values: { status: 'cancelled' }, note: 'not mine' }),
    ).rejects.toBeInstanceOf(AccessDeniedError);
    const decided = await queue.decide(admin, mismatch!.conflictId, {
      values: { status: 'cancelled' },
      note: 'buyer cancelled before pickup',
    });
    expect(decided).toMatchObject({ tenantId: A, status: 'manually_resolved' });
    // Its detected event names the creator, so a reader of the log can scope it too.
    const { events } = await bed.store.readAll();
    expect(events.find((e) => e.id === decided.events.detected)?.data).toMatchObject({ creatorId: A });
    const conflicts = bed.commerce.conflicts!;
    await conflicts.whenCaughtUp();
    await bed.commerce.whenIdle();
    const order = (creator: string) =>
      bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: creator,
        order_id: 'o1',
      });
    expect(await order(A)).toMatchObject({ status: 'cancelled' });
    expect(await order(B)).toBeNull();
    expect((await queue.pending(creatorA)).map((r) => r.resolution.entityId).sort()).toEqual(['o2', 'o3']);
    expect(await queue.pending(creatorB)).toHaveLength(3);
    // The decision on another creator's conflict is in the access audit too.
    expect((await bed.commerce.accessAudit.list()).map((e) => e.action)).toContain('conflicts.decide');
  });
});
