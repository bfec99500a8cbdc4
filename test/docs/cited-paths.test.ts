/**
 * The docs cite only files that exist (issue 12: docs/architecture.md cited a
 * design file that is not in the repository). Every path in backticks in
 * README.md and docs/*.md must name a file of the repository — from its root,
 * or from a component folder (`sql/index.generated.ts` inside `src/store`) —
 * or of an installed dependency (`build/index.js` of bentocache); `*` matches
 * within one path segment.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documents } from './extract-snippets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CITED = /`([\w.@-]+(?:\/[\w.@*-]+)+\.(?:md|ts|mts|cts|mjs|js|json|sql|png|svg))`/g;

/** The repository's files (tracked or not ignored), relative to its root. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
  return out.toString().split('\n').filter(Boolean);
}

/** The installed packages' folders, relative to the root (`node_modules/x`, `node_modules/@s/x`). */
function dependencyFolders(): string[] {
  const modules = `${ROOT}node_modules`;
  return readdirSync(modules).flatMap((name) =>
    name.startsWith('@')
      ? readdirSync(`${modules}/${name}`).map((sub) => `node_modules/${name}/${sub}`)
      : [`node_modules/${name}`],
  );
}

function pattern(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`(^|/)${escaped}$`);
}

describe('paths cited in the docs', () => {
  it('name files that exist', () => {
    const files = repositoryFiles();
    const dependencies = dependencyFolders();
    const cited = documents(ROOT).flatMap((doc) =>
      [...readFileSync(`${ROOT}${doc}`, 'utf8').matchAll(CITED)].map((m) => ({ doc, path: m[1]! })),
    );
    expect(cited.length).toBeGreaterThan(50);
    const missing = cited.filter(({ path }) => {
      const re = pattern(path);
      if (files.some((f) => re.test(f))) return false;
      if (path.includes('*')) return true;
      return !dependencies.some((d) => existsSync(`${ROOT}${d}/${path}`));
    });
    expect(missing.map(({ doc, path }) => `${doc}: ${path}`)).toEqual([]);
  });

  it('a path that names nothing is caught', () => {
    expect(pattern('shared/ARCHITECTURE.md').test('docs/architecture.md')).toBe(false);
    expect(pattern('sql/index.generated.ts').test('src/store/sql/index.generated.ts')).toBe(true);
    expect(pattern('src/store/sql/*.sql').test('src/store/sql/0001_event_log.sql')).toBe(true);
  });
});
