/**
 * The simulator's fake payment and shipping providers over HTTP, through
 * the hosts' HTTP clients of the commerce ports: a repeated idempotency key
 * returns the first result and does not act twice (also when the first
 * answer was lost, and when requests race), a reused key with another
 * request is refused, and the ledger shows what was requested and what acted.
 */
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpPaymentGateway, HttpShippingProvider } from '../../examples/shared/providers/index.js';
import type { LedgerEntry } from '../../examples/simulator/fake-providers/ledger.js';
import {
  serveFakeProviders,
  type FakeProvidersOptions,
} from '../../examples/simulator/fake-providers/provider-service.js';
import { closeServer } from '../../examples/simulator/http-server.js';
import { isSyncError } from '../../src/core/errors.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

async function start(options: FakeProvidersOptions = {}) {
  const service = await serveFakeProviders({
    payment: { latencyMs: 0 },
    shipping: { latencyMs: 0 },
    ...options,
  });
  servers.push(service.server);
  const ledger = async () => (await (await fetch(`${service.url}/ledger`)).json()) as LedgerEntry[];
  return {
    ...service,
    ledger,
    payments: new HttpPaymentGateway({ baseUrl: service.url }),
    shipping: new HttpShippingProvider({ baseUrl: service.url, name: 'shippo' }),
  };
}

const charge = { creatorId: 'c1', orderId: 'o1', amount: 25, currency: 'USD', idempotencyKey: 'charge:o1' };
const codeOf = (err: unknown) => (isSyncError(err) ? err.code : String(err));

