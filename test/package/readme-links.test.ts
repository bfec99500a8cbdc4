/**
 * The README's relative links work for npm users too (issue 12: its `docs/…`
 * links were dead in an installed package): every file it links to is in the
 * packed package, as `npm pack` lists it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/** Relative link targets of a markdown text (no URLs, no in-page anchors). */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!.split('#')[0]!);
  return [...new Set(targets.filter((t) => t !== '' && !/^[a-z]+:/i.test(t)))];
}

describe('README links', () => {
  it('point at files the package ships', { timeout: 120_000 }, async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const shipped = new Set(pack.files.map((f) => f.path));
    const links = relativeLinks(readFileSync(`${ROOT}README.md`, 'utf8'));
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !shipped.has(link))).toEqual([]);
    // Guides only: the generated API reference is built, not shipped.
    expect([...shipped].some((f) => f.startsWith('docs/api/'))).toBe(false);
  });
});
