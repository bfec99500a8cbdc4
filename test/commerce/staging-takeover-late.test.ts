/**
 * A window's staged reports leave the staging table in the transaction of the
 * append that settles it. A processor that died between that commit and a
 * separate delete left them staged; the next holder then cut them and a late
 * report of the same window (source time inside it, arrived after it settled)
 * into one new window and audited them a second time. PGlite and PostgreSQL
 * (the in-memory store has no process to lose).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createCommerce,
  inventoryStream,
  stockReportEvent,
  type Commerce,
} from '../../src/commerce/index.js';
import { createEventStore, type EventStore } from '../../src/store/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

const C = 'creator-late';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

describe.each(sqlEngines)('a takeover after a window settled ($name)', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  const opened: Commerce[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const c of opened.splice(0)) await c.stop().catch(() => undefined);
    await store?.close();
    await db?.close();
    db = store = undefined;
  });
  const open = async () => {
    const commerce = createCommerce({
      store: store!,
      conflicts: { tickMs: 3_600_000, settleMs: 1_000, lease: false },
    });
    opened.push(commerce);
    await commerce.start();
    return commerce;
  };
  const report = (quantity: number, source: 'tiktok_webhook' | 'manual_admin', ms: number) =>
    store!.append(inventoryStream(C, 'p1'), [
      stockReportEvent({
        creatorId: C,
        productId: 'p1',
        quantity,
        source,
        sourceId: source,
        reportedAt: new Date(T0 + ms).toISOString(),
      }),
    ]);

  it.runIf(engine.available)(
    'a late report of the settled window is a window of its own: no report is audited twice',
    async () => {
      db = await engine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema, occurredAtWindow: null });
      const first = await open();
      await report(50, 'tiktok_webhook', 0);
      await report(49, 'manual_admin', 1_000);
      await first.conflicts!.whenCaughtUp();
      // The processor dies before any delete of its own after the commit.
      const staging = first.conflicts!.staging;
      const remove = staging.remove.bind(staging);
      vi.spyOn(staging, 'remove').mockImplementation((ids, tx) => (tx ? remove(ids, tx) : Promise.resolve()));
      const settled = await first.conflicts!.settleDue(T0 + 60_000);
      expect(settled).toEqual({ applied: 0, resolved: 1, escalated: 0 });
      vi.restoreAllMocks();

      const second = await open();
      await report(48, 'manual_admin', 2_000); // inside the settled window, arriving after it
      await second.conflicts!.whenCaughtUp();
      expect(await second.conflicts!.settleDue(Date.now() + 3_600_000)).toEqual({
        applied: 1,
        resolved: 0,
        escalated: 0,
      });
      const records = await second.conflicts!.unscopedResolver.list({ entityType: 'inventory' });
      const audited = records.flatMap((r) => r.resolution.contenders.map((c) => c.eventId));
      expect(audited).toHaveLength(2);
      expect(new Set(audited).size).toBe(2);
      expect(await second.conflicts!.staging.open()).toEqual([]);
    },
    300_000,
  );
});
