/**
 * The pub/sub contract: what the realtime hub relies on from a `PubSub`
 * adapter (in memory, PostgreSQL LISTEN/NOTIFY, Redis, or a third party's).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PubSub } from '../index.js';
import { waitFor } from './wait-for.js';

/** Opens two handles on one broker (as two host processes would), and closes them. */
export type PubSubFactory = () => Promise<{ a: PubSub; b: PubSub; close(): Promise<void> }>;

/**
 * Register the pub/sub contract with vitest: delivery across handles, topic
 * isolation, order from one publisher, several subscribers, unsubscribe.
 *
 * @example
 * ```ts
 * import { pubSubContract } from '@creatorflow/sync/testing';
 * pubSubContract('my broker', async () => {
 *   const a = createMyPubSub(), b = createMyPubSub();
 *   return { a, b, close: async () => { await a.close?.(); await b.close?.(); } };
 * });
 * ```
 */
export function pubSubContract(name: string, factory: PubSubFactory, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip ?? false)(`pub/sub contract: ${name}`, () => {
    let a: PubSub;
    let b: PubSub;
    let close: () => Promise<void>;
    const topic = () => `contract_${Math.random().toString(36).slice(2, 10)}`;

    beforeEach(async () => {
      ({ a, b, close } = await factory());
    });
    afterEach(async () => {
      await close();
    });

    it('delivers a message published on one handle to a subscriber on the other, once active', async () => {
      const t = topic();
      const got: string[] = [];
      await b.subscribe(t, (m) => got.push(m));
      await a.publish(t, 'hello');
      await waitFor(() => got.length === 1, { what: 'the message' });
      expect(got).toEqual(['hello']);
    });

    it('keeps one publisher’s messages in order', async () => {
      const t = topic();
      const got: string[] = [];
      await b.subscribe(t, (m) => got.push(m));
      const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
      for (const m of sent) await a.publish(t, m);
      await waitFor(() => got.length === sent.length, { what: 'all 50 messages' });
      expect(got).toEqual(sent);
    });

    it('isolates topics and reaches every subscriber of a topic', async () => {
      const [t1, t2] = [topic(), topic()];
      const first: string[] = [];
      const second: string[] = [];
      const other: string[] = [];
      await b.subscribe(t1, (m) => first.push(m));
      await a.subscribe(t1, (m) => second.push(m));
      await b.subscribe(t2, (m) => other.push(m));
      await a.publish(t1, 'x');
      await a.publish(t2, 'y');
      await waitFor(() => first.length === 1 && second.length === 1 && other.length === 1, {
        what: 'each subscriber’s message',
      });
      expect([first, second, other]).toEqual([['x'], ['x'], ['y']]);
    });

    it('stops delivering after unsubscribe, and other subscriptions go on', async () => {
      const t = topic();
      const stopped: string[] = [];
      const kept: string[] = [];
      const off = await b.subscribe(t, (m) => stopped.push(m));
      await b.subscribe(t, (m) => kept.push(m));
      await a.publish(t, 'before');
      await waitFor(() => stopped.length === 1 && kept.length === 1, { what: 'the first message' });
      await off();
      await a.publish(t, 'after');
      await a.publish(t, 'marker');
      await waitFor(() => kept.length === 3, { what: 'the later messages on the kept subscription' });
      expect(stopped).toEqual(['before']);
    });

    it('carries any text, including JSON with unicode and newlines', async () => {
      const t = topic();
      const got: string[] = [];
      await b.subscribe(t, (m) => got.push(m));
      const message = JSON.stringify({ text: 'línea 1\nzeile 2 — 価格 ✓', n: 1 });
      await a.publish(t, message);
      await waitFor(() => got.length === 1, { what: 'the message' });
      expect(got[0]).toBe(message);
    });
  });
}
