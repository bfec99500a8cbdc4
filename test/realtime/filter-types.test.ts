import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import { COMMERCE_CHANNELS } from '../../src/commerce/channels.js';
import { defineChannels } from '../../src/realtime/channels.js';
import { columnValueProblem } from '../../src/realtime/column-types.js';
import { InvalidFilterError } from '../../src/realtime/errors.js';
import { parseFilter } from '../../src/realtime/filter.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { createSseHandler } from '../../src/realtime/sse.js';
import { type TestDatabase, sqlEngines } from '../support/databases.js';

const channels = defineChannels(COMMERCE_CHANNELS);
const alerts = channels.get('inventory_alerts')!;
const orders = channels.get('order_metrics')!;

describe('filter values are checked against the column type', () => {
  it.each([
    ['inventory_alerts', 'quantity=lt.abc'],
    ['inventory_alerts', 'quantity=in.(1,x)'],
    ['inventory_alerts', 'quantity=eq.1.5'],
    ['inventory_alerts', 'quantity=gt.99999999999'],
    ['order_metrics', 'automation_health_pct=gt.1e400'],
    ['order_metrics', 'automation_health_pct=gt.ninety'],
    ['order_metrics', 'active_orders=gte.'],
  ])('%s: %s is an INVALID_FILTER', (channel, filter) => {
    let caught: unknown;
    try {
      parseFilter(channels.get(channel)!, filter);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidFilterError);
    expect((caught as InvalidFilterError).code).toBe('INVALID_FILTER');
  });

  it('accepts values of the right type, and anything on a text column', () => {
    expect(
      parseFilter(alerts, 'quantity=lt.10 AND quantity=in.(-1,2) AND severity=eq.12abc').conditions,
    ).toHaveLength(3);
    expect(
      parseFilter(orders, 'automation_health_pct=gte.99.5 AND failed_orders=eq.0').conditions,
    ).toHaveLength(2);
  });
});

describe('columnValueProblem', () => {
  it.each([
    ['integer', '-2147483648', true],
    ['integer', '2147483648', false],
    ['bigint', '9223372036854775807', true],
    ['bigint', '9223372036854775808', false],
    ['number', '-1.5e3', true],
    ['number', 'NaN', false],
    ['boolean', 'true', true],
    ['boolean', '1', false],
    ['date', '2026-02-28', true],
    ['date', '2026-13-01', false],
    ['timestamp', '2026-02-28T10:00:00Z', true],
    ['timestamp', 'yesterday', false],
    ['text', "anything ' goes", true],
  ] as const)('%s %s → valid %s', (type, value, valid) => {
    expect(columnValueProblem(type, value) === null).toBe(valid);
  });
});

describe.each(sqlEngines)('a wrongly typed filter value over SSE on $name', (engine) => {
  let db: TestDatabase;
  let base = '';
  let close = async () => {};

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    const s = quoteIdent(db.schema);
    await db.sql.exec(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.inventory_alerts (creator_id text NOT NULL, product_id text NOT NULL,
        alert_type text NOT NULL, status text, severity text, quantity integer,
        PRIMARY KEY (creator_id, product_id, alert_type));`);
    const untyped = {
      ...COMMERCE_CHANNELS.find((c) => c.name === 'inventory_alerts')!,
      name: 'untyped_alerts',
    };
    delete (untyped as { columnTypes?: unknown }).columnTypes;
    await db.sql.exec(`CREATE TABLE ${s}.untyped_alerts (LIKE ${s}.inventory_alerts INCLUDING ALL)`);
    // A column whose type has no comparison operators at all (json has no '=').
    await db.sql.exec(
      `CREATE TABLE ${s}.documents (creator_id text NOT NULL, id text PRIMARY KEY, body json)`,
    );
    const documents = {
      name: 'documents',
      keyColumns: ['id'],
      tenantColumn: 'creator_id',
      filterableColumns: ['body'],
      throttleMs: 0,
    };
    const hub = createRealtimeHub({
      channels: [...COMMERCE_CHANNELS, { ...untyped, table: 'untyped_alerts' }, documents],
      heartbeatMs: 0,
      snapshot: createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '0:0' }),
    });
    const sse = createSseHandler(hub, { authorize: () => ({ userId: 'u1', tenantIds: ['c1'] }) });
    const server = createServer((req, res) => void sse(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    close = async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
  }, 180_000); // booting PGlite takes a minute on a loaded 2-core machine
  afterAll(async () => {
    await close();
    await db?.close();
  });

  it.skipIf(!engine.available)('answers 400 INVALID_FILTER, never a retried 503', async () => {
    const res = await fetch(
      `${base}/?channel=inventory_alerts&filter=${encodeURIComponent('quantity=lt.abc')}`,
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_FILTER');
  });

  it.skipIf(!engine.available)(
    'on a channel that declares no column types, the database’s refusal is still a 400',
    async () => {
      const res = await fetch(
        `${base}/?channel=untyped_alerts&filter=${encodeURIComponent('quantity=lt.abc')}`,
      );
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('INVALID_FILTER');
    },
  );

  it.skipIf(!engine.available)(
    'a filter on a column without comparison operators (json) is a 400, never a retried 503',
    async () => {
      for (const filter of ['body=eq.1', 'body=in.(1,2)', 'body=gt.{}']) {
        const res = await fetch(`${base}/?channel=documents&filter=${encodeURIComponent(filter)}`);
        expect({ filter, status: res.status }).toEqual({ filter, status: 400 });
        expect(((await res.json()) as { code: string }).code).toBe('INVALID_FILTER');
      }
    },
  );
});
