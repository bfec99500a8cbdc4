/**
 * A projection declared with `channel` is streamed by the engine without a
 * separate channel definition: the channel takes the table's name and key.
 */
import { firstValueFrom, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSyncEngine } from '../../src/engine.js';
import { defineProjection } from '../../src/processing/projection/definition.js';
import { pgliteEngine } from '../support/databases.js';

const visits = defineProjection<{ page: string; site: string; visits: number }>({
  name: 'page_visits',
  key: ['page'],
  migrations: ['CREATE TABLE :TABLE: (page text PRIMARY KEY, site text NOT NULL, visits int NOT NULL)'],
  handlers: {
    'page.visited': {
      key: (e) => ({ page: (e.data as { page: string }).page }),
      apply: (row) => ({ site: 's1', visits: (row?.visits ?? 0) + 1 }),
    },
  },
  channel: {
    tenantColumn: 'site',
    filterableColumns: ['visits'],
    throttleMs: 0,
    columnTypes: { visits: 'integer' },
  },
});

describe('a projection with a channel', () => {
  it('is served by the engine under its table name, keyed by its key', async () => {
    const db = await pgliteEngine.open();
    const engine = createSyncEngine({ sql: db.sql, schema: db.schema, projections: [visits] });
    try {
      await engine.start();
      const channel = engine.hub.channels.get('page_visits');
      expect(channel?.keyColumns).toEqual(['page']);
      expect(channel?.tenantColumn).toBe('site');
      expect(channel?.filterableColumns).toEqual(expect.arrayContaining(['visits', 'site', 'page']));

      const messages = engine.hub.messages(
        { channel: 'page_visits', filter: 'visits=gte.2' },
        { userId: 'u1', tenantIds: ['s1'] },
      );
      const twice = firstValueFrom(
        messages.pipe(
          filter((e) => (e.deltas ?? []).some(([, key, f]) => key.page === 'home' && f.visits === 2)),
        ),
      );
      await engine.store.append('p-1', [{ type: 'page.visited', data: { page: 'home' } }]);
      await engine.store.append('p-2', [{ type: 'page.visited', data: { page: 'home' } }]);
      await expect(twice).resolves.toMatchObject({ type: 'data', channel: 'page_visits' });
      // The column type is checked at subscribe time, as on any channel.
      await expect(
        firstValueFrom(
          engine.hub.messages(
            { channel: 'page_visits', filter: 'visits=gte.abc' },
            { userId: 'u1', tenantIds: ['s1'] },
          ),
        ),
      ).rejects.toMatchObject({ code: 'INVALID_FILTER' });
    } finally {
      await engine.close();
      await db.close();
    }
  }, 120_000);

  it('refuses a malformed channel when the projection is defined', () => {
    expect(() =>
      defineProjection({ ...visits, handlers: {}, channel: { tenantColumn: 'Not An Identifier' } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
