/**
 * The configuration module the CLI loads: how to reach the store and which
 * projections exist. The host writes it (it owns the pool and its driver).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from '../core/errors.js';
import type { ProjectionDefinition } from '../processing/projection/definition.js';
import type { EventStore } from '../store/types.js';

/** What `creatorflow.config.js` exports (as default or as `config`). */
export interface CliConfig {
  /** The store, or a function opening it. */
  store: EventStore | (() => EventStore | Promise<EventStore>);
  /** The projections the CLI may rebuild. */
  projections: readonly ProjectionDefinition[];
  /** Called when the command is done (close pools). */
  close?: () => Promise<void>;
}

/**
 * Type helper for a config module.
 *
 * @example
 * ```ts
 * // creatorflow.config.js
 * import pg from 'pg';
 * import { createEventStore, defineCliConfig } from '@creatorflow/sync';
 * import { fromPg } from '@creatorflow/sync/pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * export default defineCliConfig({
 *   store: () => createEventStore({ sql: fromPg(pool) }),
 *   projections: [orderTotals],
 *   close: () => pool.end(),
 * });
 * ```
 */
export function defineCliConfig(config: CliConfig): CliConfig {
  return config;
}

/** Config files tried, in order, when `--config` is not given. */
export const DEFAULT_CONFIG_FILES = ['creatorflow.config.js', 'creatorflow.config.mjs'] as const;

/**
 * Import a config module from `path` (or the first default file in `cwd`).
 *
 * @example
 * ```ts
 * const config = await loadCliConfig('./creatorflow.config.js', process.cwd());
 * ```
 */
export async function loadCliConfig(path: string | undefined, cwd: string): Promise<CliConfig> {
  const candidates = path ? [path] : DEFAULT_CONFIG_FILES;
  const file = candidates.map((c) => resolve(cwd, c)).find((c) => existsSync(c));
  if (!file) {
    throw new InvalidArgumentError(
      `no config file found (tried ${candidates.join(', ')}); pass --config <file> exporting { store, projections }`,
    );
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown; config?: unknown };
  const config = (mod.default ?? mod.config) as Partial<CliConfig> | undefined;
  if (!config || !config.store || !Array.isArray(config.projections)) {
    throw new InvalidArgumentError(
      `${file} must export (default or "config") an object { store, projections }`,
    );
  }
  return config as CliConfig;
}
