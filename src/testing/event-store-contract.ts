/**
 * The event store contract: one vitest suite every `EventStore` must pass.
 * The project runs it against the in-memory store, embedded PGlite and real
 * PostgreSQL; a third-party store runs it against its own.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  PayloadTooLargeError,
  StoreClosedError,
  ValidationError,
  createEventStore,
  type AppendResult,
  type EventStore,
  type EventStoreConfig,
  type StoredEvent,
} from '../index.js';
import { waitFor } from './wait-for.js';

/** Opens a store for one test; `config` is merged into the store config. */
export type StoreFactory = (
  config?: Partial<EventStoreConfig>,
) => Promise<{ store: EventStore; close(): Promise<void> }>;

const order = (n: number) => ({ type: 'order.received_from_tiktok', data: { orderId: `o-${n}`, total: n } });

/**
 * Register the event store contract with vitest: expected versions,
 * idempotency keys, event ids stored once, the gapless global log, live
 * subscriptions, validation, partitions and archival, lifecycle.
 *
 * @example
 * ```ts
 * // my-store.test.ts
 * import { eventStoreContract } from '@creatorflow/sync/testing';
 * eventStoreContract('my store', async (config) => ({ store: createMyStore(config), close: async () => {} }));
 * ```
 */
export function eventStoreContract(
  name: string,
  factory: StoreFactory,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`event store contract: ${name}`, () => {
    let store: EventStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await factory());
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
      await close();
    });

    describe('expected versions', () => {
      it('no_stream creates a stream and then refuses', async () => {
        const r = await store.append('s1', [order(1)], { expectedVersion: 'no_stream' });
        expect(r.nextVersion).toBe(1);
        await expect(store.append('s1', [order(2)], { expectedVersion: 'no_stream' })).rejects.toMatchObject({
          code: 'CONCURRENCY_CONFLICT',
          expectedVersion: 'no_stream',
          actualVersion: 1,
        });
      });

      it('a number must equal the current version (0 for a new stream)', async () => {
        await store.append('s1', [order(1), order(2)], { expectedVersion: 0 });
        const r = await store.append('s1', [order(3)], { expectedVersion: 2 });
        expect(r.nextVersion).toBe(3);
        const err = await store.append('s1', [order(4)], { expectedVersion: 2 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ streamId: 's1', expectedVersion: 2, actualVersion: 3 });
        await expect(store.append('s2', [order(1)], { expectedVersion: 1 })).rejects.toMatchObject({
          actualVersion: 0,
        });
      });

      it('stream_exists refuses a missing stream and accepts an existing one', async () => {
        await expect(
          store.append('s1', [order(1)], { expectedVersion: 'stream_exists' }),
        ).rejects.toMatchObject({
          code: 'CONCURRENCY_CONFLICT',
          actualVersion: 0,
        });
        await store.append('s1', [order(1)]);
        const r = await store.append('s1', [order(2)], { expectedVersion: 'stream_exists' });
        expect(r.nextVersion).toBe(2);
      });

      it('any appends whatever the version', async () => {
        await store.append('s1', [order(1)], { expectedVersion: 'any' });
        const r = await store.append('s1', [order(2)], { expectedVersion: 'any' });
        expect(r.nextVersion).toBe(2);
      });

      it('a failed expectation writes nothing', async () => {
        await expect(store.append('s1', [order(1)], { expectedVersion: 'stream_exists' })).rejects.toThrow();
        expect(await store.readStream('s1')).toEqual({ version: 0, events: [] });
        expect((await store.readAll()).events).toHaveLength(0);
      });

      it('of racing creators on no_stream exactly one wins', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) =>
            store.append('race', [order(i)], { expectedVersion: 'no_stream' }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(11);
        for (const r of lost)
          expect(r.reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT', actualVersion: 1 });
        expect((await store.readStream('race')).events).toHaveLength(1);
      });

      it('in one group commit, a conflict fails only its own caller', async () => {
        await store.append('taken', [order(0)]);
        const results = await Promise.allSettled([
          ...Array.from({ length: 10 }, (_, i) =>
            store.append(`free-${i}`, [order(i)], { expectedVersion: 'no_stream' }),
          ),
          store.append('taken', [order(99)], { expectedVersion: 'no_stream' }),
          ...Array.from({ length: 10 }, (_, i) =>
            store.append(`more-${i}`, [order(i)], { expectedVersion: 0 }),
          ),
        ]);
        expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
        expect(results[10]).toMatchObject({ status: 'rejected', reason: { code: 'CONCURRENCY_CONFLICT' } });
        expect((await store.readAll({ limit: 100 })).events).toHaveLength(21);
      });

      it('appends to one stream from many callers chain their versions', async () => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.append('chain', [order(i)], { expectedVersion: 'any' })),
        );
        const { version, events } = await store.readStream('chain');
        expect(version).toBe(20);
        expect(events.map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });
    });

    describe('bad input changes nothing', () => {
      it('refuses an empty append with a clear error', async () => {
        const err = await store.append('s1', []).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect(err).toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('at least one event'),
        });
      });

      it('refuses malformed arguments', async () => {
        await expect(store.append('', [order(1)])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(store.append('s', [order(1)], { expectedVersion: -1 })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(
          store.append('s', [order(1)], { expectedVersion: 'maybe' as never }),
        ).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(store.append('s', [{ type: '', data: {} }])).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(store.append('s', [{ type: 't', data: undefined }])).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(store.append('s', [{ type: 't', data: {}, id: 'not-a-uuid' }])).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(store.append('s', [{ type: 't', data: { big: 1n } }])).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
        expect((await store.readAll()).events).toHaveLength(0);
      });

      it('validates registered payloads with zod and lists the issues', async () => {
        store.registerEventType(
          'inventory.stock_updated',
          z.object({ sku: z.string(), stock: z.number().int().min(0) }),
        );
        const err = await store
          .append('sku-1', [{ type: 'inventory.stock_updated', data: { sku: 1, stock: -3 } }])
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        const issues = (err as ValidationError).issues.map((i) => i.path).sort();
        expect(issues).toEqual(['sku', 'stock']);
        expect(await store.readStream('sku-1')).toEqual({ version: 0, events: [] });
        await store.append('sku-1', [{ type: 'inventory.stock_updated', data: { sku: 'a', stock: 3 } }]);
        expect((await store.readStream('sku-1')).version).toBe(1);
      });

      it('refuses oversized payloads, failing only that caller', async () => {
        const { store: small, close: closeSmall } = await factory({ maxPayloadBytes: 1024 });
        try {
          await small.migrate();
          const results = await Promise.allSettled([
            small.append('a', [order(1)]),
            small.append('b', [{ type: 'blob', data: { text: 'x'.repeat(2000) } }]),
            small.append('c', [order(2)]),
          ]);
          expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
          const reason = (results[1] as PromiseRejectedResult).reason as PayloadTooLargeError;
          expect(reason).toBeInstanceOf(PayloadTooLargeError);
          expect(reason.limitBytes).toBe(1024);
          expect((await small.readStream('b')).version).toBe(0);
        } finally {
          await small.close();
          await closeSmall();
        }
      });

      it('refuses NUL characters PostgreSQL cannot store, failing only that caller', async () => {
        const results = await Promise.allSettled([
          store.append('a', [order(1)]),
          store.append('b', [{ type: 't', data: { s: 'a\u0000b' } }]),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
        expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'VALIDATION_FAILED' });
      });

      it('a strict store refuses unregistered types', async () => {
        const { store: strict, close: closeStrict } = await factory({ strict: true });
        try {
          await strict.migrate();
          await expect(strict.append('s', [order(1)])).rejects.toMatchObject({ code: 'UNKNOWN_EVENT_TYPE' });
          strict.registerEventType(
            'order.received_from_tiktok',
            z.object({ orderId: z.string(), total: z.number() }),
          );
          await expect(strict.append('s', [order(1)])).resolves.toMatchObject({ nextVersion: 1 });
        } finally {
          await strict.close();
          await closeStrict();
        }
      });

      it('a failing inline hook rolls back its append and fails only it', async () => {
        const remove = store.addInlineHook({
          name: 'picky',
          async apply({ events }) {
            if (events.some((e) => (e.data as { total?: number }).total === 13)) throw new Error('unlucky');
          },
        });
        const results = await Promise.allSettled([
          store.append('a', [order(1)]),
          store.append('b', [order(13)]),
        ]);
        remove();
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
        expect((await store.readStream('b')).version).toBe(0);
        // The rolled-back append leaves a hole in the positions, which readers step over.
        await store.append('c', [order(2)]);
        expect((await store.readAll()).events.map((e) => e.aggregateId)).toEqual(['a', 'c']);
      });

      it('an inline hook with eventTypes sees only batches holding one of them', async () => {
        const seen: string[][] = [];
        const remove = store.addInlineHook({
          name: 'typed',
          eventTypes: new Set(['order.cancelled']),
          async apply({ events }) {
            seen.push(events.map((e) => e.type));
          },
        });
        try {
          await store.append('typed-a', [order(1)]);
          await store.append('typed-b', [order(2), { type: 'order.cancelled', data: { orderId: 'o2' } }]);
        } finally {
          remove();
        }
        expect(seen).toEqual([['order.received_from_tiktok', 'order.cancelled']]);
        expect((await store.readStream('typed-a')).version).toBe(1);
      });

      it('failing inline hooks in a large batch fail only their appends, which keep their order', async () => {
        // One flush slot, so the 40 appends are one batch that must be taken apart.
        const { store: serial, close: closeSerial } = await factory({ maxConcurrentFlushes: 1 });
        try {
          await serial.migrate();
          serial.addInlineHook({
            name: 'picky',
            async apply({ events }) {
              if (events.some((e) => (e.data as { total: number }).total % 13 === 0))
                throw new Error('unlucky');
            },
          });
          const totals = Array.from({ length: 40 }, (_, i) => i + 1);
          const results = await Promise.allSettled(totals.map((n) => serial.append('chain', [order(n)])));
          expect(results.map((r) => r.status)).toEqual(
            totals.map((n) => (n % 13 === 0 ? 'rejected' : 'fulfilled')),
          );
          const { events } = await serial.readStream('chain');
          expect(events.map((e) => (e.data as { total: number }).total)).toEqual(
            totals.filter((n) => n % 13 !== 0),
          );
          expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
        } finally {
          await serial.close();
          await closeSerial();
        }
      });
    });

    describe('reading', () => {
      it('stores every field and reads a stream in version order', async () => {
        // Whole milliseconds a day ago: inside the store's default occurredAt window.
        const occurredAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 24 * 3600_000);
        const r = await store.append(
          'order-42',
          [
            {
              type: 'order.received_from_tiktok',
              data: { total: 10 },
              occurredAt,
              metadata: { source: 'tiktok_webhook' },
            },
            { type: 'order.validated', data: { ok: true } },
          ],
          { aggregateType: 'order', metadata: { correlationId: 'c-1', causationId: 'w-1', userId: 'u-1' } },
        );
        expect(r).toMatchObject({ streamId: 'order-42', nextVersion: 2, duplicate: false });
        expect(r.positions).toHaveLength(2);
        const { version, events } = await store.readStream('order-42');
        expect(version).toBe(2);
        expect(events.map((e) => e.globalPosition)).toEqual(r.positions);
        const [first] = events as [StoredEvent, StoredEvent];
        expect(first).toMatchObject({
          aggregateId: 'order-42',
          aggregateType: 'order',
          type: 'order.received_from_tiktok',
          data: { total: 10 },
          metadata: { correlationId: 'c-1', causationId: 'w-1', userId: 'u-1', source: 'tiktok_webhook' },
          version: 1,
        });
        expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(first.occurredAt.toISOString()).toBe(occurredAt.toISOString());
        expect(first.processedAt).toBeInstanceOf(Date);
        const page = await store.readStream('order-42', { fromVersion: 2, maxCount: 5 });
        expect(page.events.map((e) => e.type)).toEqual(['order.validated']);
        expect((await store.readStream('order-42', { maxCount: 1 })).events).toHaveLength(1);
      });

      it('pages through the log with no repeat after the checkpoint moves', async () => {
        for (let i = 0; i < 5; i++) await store.append(`s${i % 2}`, [order(i), order(i + 100)]);
        const seen: StoredEvent[] = [];
        let checkpoint: string | undefined;
        for (;;) {
          const page = await store.readAll({ ...(checkpoint ? { after: checkpoint } : {}), limit: 3 });
          if (page.events.length === 0) {
            expect(page.checkpoint).toBe(checkpoint);
            break;
          }
          seen.push(...page.events);
          checkpoint = page.checkpoint;
        }
        expect(seen).toHaveLength(10);
        expect(new Set(seen.map((e) => e.id)).size).toBe(10);
        expect(seen.map((e) => e.globalPosition)).toEqual(
          [...seen.map((e) => e.globalPosition)].sort((a, b) => a - b),
        );
        expect(await store.headCheckpoint()).toBe(checkpoint);
        expect((await store.readAll({ after: checkpoint! })).events).toHaveLength(0);
      });

      it('committedCheckpoint is the newest committed event, answered again after every append', async () => {
        expect(await store.committedCheckpoint()).toBe(await store.headCheckpoint());
        const first = await store.append('a', [order(1)]);
        expect(await store.committedCheckpoint({ maxAgeMs: 60_000 })).toBe(first.checkpoint);
        // A lag report's read is not served after this store's own commit.
        const second = await store.append('b', [order(2), order(3)]);
        const [exact, recent] = await Promise.all([
          store.committedCheckpoint(),
          store.committedCheckpoint({ maxAgeMs: 60_000 }),
        ]);
        expect([exact, recent]).toEqual([second.checkpoint, second.checkpoint]);
      });

      it('readAll({ tx }) reads the log inside the caller’s transaction (SQL stores)', async (ctx) => {
        const sql = store.sql;
        if (!sql) return ctx.skip(); // the in-memory store has no transactions to join
        for (let i = 0; i < 4; i++) await store.append(`s${i}`, [order(i)]);
        const outside = await store.readAll({ limit: 3 });
        // On a single-connection database a read that ignored `tx` would wait for the transaction forever.
        const inside = await sql.transaction(async (tx) => {
          const first = await store.readAll({ limit: 3, tx });
          const rest = await store.readAll({ after: first.checkpoint, tx });
          return { first, rest };
        });
        expect(inside.first).toEqual(outside);
        expect(inside.rest.events.map((e) => e.data)).toEqual([order(3).data]);
        expect(inside.rest.checkpoint).toBe(await store.headCheckpoint());
      }, 30_000);

      it('subscribe delivers history and then live events, resuming without gap or duplicate', async () => {
        await store.append('a', [order(1), order(2)]);
        const firstTwo = await firstValueFrom(
          store.subscribe({ after: 'start', pollIntervalMs: 50 }).pipe(take(2), toArray()),
        );
        const live = firstValueFrom(
          store.subscribe({ after: firstTwo[1]!.checkpoint, pollIntervalMs: 50 }).pipe(take(3), toArray()),
        );
        await store.append('b', [order(3)]);
        await store.append('c', [order(4), order(5)]);
        const rest = await live;
        expect(rest.map((e) => (e.data as { total: number }).total)).toEqual([3, 4, 5]);
        // 'end' is taken when the subscription starts, which the caller cannot see: append
        // until one arrives instead of sleeping. No history comes, and nothing after it is skipped.
        const fromEnd: number[] = [];
        const subscription = store
          .subscribe({ after: 'end', pollIntervalMs: 50 })
          .subscribe((e) => fromEnd.push((e.data as { total: number }).total));
        let next = 6;
        await waitFor(
          async () => {
            if (fromEnd.length > 0) return true;
            await store.append('d', [order(next++)]);
            return false;
          },
          { what: 'a live event after the end', intervalMs: 50 },
        );
        await store.append('d', [order(next)]);
        await waitFor(() => fromEnd.at(-1) === next, { what: 'the event after it' });
        subscription.unsubscribe();
        expect(fromEnd[0]).toBeGreaterThanOrEqual(6);
        expect(fromEnd).toEqual(Array.from({ length: next - fromEnd[0]! + 1 }, (_, i) => fromEnd[0]! + i));
      });

      it('closing the store completes its live subscriptions, with no read after', async () => {
        const { store: own, close: closeOwn } = await factory();
        await own.migrate();
        await own.append('s-close', [order(1)]);
        const outcome = { events: 0, completed: false, error: null as unknown };
        own.subscribe({ after: 'start', pollIntervalMs: 20 }).subscribe({
          next: () => outcome.events++,
          complete: () => (outcome.completed = true),
          error: (err) => (outcome.error = err),
        });
        await waitFor(() => outcome.events === 1, { what: 'the history' });
        await own.close();
        await waitFor(() => outcome.completed, { what: 'the completion', timeoutMs: 5000 });
        expect(outcome.error).toBeNull();
        await closeOwn();
      });

      it('refuses a malformed checkpoint', async () => {
        await expect(store.readAll({ after: 'yesterday' })).rejects.toThrow(/checkpoint/);
        expect(() => store.subscribe({ after: 'nope' })).toThrow(InvalidArgumentError);
      });
    });

    describe('idempotency', () => {
      it('a repeated key returns the first result and writes nothing', async () => {
        const first = await store.append('s1', [order(1), order(2)], { idempotencyKey: 'tts-1' });
        const again = await store.append('s1', [order(3)], { idempotencyKey: 'tts-1' });
        expect(again).toEqual({ ...first, duplicate: true });
        expect((await store.readStream('s1')).version).toBe(2);
      });

      it('concurrent appends with one key write once', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.append('s1', [order(i)], { idempotencyKey: 'same' })),
        );
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.positions.join(','))).size).toBe(1);
        expect((await store.readAll()).events).toHaveLength(1);
      });

      it('a key whose append failed can be used again', async () => {
        await expect(
          store.append('s1', [order(1)], { idempotencyKey: 'k', expectedVersion: 5 }),
        ).rejects.toThrow();
        const r = await store.append('s1', [order(1)], { idempotencyKey: 'k' });
        expect(r.duplicate).toBe(false);
      });

      it('in one group commit, a key whose first append conflicts goes to the next that succeeds', async () => {
        // One flush slot, so the three queued appends form one batch, decided in order.
        const { store: serial, close: closeSerial } = await factory({ maxConcurrentFlushes: 1 });
        try {
          await serial.migrate();
          await serial.append('held', [order(0)]);
          const [conflicted, written, repeated] = await Promise.allSettled([
            serial.append('held', [order(1)], { idempotencyKey: 'k2', expectedVersion: 'no_stream' }),
            serial.append('held', [order(2), order(3)], { idempotencyKey: 'k2', expectedVersion: 1 }),
            serial.append('held', [order(4)], { idempotencyKey: 'k2' }),
          ]);
          expect(conflicted).toMatchObject({ status: 'rejected', reason: { code: 'CONCURRENCY_CONFLICT' } });
          expect(written).toMatchObject({ status: 'fulfilled', value: { nextVersion: 3, duplicate: false } });
          expect(repeated).toMatchObject({ status: 'fulfilled', value: { nextVersion: 3, duplicate: true } });
          const { version, events } = await serial.readStream('held');
          expect(version).toBe(3);
          expect(events.map((e) => (e.data as { orderId: string }).orderId)).toEqual(['o-0', 'o-2', 'o-3']);
        } finally {
          await serial.close();
          await closeSerial();
        }
      });

      it('in one group commit, a key whose first append conflicts belongs to the stream that writes it', async () => {
        // One flush slot, so the two queued appends form one batch: the first (stream a2)
        // conflicts, the second (stream b2, same key) writes. The key is b2's from then on.
        const { store: serial, close: closeSerial } = await factory({ maxConcurrentFlushes: 1 });
        try {
          await serial.migrate();
          await serial.append('a2', [order(0)]);
          const [conflicted, written] = await Promise.allSettled([
            serial.append('a2', [order(1)], { idempotencyKey: 'k5', expectedVersion: 'no_stream' }),
            serial.append('b2', [order(2)], { idempotencyKey: 'k5' }),
          ]);
          expect(conflicted).toMatchObject({ status: 'rejected', reason: { code: 'CONCURRENCY_CONFLICT' } });
          expect(written).toMatchObject({
            status: 'fulfilled',
            value: { streamId: 'b2', nextVersion: 1, duplicate: false },
          });
          const first = (written as PromiseFulfilledResult<AppendResult>).value;
          // The writer's retry is a duplicate of its own write.
          const again = await serial.append('b2', [order(3)], { idempotencyKey: 'k5' });
          expect(again).toEqual({ ...first, duplicate: true });
          // The conflicting stream's retry is a key reused on another stream.
          const err = await serial
            .append('a2', [order(4)], { idempotencyKey: 'k5' })
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(IdempotencyKeyReusedError);
          expect(err).toMatchObject({ key: 'k5', streamId: 'a2', firstStreamId: 'b2' });
          expect((await serial.readStream('a2')).version).toBe(1);
          expect((await serial.readStream('b2')).version).toBe(1);
        } finally {
          await serial.close();
          await closeSerial();
        }
      });

      it('a stream whose only append conflicted is not left behind', async () => {
        await expect(store.append('ghost', [order(1)], { expectedVersion: 3 })).rejects.toMatchObject({
          code: 'CONCURRENCY_CONFLICT',
          actualVersion: 0,
        });
        expect(await store.readStream('ghost')).toEqual({ version: 0, events: [] });
        await expect(
          store.append('ghost', [order(1)], { expectedVersion: 'stream_exists' }),
        ).rejects.toThrow();
        const r = await store.append('ghost', [order(1)], { expectedVersion: 'no_stream' });
        expect(r.nextVersion).toBe(1);
      });

      it('a key already used on another stream is refused, writing nothing', async () => {
        await store.append('a1', [order(1)], { idempotencyKey: 'cross' });
        const err = await store
          .append('b1', [order(2)], { idempotencyKey: 'cross' })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IdempotencyKeyReusedError);
        expect(err).toMatchObject({
          code: 'IDEMPOTENCY_KEY_REUSED',
          key: 'cross',
          streamId: 'b1',
          firstStreamId: 'a1',
        });
        expect(await store.readStream('b1')).toEqual({ version: 0, events: [] });
      });

      it('in one group commit, a key reused on another stream fails only that caller', async () => {
        const [first, reused, other] = await Promise.allSettled([
          store.append('a1', [order(1)], { idempotencyKey: 'k3' }),
          store.append('b1', [order(2)], { idempotencyKey: 'k3' }),
          store.append('c1', [order(3)]),
        ]);
        expect(first).toMatchObject({ status: 'fulfilled', value: { nextVersion: 1, duplicate: false } });
        expect(reused).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_KEY_REUSED' } });
        expect(other).toMatchObject({ status: 'fulfilled', value: { nextVersion: 1 } });
        expect((await store.readAll()).events.map((e) => e.aggregateId)).toEqual(['a1', 'c1']);
      });
    });

    describe('appendMany', () => {
      const txOf = (r: PromiseSettledResult<AppendResult>) =>
        (r as PromiseFulfilledResult<AppendResult>).value.checkpoint.split(':')[0];

      it('writes several streams in one transaction, each request with its own result', async () => {
        const batches: string[][] = [];
        const remove = store.addInlineHook({
          name: 'sees',
          async apply({ events }) {
            batches.push(events.map((e) => `${e.aggregateId}@${e.version}`));
          },
        });
        await store.append('m-a', [order(0)]);
        batches.length = 0;
        const outcomes = await store.appendMany([
          { streamId: 'm-a', events: [order(1)], options: { expectedVersion: 1, aggregateType: 'order' } },
          { streamId: 'm-b', events: [order(2), order(3)], options: { expectedVersion: 'no_stream' } },
          { streamId: 'm-a', events: [order(4)], options: { expectedVersion: 2 } },
        ]);
        remove();
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
        expect(outcomes).toMatchObject([
          { value: { streamId: 'm-a', nextVersion: 2, duplicate: false } },
          { value: { streamId: 'm-b', nextVersion: 2, duplicate: false } },
          { value: { streamId: 'm-a', nextVersion: 3, duplicate: false } },
        ]);
        // One transaction: one checkpoint transaction for all, one call of the hook with every event.
        expect(new Set(outcomes.map(txOf)).size).toBe(1);
        expect(batches).toEqual([['m-a@2', 'm-b@1', 'm-b@2', 'm-a@3']]);
        const log = (await store.readAll()).events;
        expect(log.map((e) => `${e.aggregateId}@${e.version}`)).toEqual([
          'm-a@1',
          'm-a@2',
          'm-b@1',
          'm-b@2',
          'm-a@3',
        ]);
        expect(log[1]!.aggregateType).toBe('order');
        expect(await store.appendMany([])).toEqual([]);
      });

      it('a conflict, a reused key or a bad argument fails only its own request', async () => {
        await store.append('n-a', [order(0)], { idempotencyKey: 'n-key' });
        const outcomes = await store.appendMany([
          { streamId: 'n-a', events: [order(1)], options: { expectedVersion: 'no_stream' } },
          { streamId: 'n-b', events: [order(2)], options: { idempotencyKey: 'n-key' } },
          { streamId: 'n-a', events: [order(3)], options: { idempotencyKey: 'n-key' } },
          { streamId: 'n-c', events: [] },
          { streamId: 'n-d', events: [order(4)], options: { idempotencyKey: 'n-new' } },
          { streamId: 'n-d', events: [order(5)], options: { idempotencyKey: 'n-new' } },
        ]);
        expect(outcomes.map((o) => o.status)).toEqual([
          'rejected',
          'rejected',
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
        ]);
        expect(outcomes[0]).toMatchObject({ reason: { code: 'CONCURRENCY_CONFLICT', actualVersion: 1 } });
        expect(outcomes[1]).toMatchObject({
          reason: { code: 'IDEMPOTENCY_KEY_REUSED', firstStreamId: 'n-a' },
        });
        expect(outcomes[2]).toMatchObject({ value: { streamId: 'n-a', nextVersion: 1, duplicate: true } });
        expect(outcomes[3]).toMatchObject({ reason: { code: 'INVALID_ARGUMENT' } });
        const written = (outcomes[4] as PromiseFulfilledResult<AppendResult>).value;
        expect(outcomes[5]).toEqual({ status: 'fulfilled', value: { ...written, duplicate: true } });
        expect((await store.readAll()).events.map((e) => e.aggregateId)).toEqual(['n-a', 'n-d']);
      });

      it('a key whose first request conflicts belongs to the request that writes with it', async () => {
        await store.append('o-a', [order(0)]);
        const [conflicted, written] = await store.appendMany([
          { streamId: 'o-a', events: [order(1)], options: { idempotencyKey: 'o-k', expectedVersion: 0 } },
          { streamId: 'o-b', events: [order(2)], options: { idempotencyKey: 'o-k' } },
        ]);
        expect(conflicted).toMatchObject({ status: 'rejected', reason: { code: 'CONCURRENCY_CONFLICT' } });
        expect(written).toMatchObject({ status: 'fulfilled', value: { streamId: 'o-b', nextVersion: 1 } });
        const again = await store.append('o-b', [order(3)], { idempotencyKey: 'o-k' });
        expect(again).toEqual({
          ...(written as PromiseFulfilledResult<AppendResult>).value,
          duplicate: true,
        });
        await expect(store.append('o-a', [order(4)], { idempotencyKey: 'o-k' })).rejects.toMatchObject({
          code: 'IDEMPOTENCY_KEY_REUSED',
          firstStreamId: 'o-b',
        });
      });

      it('when an inline hook fails the transaction, only its request fails', async () => {
        const remove = store.addInlineHook({
          name: 'picky',
          async apply({ events }) {
            if (events.some((e) => (e.data as { total?: number }).total === 13)) throw new Error('unlucky');
          },
        });
        const outcomes = await store.appendMany(
          [1, 2, 13, 4, 5].map((n) => ({ streamId: `p-${n}`, events: [order(n)] })),
        );
        remove();
        expect(outcomes.map((o) => o.status)).toEqual([
          'fulfilled',
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
        ]);
        expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'unlucky' });
        expect((await store.readAll()).events.map((e) => e.aggregateId)).toEqual([
          'p-1',
          'p-2',
          'p-4',
          'p-5',
        ]);
      });

      it('refuses once the store is closed', async () => {
        const { store: closing, close: closeClosing } = await factory();
        try {
          await closing.migrate();
          await closing.close();
          await expect(closing.appendMany([{ streamId: 'x', events: [order(1)] }])).rejects.toBeInstanceOf(
            StoreClosedError,
          );
        } finally {
          await closeClosing();
        }
      });
    });

    describe('event ids', () => {
      const ids = ['0b1f3c52-7a8e-4d0e-9a43-5d7f2c1b9e01', '0b1f3c52-7a8e-4d0e-9a43-5d7f2c1b9e02'];
      const withIds = (n: number) => [
        { ...order(n), id: ids[0]! },
        { ...order(n + 1), id: ids[1]! },
      ];

      it('re-sending an append with the same event ids returns its result and writes nothing', async () => {
        const first = await store.append('s1', withIds(1), { expectedVersion: 'no_stream' });
        // The retry of a caller that never heard back: its expectation no longer holds, its events are there.
        const again = await store.append('s1', withIds(1), { expectedVersion: 'no_stream' });
        expect(again).toEqual({ ...first, duplicate: true });
        const { version, events } = await store.readStream('s1');
        expect(version).toBe(2);
        expect(events.map((e) => e.id)).toEqual(ids);
      });

      it('an event id stored in another stream is refused, failing only that caller', async () => {
        await store.append('s1', withIds(1));
        const [taken, other] = await Promise.allSettled([
          store.append('s2', withIds(1)),
          store.append('s3', [order(9)]),
        ]);
        expect(taken).toMatchObject({
          status: 'rejected',
          reason: { code: 'DUPLICATE_EVENT_ID', streamId: 's2', storedInStreamId: 's1' },
        });
        expect((taken as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
        expect(other).toMatchObject({ status: 'fulfilled', value: { nextVersion: 1 } });
        expect(await store.readStream('s2')).toEqual({ version: 0, events: [] });
      });

      it('an append sharing only some ids with a stored one is refused', async () => {
        await store.append('s1', [{ ...order(1), id: ids[0]! }]);
        await expect(store.append('s1', withIds(1))).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID' });
        expect((await store.readStream('s1')).version).toBe(1);
      });

      it('concurrent appends of the same events write them once', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.append('s1', withIds(1), { expectedVersion: 'any' })),
        );
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => `${r.nextVersion}:${r.positions.join(',')}`)).size).toBe(1);
        const { events } = await store.readAll();
        expect(events.map((e) => e.id)).toEqual(ids);
      });
    });

    describe('occurredAt', () => {
      it('refuses a time far from the store clock, failing only that caller', async () => {
        for (const occurredAt of [new Date('0001-01-01T00:00:00Z'), new Date('1999-06-01T00:00:00Z')]) {
          const err = await store.append('s1', [{ ...order(1), occurredAt }]).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(ValidationError);
          expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
        }
        const ahead = new Date(Date.now() + 3600_000);
        await expect(store.append('s1', [{ ...order(1), occurredAt: ahead }])).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
        expect((await store.readAll()).events).toHaveLength(0);
      });

      it('takes any time when the window is off (history imports)', async () => {
        const { store: open, close: closeOpen } = await factory({ occurredAtWindow: null });
        try {
          await open.migrate();
          const r = await open.append('old', [{ ...order(1), occurredAt: new Date('2001-02-03T00:00:00Z') }]);
          expect(r.nextVersion).toBe(1);
        } finally {
          await open.close();
          await closeOpen();
        }
      });
    });

    describe('partitions and retention', () => {
      // Far-off months on purpose: these stores take any occurredAt.
      beforeEach(async () => {
        await store.close();
        await close();
        ({ store, close } = await factory({ occurredAtWindow: null }));
        await store.migrate();
      });

      it('appends across a month boundary and into a month with no partition yet', async () => {
        const lastSecond = new Date('2031-05-31T23:59:59.999Z');
        const nextMonth = new Date('2031-06-01T00:00:00.000Z');
        await store.append('far', [
          { type: 't', data: { n: 1 }, occurredAt: lastSecond },
          { type: 't', data: { n: 2 }, occurredAt: nextMonth },
        ]);
        await store.append('far', [
          { type: 't', data: { n: 3 }, occurredAt: new Date('2031-09-15T00:00:00Z') },
        ]);
        const { events } = await store.readStream('far');
        expect(events.map((e) => e.occurredAt.toISOString())).toEqual([
          lastSecond.toISOString(),
          nextMonth.toISOString(),
          '2031-09-15T00:00:00.000Z',
        ]);
      });

      it('archives whole old months out of the live log, reversibly', async () => {
        await store.append('old', [
          { type: 't', data: { n: 1 }, occurredAt: new Date('2020-01-10T00:00:00Z') },
        ]);
        await store.append('new', [order(2)]);
        const archived = await store.archive({ olderThan: new Date('2021-01-01T00:00:00Z') });
        expect(archived).toContain('2020-01');
        expect((await store.readAll()).events.map((e) => e.aggregateId)).toEqual(['new']);
        expect((await store.readStream('old')).events).toHaveLength(0);
        await store.restoreArchived('2020-01');
        expect((await store.readAll()).events.map((e) => e.aggregateId)).toEqual(['old', 'new']);
        await expect(store.restoreArchived('2020-01')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      });

      it('archive keeps two years by default', async () => {
        await store.append('recent', [order(1)]);
        expect(await store.archive()).toEqual([]);
        expect((await store.readAll()).events).toHaveLength(1);
      });
    });

    describe('lifecycle', () => {
      it('migrate is safe to call again', async () => {
        await store.migrate();
        await store.append('s', [order(1)]);
        await store.migrate();
        expect((await store.readStream('s')).version).toBe(1);
      });

      it('refuses work after close', async () => {
        await store.close();
        await expect(store.append('s', [order(1)])).rejects.toBeInstanceOf(StoreClosedError);
        await expect(store.readAll()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      });

      it('reports no reader lag when nothing is held back', async () => {
        await store.append('s', [order(1)]);
        expect(await store.readerLag()).toEqual({ heldBackEvents: 0, oldestOpenTransactionMs: null });
      });
    });
  });
}

/** The in-memory store as a factory. */
export const memoryFactory: StoreFactory = async (config = {}) => ({
  store: createEventStore(config),
  close: async () => undefined,
});
