export {
  ORDER_FULFILLMENT_COMPENSATIONS,
  ORDER_FULFILLMENT_SAGA,
  ORDER_FULFILLMENT_STEPS,
  orderFulfillmentInputSchema,
  orderFulfillmentSaga,
  type OrderFulfillmentDeps,
  type OrderFulfillmentInput,
} from './order-fulfillment-saga.js';
export {
  CANCELLATION_SAGA_SOURCE,
  ORDER_CANCELLATION_SAGA,
  ORDER_CANCELLATION_STEPS,
  orderCancellationInputSchema,
  orderCancellationSaga,
  orderRefundKey,
  refundDue,
  refundOrder,
  type OrderCancellationDeps,
  type OrderCancellationInput,
} from './order-cancellation-saga.js';
