/**
 * The manual conflict queue over HTTP: scoped by creator (a creator sees only
 * their conflicts, an admin every creator's, access-audited), admin role
 * required to decide, a decision audited with who and why and folded into the
 * read models, a second decision refused, a decision the entity cannot hold
 * refused while the conflict stays pending. Memory, PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  inventoryStream,
  manualQueueRoutes,
  stockReportEvent,
  type InventoryLevelRow,
  type QueueCaller,
  type StockReported,
} from '../../src/commerce/index.js';
import { createRouter } from '../../src/http/router.js';
import type { HttpHandler } from '../../src/http/types.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const CALLERS: Record<string, QueueCaller> = {
  'admin-token': { userId: 'admin-7', tenantIds: [], roles: ['admin'] },
  'creator-token': { userId: 'creator-1', tenantIds: [C], roles: ['creator'] },
  'other-creator-token': { userId: 'creator-2', tenantIds: ['creator-2'], roles: ['creator'] },
  'no-role-token': { userId: 'visitor', tenantIds: [C] },
};

describe.each(commerceEngines)('manual queue routes ($name)', (engine) => {
  let bed: CommerceTestbed;
  let http: HttpHandler;

  beforeEach(async () => {
    bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
    http = createRouter(
      manualQueueRoutes({
        queue: bed.commerce.conflictQueue!,
        authorize: (req) => CALLERS[String(req.headers.authorization)] ?? null,
      }),
    );
  });
  afterEach(async () => {
    await bed.close();
  });

  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await http({
      method,
      path,
      headers: token === null ? {} : { authorization: token },
      rawBody: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
      params: {},
    });
    return {
      status: res.status,
      body: res.body === '' ? null : (JSON.parse(res.body) as Record<string, unknown>),
    };
  };

  async function escalatedStockConflict(): Promise<string> {
    const report = (source: StockReported['source'], quantity: number, ms: number) =>
      bed.store.append(inventoryStream(C, 'p1'), [
        stockReportEvent({
          creatorId: C,
          productId: 'p1',
          quantity,
          source,
          sourceId: source,
          reportedAt: new Date(T0 + ms).toISOString(),
        }),
      ]);
    const conflicts = bed.commerce.conflicts!;
    await report('tiktok_webhook', 50, 0);
    await conflicts.whenCaughtUp();
    await conflicts.settleDue(T0 + 60_000);
    await report('tiktok_webhook', 20, 70_000);
    await report('scheduled_sync', 44, 70_500);
    await conflicts.whenCaughtUp();
    expect(await conflicts.settleDue(T0 + 3_600_000)).toMatchObject({ escalated: 1 });
    const [pending] = await conflicts.unscopedResolver.listPending();
    return pending!.conflictId;
  }

  it('refuses callers without a session (401), without a role (403), and deciding without the admin role (403); changes nothing', async () => {
    const id = await escalatedStockConflict();
    expect((await call('GET', '/api/conflicts/pending', null)).status).toBe(401);
    expect(await call('GET', '/api/conflicts/pending', 'no-role-token')).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    });
    const refused = await call('POST', `/api/conflicts/${id}/decision`, 'creator-token', {
      values: { quantity: 1 },
      note: 'mine',
    });
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await bed.commerce.conflicts!.unscopedResolver.listPending()).toHaveLength(1);
    expect(await bed.commerce.accessAudit.list()).toEqual([]);
  });

  it('shows each creator only their conflicts; an admin sees all of them and the read is access-audited', async () => {
    const id = await escalatedStockConflict();
    const mine = await call('GET', '/api/conflicts/pending', 'creator-token');
    expect((mine.body!.conflicts as { conflictId: string }[]).map((c) => c.conflictId)).toEqual([id]);
    expect(await call('GET', '/api/conflicts/pending', 'other-creator-token')).toMatchObject({
      status: 200,
      body: { conflicts: [] },
    });
    const theirs = await call('GET', '/api/conflicts/report', 'other-creator-token');
    expect(theirs.body).toMatchObject({ total: 0 });
    expect((await call('GET', '/api/conflicts/report', 'creator-token')).body).toMatchObject({ total: 1 });
    expect(await bed.commerce.accessAudit.list()).toEqual([]);

    const all = await call('GET', '/api/conflicts/pending', 'admin-token');
    expect(all.body!.conflicts).toHaveLength(1);
    const [entry] = await bed.commerce.accessAudit.list();
    expect(entry).toMatchObject({
      userId: 'admin-7',
      roles: ['admin'],
      action: 'conflicts.pending',
      resource: 'conflict_audit',
      tenantIds: null,
      rowCount: 1,
    });
  });

  it('lists the queue, records who decided and why, folds the decision into the read model, refuses a second one', async () => {
    const id = await escalatedStockConflict();
    const list = await call('GET', '/api/conflicts/pending/inventory', 'admin-token');
    expect(list.status).toBe(200);
    const [item] = list.body!.conflicts as { conflictId: string; creatorId: string; markers: object }[];
    expect(item).toMatchObject({ conflictId: id, creatorId: C });
    expect(item!.markers).toHaveProperty('quantity');
    expect((await call('GET', '/api/conflicts/pending/order', 'admin-token')).body).toEqual({
      conflicts: [],
    });

    const noReason = await call('POST', `/api/conflicts/${id}/decision`, 'admin-token', {
      values: { quantity: 21 },
    });
    expect(noReason).toMatchObject({ status: 400, body: { code: 'CONFLICT_MALFORMED_INPUT' } });
    const unknownField = await call('POST', `/api/conflicts/${id}/decision`, 'admin-token', {
      values: { colour: 'red' },
      note: 'why not',
    });
    expect(unknownField).toMatchObject({ status: 400, body: { code: 'CONFLICT_MALFORMED_INPUT' } });

    const decided = await call('POST', `/api/conflicts/${id}/decision`, 'admin-token', {
      values: { quantity: 21 },
      note: 'shelf count',
    });
    expect(decided.status).toBe(200);
    expect(decided.body!.conflict).toMatchObject({
      status: 'manually_resolved',
      manualOverride: { adminId: 'admin-7', note: 'shelf count', values: { quantity: 21 } },
    });
    await bed.commerce.conflicts!.whenCaughtUp();
    await bed.commerce.whenIdle();
    const row = await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
      creator_id: C,
      product_id: 'p1',
    });
    expect(Number(row!.on_hand)).toBe(21);

    const again = await call('POST', `/api/conflicts/${id}/decision`, 'admin-token', {
      values: { quantity: 5 },
      note: 'changed my mind',
    });
    expect(again).toMatchObject({ status: 409, body: { code: 'CONFLICT_NOT_PENDING' } });
    const missing = await call(
      'POST',
      '/api/conflicts/00000000-0000-5000-8000-000000000000/decision',
      'admin-token',
      {
        values: { quantity: 5 },
        note: 'x',
      },
    );
    expect(missing).toMatchObject({ status: 404, body: { code: 'CONFLICT_NOT_FOUND' } });
    const report = await call('GET', '/api/conflicts/report', 'admin-token');
    expect(report.status).toBe(200);
    expect(report.body).toHaveProperty('trend');
  });

  it('refuses values the stock cannot hold and text PostgreSQL cannot store (400); the conflict stays pending and the next decision applies', async () => {
    const id = await escalatedStockConflict();
    const refusals: [Record<string, unknown>, string][] = [
      [{ quantity: -5 }, 'negative'],
      [{ quantity: 1.5 }, 'fraction'],
      [{ quantity: 'abc' }, 'text'],
      [{ quantity: null }, 'null'],
      [{ quantity: 1e308 }, 'beyond a safe integer'],
      [{ quantity: 3 }, 'NUL \u0000 in the note'],
      [{ quantity: 3 }, 'half an emoji \ud83d in the note'],
    ];
    for (const [values, note] of refusals) {
      const refused = await call('POST', `/api/conflicts/${id}/decision`, 'admin-token', { values, note });
      expect(refused, note).toMatchObject({ status: 400, body: { code: 'CONFLICT_MALFORMED_INPUT' } });
    }
    const [pending] = await bed.commerce.conflicts!.unscopedResolver.listPending();
    expect(pending).toMatchObject({ conflictId: id, status: 'pending', manualOverride: null });
    const conflictStream = await bed.store.readStream('conflicts-inventory-p1');
    expect(conflictStream.events.filter((e) => e.metadata['source'] === 'manual_admin')).toEqual([]);

    const decided = await call('POST', `/api/conflicts/${id}/decision`, 'admin-token', {
      values: { quantity: 7 },
      note: 'counted',
    });
    expect(decided.status).toBe(200);
    await bed.commerce.conflicts!.whenCaughtUp();
    await bed.commerce.whenIdle();
    const row = await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
      creator_id: C,
      product_id: 'p1',
    });
    expect(Number(row!.on_hand)).toBe(7);
  });

  it('answers an id that names no conflict with 404 (not a uuid, a NUL) and an entity type with a NUL with nothing, never a 500', async () => {
    const id = await escalatedStockConflict();
    for (const unknown of ['not-a-uuid', 'a%00b', `${id}x`]) {
      const res = await call(
        'POST',
        `/api/conflicts/${decodeURIComponent(unknown)}/decision`,
        'admin-token',
        {
          values: { quantity: 3 },
          note: 'n',
        },
      );
      expect(res, unknown).toMatchObject({ status: 404, body: { code: 'CONFLICT_NOT_FOUND' } });
    }
    expect(await call('GET', '/api/conflicts/pending/inventory\u0000', 'admin-token')).toMatchObject({
      status: 200,
      body: { conflicts: [] },
    });
    expect(await bed.commerce.conflicts!.unscopedResolver.listPending()).toHaveLength(1);
  });
});
