/**
 * Stores and resolvers for the store-backed conflict tests: the in-memory
 * store plus both SQL engines (PGlite, real PostgreSQL).
 */
import { ConflictResolver, type ConflictResolverOptions } from '../../../src/conflicts/index.js';
import { createEventStore, type EventStore } from '../../../src/store/index.js';
import { sqlEngines, type TestDatabase } from '../../support/databases.js';
import {
  commerceConflictConfig,
  type CommerceConflictConfigInput,
} from '../../../src/commerce/conflicts/commerce-conflict-config.js';

/** A store + resolver under test and how to close them. */
export interface ResolverFixture {
  store: EventStore;
  resolver: ConflictResolver;
  close(): Promise<void>;
}

/** A backend the store-backed suites run on. */
export interface Backend {
  name: string;
  available: boolean;
  open(
    options?: Omit<ConflictResolverOptions, 'store' | 'config'> & { config?: CommerceConflictConfigInput },
  ): Promise<ResolverFixture>;
}

const memory: Backend = {
  name: 'memory',
  available: true,
  async open(options = {}) {
    const store = createEventStore();
    await store.migrate();
    const resolver = new ConflictResolver({
      ...options,
      config: commerceConflictConfig(options.config),
      store,
    });
    await resolver.migrate();
    return { store, resolver, close: () => store.close() };
  },
};

/** The in-memory store and both SQL engines. */
export const backends: readonly Backend[] = [
  memory,
  ...sqlEngines.map((engine): Backend => ({
    name: engine.name,
    get available() {
      return engine.available;
    },
    async open(options = {}) {
      const db: TestDatabase = await engine.open();
      const store = createEventStore({ sql: db.sql, schema: db.schema });
      await store.migrate();
      const resolver = new ConflictResolver({
        ...options,
        config: commerceConflictConfig(options.config),
        store,
      });
      await resolver.migrate();
      return {
        store,
        resolver,
        async close() {
          await store.close();
          await db.close();
        },
      };
    },
  })),
];
