/**
 * The root entry is the generic engine's public API and nothing more: fewer
 * than 250 runtime names, no internals, and no module of the commerce domain
 * (which lives behind `@creatorflow/sync/commerce`) anywhere in its import graph.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import * as commerce from '../../src/commerce/index.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every source file `entry` loads, following relative imports and re-exports (types too). */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName.replace(/\.js$/, '.ts'));
      if (!existsSync(target)) throw new Error(`${file} imports ${fileName}, which does not exist`);
      pending.push(target);
    }
  }
  return seen;
}

describe('the root entry', () => {
  it('exports fewer than 250 runtime names', () => {
    expect(Object.keys(root).length).toBeGreaterThan(100);
    expect(Object.keys(root).length).toBeLessThan(250);
  });

  it('keeps internals internal', () => {
    for (const name of [
      'acquireLease',
      'claimCheckpoint',
      'SubscriberIndex',
      'LeaseKeeper',
      'applyProjectionBatch',
    ]) {
      expect(root).not.toHaveProperty(name);
    }
    for (const name of [
      'createSyncEngine',
      'createEventStore',
      'createProjection',
      'defineSaga',
      'createRealtimeHub',
    ]) {
      expect(root).toHaveProperty(name);
    }
  });

  it('shares no name with the commerce entry and offers none of its names', () => {
    const shared = Object.keys(commerce).filter((name) => name in root);
    expect(shared).toEqual([]);
    for (const name of [
      'createCommerce',
      'COMMERCE_CHANNELS',
      'createTikTokWebhookHandler',
      'commerceEngineConfig',
    ]) {
      expect(root).not.toHaveProperty(name);
      expect(commerce).toHaveProperty(name);
    }
  });

  it('loads no module of the commerce domain', () => {
    const graph = importGraph(resolve(SRC, 'index.ts'));
    expect(graph.size).toBeGreaterThan(50);
    const domain = [...graph].filter((file) => file.startsWith(resolve(SRC, 'commerce') + '/'));
    expect(domain).toEqual([]);
  });

  it('and every barrel, commerce included, lists its names (no `export *`)', () => {
    const star = /^export (?:type )?\* from .*$/gm;
    const found = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.split(sep).join('/'))
      .flatMap((f) =>
        [...readFileSync(resolve(SRC, f), 'utf8').matchAll(star)].map(([line]) => `${f}: ${line}`),
      );
    expect(found).toEqual([]);
  });

  it('the graph walker does see commerce from the commerce entry', () => {
    const graph = importGraph(resolve(SRC, 'commerce/index.ts'));
    expect([...graph].some((file) => file.endsWith('commerce/create-commerce.ts'))).toBe(true);
  });
});
