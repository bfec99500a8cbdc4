/**
 * `@creatorflow/sync/testing`: the contract suites of the library's ports, as
 * vitest suites. The project runs each against its own adapters (memory,
 * PGlite, PostgreSQL, Redis); a third-party adapter runs the same suite to
 * show it fits. Needs `vitest` (an optional peer dependency).
 */
export { eventStoreContract, memoryFactory, type StoreFactory } from './event-store-contract.js';
export { processingStateContract, type ProcessingStateFactory } from './processing-state-contract.js';
export { pubSubContract, type PubSubFactory } from './pubsub-contract.js';
export { sagaStoreContract, type SagaStoreFactory } from './saga-store-contract.js';
export { rateLimiterContract, type RateLimiterFactory } from './rate-limiter-contract.js';
export { waitFor } from './wait-for.js';
