/**
 * When TikTok's total is reported beside a capture (tiktokTotalMatters): the
 * two differ and cross a limit of the order policy on the captured figure,
 * measured as the engine measures (strictly greater, no division).
 */
import { describe, expect, it } from 'vitest';
import { orderReportPolicy } from '../../src/commerce/fulfillment/payment-report.js';
import { tiktokTotalMatters } from '../../src/commerce/fulfillment/tiktok-total-report.js';

describe('tiktokTotalMatters', () => {
  const policy = orderReportPolicy();
  const matters = (captured: number, orderTotal: number, p = policy) =>
    tiktokTotalMatters({ captured, orderTotal }, p);

  it('equal figures never, whatever their size', () => {
    expect(matters(40, 40)).toBe(false);
    expect(matters(1_200, 1_200)).toBe(false);
  });

  it('more than 10 % apart, in percent of TikTok’s total; exactly 10 % is within', () => {
    expect(matters(80, 100)).toBe(true);
    expect(matters(111, 100)).toBe(true);
    expect(matters(90, 100)).toBe(false);
    expect(matters(110, 100)).toBe(false);
    expect(matters(95, 100)).toBe(false);
    // A total of 0 with any capture: no percentage of it is meaningful.
    expect(matters(5, 0)).toBe(true);
  });

  it('either figure over the order value limit when they differ; the refund limit does not count', () => {
    expect(matters(990, 1_050)).toBe(true);
    expect(matters(1_001, 999)).toBe(true);
    expect(matters(999, 1_000)).toBe(false);
    // Over the refund limit ($500) only: no TikTok report.
    expect(matters(590, 600)).toBe(false);
  });

  it("follows the host's thresholds", () => {
    const strict = orderReportPolicy({ thresholds: { amountDiscrepancyPercent: 1, orderValue: 5_000 } });
    expect(matters(95, 100, strict)).toBe(true);
    expect(matters(1_199, 1_200, strict)).toBe(false);
  });
});
