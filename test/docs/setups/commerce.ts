/**
 * A started commerce domain on the `store` of the setup before it (fake
 * TikTok, payment and shipping ports, conflicts on), with one stock conflict
 * of creator-1 escalated to the manual queue (two sources disagree beyond
 * the tolerance), as docs/conflicts.md's queue examples expect. Stopped
 * after the example.
 */
import type { EventStore } from '@creatorflow/sync';
import {
  createCommerce,
  FakePaymentGateway,
  FakeShippingProvider,
  FakeTikTokShopClient,
  inventoryStream,
  stockReportEvent,
  type StockReported,
} from '@creatorflow/sync/commerce';
import type { DocSetup } from './types.js';

const CREATOR = 'creator-1';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

const setup: DocSetup = async (host) => {
  const store = host.store as EventStore;
  const commerce = createCommerce({
    store,
    // Windows settle when the setup says so, not on a timer.
    conflicts: { tickMs: 3_600_000 },
    ports: {
      payments: new FakePaymentGateway(),
      shipping: new FakeShippingProvider(),
      tiktok: new FakeTikTokShopClient(),
    },
  });
  await commerce.start();
  const report = (source: StockReported['source'], quantity: number, ms: number) =>
    store.append(inventoryStream(CREATOR, 'p1'), [
      stockReportEvent({
        creatorId: CREATOR,
        productId: 'p1',
        quantity,
        source,
        sourceId: source,
        reportedAt: new Date(T0 + ms).toISOString(),
      }),
    ]);
  const conflicts = commerce.conflicts!;
  await report('tiktok_webhook', 50, 0);
  await conflicts.whenCaughtUp();
  await conflicts.settleDue(T0 + 60_000);
  await report('tiktok_webhook', 20, 70_000);
  await report('scheduled_sync', 44, 70_500);
  await conflicts.whenCaughtUp();
  const settled = await conflicts.settleDue(T0 + 3_600_000);
  if (settled.escalated !== 1) throw new Error(`expected one escalated conflict: ${JSON.stringify(settled)}`);
  return { globals: { commerce }, close: () => commerce.stop() };
};
export default setup;
