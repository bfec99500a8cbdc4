export * from './types.js';
export * from './errors.js';
export * from './problem.js';
export * from './router.js';
export * from './node.js';
export * from './express.js';
export * from './fastify.js';
