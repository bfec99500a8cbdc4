import { createMemorySagaStore, createSqlSagaStore } from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';
import { sagaStoreContract } from '@creatorflow/sync/testing';

sagaStoreContract('memory', async () => ({ store: createMemorySagaStore(), close: async () => {} }));

for (const engine of sqlEngines) {
  sagaStoreContract(
    engine.name,
    async () => {
      const db = await engine.open();
      return { store: createSqlSagaStore({ sql: db.sql, schema: db.schema }), close: () => db.close() };
    },
    { skip: !engine.available },
  );
}
