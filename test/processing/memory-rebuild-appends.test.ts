/**
 * Rebuilds in memory while appends keep coming, one between every two reads
 * of the rows: a projection and a projection set, inline and async, end with
 * every event folded once, and readers never see the tables emptied (the
 * set's inline rebuild lost appends made during its replay before stop 40).
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/row-change.js';
import { createProjection, createProjectionSet, defineProjection } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';

const stock = (name: string, mode: 'inline' | 'async') =>
  defineProjection<{ sku: string; quantity: number } & Row>({
    name,
    mode,
    key: ['sku'],
    migrations: ['CREATE TABLE :TABLE: (sku text PRIMARY KEY, quantity int NOT NULL)'],
    handlers: {
      'item.stocked': {
        key: (e) => ({ sku: (e.data as { sku: string }).sku }),
        apply: (row, e) => ({ quantity: Number(row?.quantity ?? 0) + (e.data as { q: number }).q }),
      },
    },
  });
const stocked = { type: 'item.stocked', data: { sku: 'a', q: 1 } };

describe('rebuilds in memory with appends during the replay', () => {
  for (const kind of ['projection', 'set'] as const) {
    for (const mode of ['inline', 'async'] as const) {
      it(`${kind}, ${mode}: every event folded once, and readers never see the tables emptied`, async () => {
        const store = createEventStore();
        await store.migrate();
        const definition = stock(`mra_${kind}_${mode}`, mode);
        const model =
          kind === 'projection'
            ? createProjection({ store, definition, processor: { pollIntervalMs: 10 } })
            : createProjectionSet({
                store,
                name: `mra_set_${mode}`,
                definitions: [definition],
                mode,
                pollIntervalMs: 10,
              });
        const rows = async () =>
          kind === 'projection'
            ? await (model as ReturnType<typeof createProjection>).rows()
            : await (model as ReturnType<typeof createProjectionSet>).unscopedRows(definition.table);
        await model.start();
        try {
          for (let i = 0; i < 40; i++) await store.append(`s-${i}`, [stocked]);
          await model.whenCaughtUp({ timeoutMs: 10_000 });
          const seen: number[] = [];
          const rebuilt = model.rebuild({ batchSize: 2 });
          for (let i = 0; i < 20; i++) {
            seen.push(Number((await rows())[0]?.['quantity'] ?? 0));
            await store.append(`t-${i}`, [stocked]);
          }
          await rebuilt;
          await model.whenCaughtUp({ timeoutMs: 10_000 });
          expect(Math.min(...seen)).toBeGreaterThanOrEqual(40);
          expect(await rows()).toEqual([{ sku: 'a', quantity: 60 }]);
        } finally {
          await model.stop();
          await store.close();
        }
      });
    }
  }
});
