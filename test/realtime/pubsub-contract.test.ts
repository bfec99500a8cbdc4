/**
 * The pub/sub contract (`@creatorflow/sync/testing`) on every adapter: in
 * memory, PostgreSQL LISTEN/NOTIFY on PGlite and a real server, and Redis
 * (two handles with their own connections, as two host processes have).
 */
import { Redis } from 'ioredis';
import { createMemoryPubSub } from '@creatorflow/sync';
import { pubSubContract } from '@creatorflow/sync/testing';
import { createPgPubSub, migrateRealtime } from '../../src/realtime/pg-pubsub.js';
import { createRedisPubSub } from '../../src/realtime/redis-pubsub.js';
import { redisUrl, sqlEngines } from '../support/databases.js';

pubSubContract('memory', async () => {
  const pubsub = createMemoryPubSub();
  return { a: pubsub, b: pubsub, close: async () => undefined };
});

for (const engine of sqlEngines) {
  pubSubContract(
    `PostgreSQL LISTEN/NOTIFY on ${engine.name}`,
    async () => {
      const db = await engine.open();
      await migrateRealtime(db.sql, db.schema);
      const a = createPgPubSub(db.sql, { schema: db.schema });
      const b = createPgPubSub(db.sql, { schema: db.schema });
      return {
        a,
        b,
        async close() {
          await a.close?.();
          await b.close?.();
          await db.close();
        },
      };
    },
    { skip: !engine.available },
  );
}

pubSubContract(
  'Redis',
  async () => {
    const url = redisUrl()!;
    const conns = [new Redis(url), new Redis(url), new Redis(url), new Redis(url)] as const;
    const prefix = `cf_contract_${Math.random().toString(36).slice(2)}:`;
    const a = createRedisPubSub({ publisher: conns[0], subscriber: conns[1], prefix });
    const b = createRedisPubSub({ publisher: conns[2], subscriber: conns[3], prefix });
    return {
      a,
      b,
      async close() {
        await a.close?.();
        await b.close?.();
        for (const c of conns) c.disconnect();
      },
    };
  },
  { skip: !redisUrl() },
);
