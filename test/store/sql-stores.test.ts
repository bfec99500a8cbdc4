import { createEventStore } from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';
import { eventStoreContract } from '@creatorflow/sync/testing';

for (const engine of sqlEngines) {
  eventStoreContract(
    engine.name,
    async (config = {}) => {
      const db = await engine.open();
      return {
        store: createEventStore({ sql: db.sql, schema: db.schema, ...config }),
        close: () => db.close(),
      };
    },
    { skip: !engine.available },
  );
}
