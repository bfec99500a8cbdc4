/**
 * A mock of the TikTok Shop Open API (version 202309) over the fake shop:
 * the calls the host's fulfillment saga and inventory sync make (order
 * detail, inventory search, shipping-info update), plus the simulator's
 * competing stock counts (`GET /sim/stock_counts?after=<seq>`). Requests
 * must carry a valid `sign` (checked with the library's signer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { signTikTokRequest } from '@creatorflow/sync/commerce';
import { CATALOG } from './catalog.js';
import type { FakeShop } from './fake-shop.js';
import type { StockCounts } from './stock-counts.js';
import { listen, readBody, sendJson as send } from './http-server.js';

/**
 * The request handler of the mock API.
 *
 * @example
 * ```ts
 * http.createServer(openApiHandler(shop, appSecret)).listen(3100);
 * ```
 */
export function openApiHandler(shop: FakeShop, appSecret: string, counts?: StockCounts) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = await readBody(req);
      const query = Object.fromEntries(url.searchParams);
      const expected = signTikTokRequest({ appSecret, path: url.pathname, query, ...(body ? { body } : {}) });
      if (query.sign !== expected) return send(res, 401, { code: 106001, message: 'Invalid signature' });
      if (req.method === 'GET' && url.pathname === '/order/202309/orders') {
        const ids = (query.ids ?? '').split(',').filter(Boolean);
        const orders = ids.flatMap((id) => {
          const o = shop.orders.get(id);
          if (!o) return [];
          return [
            {
              id: o.id,
              status: o.status,
              create_time: Math.floor(o.createdAt / 1000),
              update_time: Math.floor(o.updatedAt / 1000),
              payment: { currency: 'USD', total_amount: o.total.toFixed(2) },
              // The 202309 API lists one line item per unit.
              line_items: Array.from({ length: o.quantity }, (_, i) => ({
                id: `${o.id}-${i}`,
                product_id: o.product.id,
                product_name: o.product.name,
                sku_id: o.product.skuId,
                seller_sku: o.product.sellerSku,
                sale_price: o.product.price.toFixed(2),
                currency: 'USD',
              })),
            },
          ];
        });
        return send(res, 200, { code: 0, message: 'Success', data: { orders } });
      }
      if (req.method === 'POST' && url.pathname === '/product/202309/inventory/search') {
        // `product_ids` narrows the search, as on TikTok.
        const ids = body ? (JSON.parse(body) as { product_ids?: unknown }).product_ids : undefined;
        const wanted = Array.isArray(ids) ? new Set(ids.map(String)) : null;
        const inventory = CATALOG.filter((p) => !wanted || wanted.has(p.id)).map((p) => {
          const s = shop.stock(p.id)!;
          return {
            product_id: p.id,
            skus: [
              {
                id: p.skuId,
                seller_sku: p.sellerSku,
                total_available_quantity: s.quantity,
                update_time: Math.floor(s.updatedAt / 1000),
              },
            ],
          };
        });
        return send(res, 200, { code: 0, message: 'Success', data: { inventory } });
      }
      if (req.method === 'GET' && url.pathname === '/sim/stock_counts' && counts) {
        // Not TikTok's: the shop's other stock systems, served here so a host needs no other address.
        const after = Number(query.after ?? 0);
        return send(res, 200, { code: 0, message: 'Success', data: { counts: counts.since(after) } });
      }
      const shipping = /^\/fulfillment\/202309\/orders\/([^/]+)\/shipping_info\/update$/.exec(url.pathname);
      if (req.method === 'POST' && shipping) {
        // The seller reports tracking; the fake shop's carrier drives the statuses itself.
        const known = shop.orders.has(decodeURIComponent(shipping[1]!));
        return known
          ? send(res, 200, { code: 0, message: 'Success', data: {} })
          : send(res, 200, { code: 21011001, message: 'Order not found' });
      }
      return send(res, 404, { code: 40006, message: `No mock for ${req.method} ${url.pathname}` });
    })().catch((err: unknown) => send(res, 500, { code: 1, message: String(err) }));
  };
}

/**
 * Serve the mock API on `port` (0 = any free port).
 *
 * @example
 * ```ts
 * const { server, url } = await serveOpenApi(shop, appSecret, 3100);
 * ```
 */
export async function serveOpenApi(
  shop: FakeShop,
  appSecret: string,
  port: number,
  host = '127.0.0.1',
  counts?: StockCounts,
): Promise<{ server: Server; url: string }> {
  const server = createServer(openApiHandler(shop, appSecret, counts));
  return { server, url: await listen(server, port, host) };
}
