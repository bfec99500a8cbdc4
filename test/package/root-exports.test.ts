/**
 * The root entry is the generic engine's public API and nothing more: fewer
 * than 250 names (types included), no internals, and no module of the commerce
 * domain (which lives behind `@creatorflow/sync/commerce`) anywhere in its
 * import graph. The specialised groups live behind their own subpaths, and
 * every name they held in the root is still public through one of them.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import * as commerce from '../../src/commerce/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = resolve(ROOT, 'src');

/** Each public entry's source file, keyed by its subpath (`.` for the root), as tsup builds them. */
function publicEntries(): Map<string, string> {
  const tsup = readFileSync(resolve(ROOT, 'tsup.config.ts'), 'utf8');
  const entries = new Map<string, string>();
  for (const m of tsup.matchAll(/^\s+([\w-]+): '(src\/[^']+\.ts)'/gm)) {
    entries.set(m[1] === 'index' ? '.' : `./${m[1]!}`, resolve(ROOT, m[2]!));
  }
  return entries;
}

/** The names (values and types) each entry exports, read by the TypeScript checker. */
function exportedNames(files: readonly string[]): Map<string, Set<string>> {
  const program = ts.createProgram([...files], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const names = new Map<string, Set<string>>();
  for (const file of files) {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    names.set(file, new Set(checker.getExportsOfModule(symbol).map((s) => s.name)));
  }
  return names;
}

const entries = publicEntries();
const names = exportedNames([...entries.values()]);
const rootNames = names.get(entries.get('.')!)!;

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
  it('exports fewer than 250 names, types included', () => {
    expect(Object.keys(root).length).toBeGreaterThan(50);
    expect(rootNames.size).toBeGreaterThan(100);
    expect(rootNames.size).toBeLessThan(250);
  });

  it('leaves the specialised groups to their subpaths, each name in one entry', () => {
    const moved: Record<string, string[]> = {
      './conflicts': ['ConflictResolver', 'ConflictRecord', 'HybridLogicalClock', 'formatHlc'],
      './access': ['ServiceKeys', 'readScope', 'ADMIN_ROLE', 'AccessDeniedError'],
      './scheduling': ['createScheduler', 'scheduleRoutes', 'ScheduleDefinition'],
      './ingest': ['createIngestHandler', 'createMemoryRateLimiter', 'RateLimiter', 'signStandardWebhook'],
      './http': ['createRouter', 'expressAdapter', 'HttpHandler'],
      './errors': ['ERROR_REGISTRY', 'httpStatusOfCode', 'ErrorCodeInfo'],
      './sagas': ['SagaDefinitionError', 'STEP_PHASES', 'SagaWrite'],
      './realtime': ['decodeEnvelope', 'createRedisPubSub', 'Envelope'],
    };
    for (const [subpath, list] of Object.entries(moved)) {
      const exported = names.get(entries.get(subpath)!)!;
      for (const name of list) {
        expect(exported, `${subpath} exports ${name}`).toContain(name);
        expect(rootNames, `the root leaves ${name} to ${subpath}`).not.toContain(name);
      }
    }
    // A name in the root is in no other generic entry (`/testing` and `/commerce` build on the root).
    const generic = [...entries].filter(([subpath]) => !['.', './testing', './commerce'].includes(subpath));
    const duplicated = generic.flatMap(([subpath, file]) =>
      [...names.get(file)!].filter((name) => rootNames.has(name)).map((name) => `${subpath}: ${name}`),
    );
    expect(duplicated).toEqual([]);
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
