/**
 * The commerce receivers and the TikTok client check their options as every
 * factory of the library does (`parseOptions`): a bad option is an
 * `InvalidOptionsError` (`INVALID_OPTIONS`) naming the factory and each bad
 * field, never a raw schema error.
 */
import { describe, expect, it } from 'vitest';
import { createShippingWebhookHandler } from '../../src/commerce/ingest/shipping/webhook-handler.js';
import { createTikTokShopHttpClient } from '../../src/commerce/ingest/tiktok/shop-client.js';
import { createTikTokWebhookHandler } from '../../src/commerce/ingest/tiktok/webhook-handler.js';
import { InvalidOptionsError } from '../../src/core/errors.js';
import { createEventStore } from '../../src/store/create-event-store.js';

const store = createEventStore();

/** The error `make` throws. */
function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('commerce receiver options', () => {
  it.each([
    [
      'createTikTokWebhookHandler',
      'appSecret',
      () => createTikTokWebhookHandler({ store, appKey: 'key', appSecret: '' }),
    ],
    [
      'createTikTokShopHttpClient',
      'timeoutMs',
      () =>
        createTikTokShopHttpClient({
          appKey: 'key',
          appSecret: 'secret',
          accessToken: 'token',
          timeoutMs: 0,
        }),
    ],
    [
      'createShippingWebhookHandler',
      'providers.shippo.creators',
      () =>
        createShippingWebhookHandler({
          store,
          providers: { shippo: { apiKey: 'a-long-key', secrets: 'whsec_aaaa', creators: [] } },
        }),
    ],
  ])('%s refuses a bad %s with INVALID_OPTIONS', (factory, path, make) => {
    const err = thrown(make);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(err).toMatchObject({ code: 'INVALID_OPTIONS', what: factory });
    expect((err as InvalidOptionsError).issues.map((i) => i.path)).toContain(path);
  });
});
