/**
 * Commerce errors over HTTP take their status from COMMERCE_ERROR_REGISTRY:
 * the generic mapping alone answers a code it does not know with a 500 that
 * hides the message, which is wrong for a refusal such as too little stock.
 */
import { describe, expect, it } from 'vitest';
import { COMMERCE_ERROR_REGISTRY } from '../../src/commerce/error-codes.js';
import { InsufficientStockError } from '../../src/commerce/errors.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { errorToProblem, problemOf } from '../../src/http/problem.js';

const shortfall = new InsufficientStockError('o-1', [{ productId: 'p1', requested: 3, available: 1 }]);

describe('commerce errors over HTTP', () => {
  it('answer with the commerce registry status, code and message', () => {
    expect(problemOf(shortfall, COMMERCE_ERROR_REGISTRY)).toEqual({
      status: 409,
      code: 'INSUFFICIENT_STOCK',
      message: shortfall.message,
    });
    expect(errorToProblem(shortfall, COMMERCE_ERROR_REGISTRY).status).toBe(409);
  });

  it('without it are a 500 that leaks nothing (a code the generic registry does not know)', () => {
    expect(problemOf(shortfall)).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
  });

  it('leave the generic codes as they were', () => {
    expect(problemOf(new InvalidArgumentError('bad'), COMMERCE_ERROR_REGISTRY)).toMatchObject({
      status: 400,
      code: 'INVALID_ARGUMENT',
    });
  });
});