describe('fake providers over HTTP', () => {
  it('looks a charge and a label up by the key that made them, null when none was made', async () => {
    const p = await start();
    const lookup = { creatorId: 'c1', orderId: 'o1', idempotencyKey: 'charge:o1' };
    expect(await p.payments.findCharge(lookup)).toBeNull();
    const made = await p.payments.charge(charge);
    expect(await p.payments.findCharge(lookup)).toEqual(made);
    const labelKey = { creatorId: 'c1', orderId: 'o1', idempotencyKey: 'label:o1' };
    expect(await p.shipping.findLabel(labelKey)).toBeNull();
    const label = await p.shipping.createLabel({ ...labelKey, lines: [{ productId: 'p1', quantity: 1 }] });
    expect(await p.shipping.findLabel(labelKey)).toEqual(label);
  });

  it('charges once per idempotency key and returns the first result to a retry', async () => {
    const p = await start();
    const first = await p.payments.charge(charge);
    const again = await p.payments.charge(charge);
    expect(again).toEqual(first);
    expect(await p.ledger()).toEqual([
      expect.objectContaining({
        provider: 'payment',
        operation: 'charge',
        idempotencyKey: 'charge:o1',
        subject: { creatorId: 'c1', orderId: 'o1', amount: 25, currency: 'USD' },
        requested: 2,
        acted: 1,
      }),
    ]);
  });

  it('acts once when requests with one key race', async () => {
    const p = await start({ payment: { latencyMs: 30 } });
    const results = await Promise.all(Array.from({ length: 8 }, () => p.payments.charge(charge)));
    expect(new Set(results.map((r) => r.paymentId)).size).toBe(1);
    expect(await p.ledger()).toMatchObject([{ requested: 8, acted: 1 }]);
  });

  it('refuses a key reused with another request (409 → rejected)', async () => {
    const p = await start();
    await p.payments.charge(charge);
    const err = await p.payments.charge({ ...charge, amount: 30 }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('PROVIDER_REJECTED');
    // The first request under that key acted: the refusal does not prove nothing happened.
    expect(err).toMatchObject({ mayHaveActed: true });
    expect(await p.ledger()).toMatchObject([{ requested: 2, acted: 1 }]);
  });

  it('takes a repeat whose fields come in another order as the same request', async () => {
    const p = await start();
    const lines = [{ productId: 'p1', quantity: 2 }];
    const label = await p.shipping.createLabel({
      creatorId: 'c1',
      orderId: 'o1',
      lines,
      idempotencyKey: 'l:o1',
    });
    // A saga resumed on another host reads its earlier results back from jsonb, keys reordered.
    const reordered = [{ quantity: 2, productId: 'p1' }];
    const again = await p.shipping.createLabel({
      idempotencyKey: 'l:o1',
      lines: reordered,
      orderId: 'o1',
      creatorId: 'c1',
    });
    expect(again).toEqual(label);
    expect(await p.ledger()).toMatchObject([{ requested: 2, acted: 1 }]);
  });

  it('reports a lost answer as retryable; the retry gets the first result without a second charge', async () => {
    const p = await start();
    p.providers.loseNextResponses(1);
    const err = await p.payments.charge(charge).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('PROVIDER_UNAVAILABLE');
    expect(await p.ledger()).toMatchObject([{ requested: 1, acted: 1 }]);
    const retry = await p.payments.charge(charge);
    expect(retry.amount).toBe(25);
    expect(await p.ledger()).toMatchObject([{ requested: 2, acted: 1 }]);
  });

  it('maps injected failures onto the errors the saga branches on', async () => {
    const p = await start({ payment: { latencyMs: 0, failureRate: 1 } });
    expect(codeOf(await p.payments.charge(charge).catch((e: unknown) => e))).toBe('PROVIDER_UNAVAILABLE');
    // Nothing happened, so a retry with the same key may act.
    expect(await p.ledger()).toMatchObject([{ requested: 1, acted: 0 }]);
    const q = await start({ payment: { latencyMs: 0, rejectionRate: 1 } });
    expect(codeOf(await q.payments.charge(charge).catch((e: unknown) => e))).toBe('PROVIDER_REJECTED');
  });

  it('refunds a charge once and refuses an unknown payment', async () => {
    const p = await start();
    const { paymentId } = await p.payments.charge(charge);
    const refund = { ...charge, paymentId, idempotencyKey: 'refund:o1' };
    const a = await p.payments.refund(refund);
    expect(await p.payments.refund(refund)).toEqual(a);
    const unknown = await p.payments
      .refund({ ...refund, paymentId: 'pay_nope', idempotencyKey: 'refund:x' })
      .catch((e: unknown) => e);
    expect(codeOf(unknown)).toBe('PROVIDER_REJECTED');
    const refunds = (await p.ledger()).filter((e) => e.operation === 'refund');
    expect(refunds).toMatchObject([
      { idempotencyKey: 'refund:o1', requested: 2, acted: 1 },
      { idempotencyKey: 'refund:x', requested: 1, acted: 0 },
    ]);
  });

  it('creates and voids labels once per key, under the provider name', async () => {
    const p = await start();
    const request = { creatorId: 'c1', orderId: 'o1', lines: [{ productId: 'p1', quantity: 2 }] };
    const label = await p.shipping.createLabel({ ...request, idempotencyKey: 'label:o1' });
    expect(await p.shipping.createLabel({ ...request, idempotencyKey: 'label:o1' })).toEqual(label);
    expect(label.trackingNumber).toMatch(/^TRK/);
    const cancel = { creatorId: 'c1', orderId: 'o1', labelId: label.labelId, idempotencyKey: 'void:o1' };
    await p.shipping.cancelLabel(cancel);
    await p.shipping.cancelLabel(cancel);
    expect(await p.ledger()).toMatchObject([
      { provider: 'shippo', operation: 'createLabel', requested: 2, acted: 1 },
      { provider: 'shippo', operation: 'cancelLabel', requested: 2, acted: 1 },
    ]);
  });

  it('requires an idempotency key', async () => {
    const p = await start();
    const res = await fetch(`${p.url}/payments/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ creatorId: 'c1', orderId: 'o1', amount: 1, currency: 'USD' }),
    });
    expect(res.status).toBe(400);
    expect(await p.ledger()).toEqual([]);
  });
});
