import { memoryProcessingState, sqlProcessingState } from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';
import { processingStateContract } from '@creatorflow/sync/testing';

processingStateContract('memory', async () => ({ state: memoryProcessingState(), close: async () => {} }));

for (const engine of sqlEngines) {
  processingStateContract(
    engine.name,
    async () => {
      const db = await engine.open();
      return { state: sqlProcessingState(db.sql, db.schema), close: () => db.close() };
    },
    { skip: !engine.available },
  );
}
