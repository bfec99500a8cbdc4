/**
 * Errors of the cache module. Reads never fail because of the cache itself:
 * a loader's error reaches the caller unchanged, and only misuse is an error.
 */
import { SyncError } from '../core/errors.js';

/**
 * The cache was read before `start()` or after `stop()`.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof CacheNotStartedError) await cache.start(); }
 * ```
 */
export class CacheNotStartedError extends SyncError {
  constructor() {
    super('CACHE_NOT_STARTED', 'The cache is not started: call start() before reading through it');
  }
}
