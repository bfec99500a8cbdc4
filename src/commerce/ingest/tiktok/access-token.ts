/**
 * The access token of the TikTok Shop client, refreshed through the host when
 * TikTok reports it expired — once for every caller that saw it expire.
 */

/**
 * Where the client's token comes from.
 *
 * @example
 * ```ts
 * const client = createTikTokShopHttpClient({
 *   appKey, appSecret, shopCipher: 'GCP_abc',
 *   accessToken: () => tokens.current(shopId),
 *   refreshAccessToken: async (expired) => tokens.refresh(shopId, expired), // persists the new pair
 * });
 * ```
 */
export interface AccessTokenOptions {
  /** The seller's access token, or a function returning the current one. */
  accessToken: string | (() => string | Promise<string>);
  /**
   * Called when TikTok answers that the token expired (code 105002), with that
   * token; returns a fresh one (e.g. from the host's refresh-token flow, which
   * it should also persist). Without it an expired token fails the call.
   */
  refreshAccessToken?: (expired: string) => Promise<string>;
}

/** The token source of one client. */
export interface AccessTokens {
  /** The token to send now. */
  current(): Promise<string>;
  /**
   * A token to retry with after `expired` was refused: the one a concurrent
   * refresh already obtained, or a new one from the host's hook (one call
   * however many requests saw `expired`). Undefined without a hook.
   */
  renew(expired: string): Promise<string | undefined>;
}

/**
 * Create the token source.
 *
 * @example
 * ```ts
 * const tokens = accessTokens({ accessToken: saved.token, refreshAccessToken: (old) => refresh(old) });
 * const token = await tokens.current();
 * ```
 */
export function accessTokens(options: AccessTokenOptions): AccessTokens {
  let refreshed: string | undefined;
  let inFlight: { expired: string; next: Promise<string> } | undefined;
  const current = async (): Promise<string> =>
    refreshed ??
    (typeof options.accessToken === 'function' ? await options.accessToken() : options.accessToken);
  return {
    current,
    async renew(expired) {
      const refresh = options.refreshAccessToken;
      if (!refresh) return undefined;
      // Someone refreshed since this request was sent: use that token.
      if (refreshed !== undefined && refreshed !== expired) return refreshed;
      if (inFlight?.expired !== expired) {
        const next = refresh(expired).then((token) => {
          refreshed = token;
          return token;
        });
        inFlight = { expired, next };
        // A failed refresh may be tried again by the next caller.
        next.catch(() => {
          if (inFlight?.next === next) inFlight = undefined;
        });
      }
      return inFlight.next;
    },
  };
}
