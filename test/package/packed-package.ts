/**
 * Builds and packs this repository, then lays the tarball out in a consumer's
 * node_modules the way npm would: the package itself plus what its packed
 * package.json declares in `dependencies`, linked from this repository's
 * node_modules. (`npm install --offline` needs registry metadata in the npm
 * cache, which `npm ci` does not put there.) Only declared dependencies are
 * linked, so a types package we forget to declare is missing here too.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The parts of package.json the consumer check reads. */
export interface PackedManifest {
  name: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Runs `npm run build` and `npm pack`, installs the tarball into `consumerDir`, returns its manifest. */
export async function installPackedPackage(consumerDir: string): Promise<PackedManifest> {
  await run('npm', ['run', 'build'], { cwd: REPO_ROOT });
  const packDir = join(consumerDir, '.pack');
  mkdirSync(packDir, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: REPO_ROOT });
  const [packed] = JSON.parse(stdout) as [{ filename: string }];
  await run('tar', ['-xzf', join(packDir, packed.filename), '-C', packDir]);

  const extracted = join(packDir, 'package');
  const manifest = JSON.parse(readFileSync(join(extracted, 'package.json'), 'utf8')) as PackedManifest;
  const modules = join(consumerDir, 'node_modules');
  const target = join(modules, manifest.name);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(extracted, target);
  // Its dependencies, and the optional peers a user of those subpaths installs
  // (PGlite for /pglite, vitest for /testing…).
  for (const dependency of [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]) {
    const link = join(modules, dependency);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules', dependency)), link, 'dir');
  }
  return manifest;
}
