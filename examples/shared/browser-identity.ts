/**
 * Anonymous per-browser identities for open-access mode: a random id in a
 * signed, HttpOnly cookie. Each browser is its own realtime user, so the
 * hub's per-user connection limit applies per browser — one tab with many
 * subscriptions cannot lock every other visitor out, as it did when all of
 * them shared one demo user. The signature (HMAC-SHA256 with the
 * deployment's session secret) lets every host of the deployment accept the
 * cookie and stops a client from choosing someone else's id.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Name of the cookie. */
export const BROWSER_COOKIE = 'cf_browser';

/** A year: a browser keeps its identity across visits. */
const MAX_AGE_S = 365 * 24 * 3600;

/**
 * Issues and checks browser ids.
 *
 * @example
 * ```ts
 * const ids = new BrowserIdentities(secret);
 * const fresh = ids.mint();            // res.setHeader('set-cookie', fresh.setCookie)
 * ids.read(req);                       // the id of a valid cookie, else undefined
 * ```
 */
export class BrowserIdentities {
  readonly #secret: string;
  /** Ids minted for a request that had none, until the cookie comes back on the next one. */
  readonly #minted = new WeakMap<IncomingMessage, string>();

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('the session secret is too short');
    this.#secret = secret;
  }

  /** The id carried by a validly signed cookie, or the one minted for this request. */
  read(req: IncomingMessage): string | undefined {
    const minted = this.#minted.get(req);
    if (minted !== undefined) return minted;
    const value = cookieValue(req.headers.cookie, BROWSER_COOKIE);
    if (value === undefined) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const id = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.#sign(id));
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  /** A new random id and the `Set-Cookie` value that carries it. */
  mint(): { id: string; setCookie: string } {
    const id = randomBytes(16).toString('base64url');
    const setCookie = `${BROWSER_COOKIE}=${id}.${this.#sign(id)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${MAX_AGE_S}`;
    return { id, setCookie };
  }

  /**
   * Give a request without a valid cookie an id (remembered for this request
   * only) and return the `Set-Cookie` value to send; undefined when it has one.
   */
  ensure(req: IncomingMessage): string | undefined {
    if (this.read(req) !== undefined) return undefined;
    const { id, setCookie } = this.mint();
    this.#minted.set(req, id);
    return setCookie;
  }

  #sign(id: string): string {
    return createHmac('sha256', this.#secret).update(`browser:${id}`).digest('base64url');
  }
}

/**
 * One cookie's value from a `Cookie` header.
 *
 * @example
 * ```ts
 * cookieValue('a=1; cf_browser=x.y', 'cf_browser') // 'x.y'
 * ```
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
