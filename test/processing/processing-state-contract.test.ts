import { memoryProcessingState, sqlProcessingState } from '../../src/index.js';
import { memoryProjectionStorage, sqlProjectionStorage } from '../../src/processing/index.js';
import { sqlEngines } from '../support/databases.js';
import { processingStateContract } from '@creatorflow/sync/testing';

processingStateContract('memory', async () => ({
  state: memoryProcessingState(),
  projections: (definition) => memoryProjectionStorage(definition),
  close: async () => {},
}));

for (const engine of sqlEngines) {
  processingStateContract(
    engine.name,
    async () => {
      const db = await engine.open();
      return {
        state: sqlProcessingState(db.sql, db.schema),
        projections: (definition) => sqlProjectionStorage(db.sql, db.schema, definition),
        close: () => db.close(),
      };
    },
    { skip: !engine.available },
  );
}
