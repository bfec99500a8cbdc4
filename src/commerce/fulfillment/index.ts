export * from './order-fulfillment-saga.js';
export * from './order-cancellation-saga.js';
