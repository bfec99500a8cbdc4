export * from './order-fulfillment-saga.js';
