/**
 * Every documented PGlite is closed (issue 12: a process running the README's
 * snippet hung about 10 s after `store.close()`, on PGlite's timer; the store
 * never closes a database it was given). A ```ts block of README.md or docs/
 * that opens PGlite keeps it in a variable and closes it with `.close()`.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repositorySnippets } from './extract-snippets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPENED = /\b(?:const|let)\s+(\w+)\s*=\s*(?:await\s+openPglite\(|new\s+PGlite\()/g;
const INLINE = /(?<![=]\s*(?:await\s+)?)(?:openPglite\(|new\s+PGlite\()/;

/** What is wrong with one block: PGlite opened without a handle, or a handle never closed. */
function unclosedPglite(code: string): string[] {
  const problems: string[] = [];
  for (const line of code.split('\n')) {
    if (INLINE.test(line.replace(/\/\/.*$/, '')))
      problems.push(`opened inline, never closed: ${line.trim()}`);
  }
  for (const [, name] of code.matchAll(OPENED)) {
    if (!new RegExp(`\\b${name!}\\.close\\(\\)`).test(code)) problems.push(`${name!} is never closed`);
  }
  return problems;
}

describe('PGlite in the docs', () => {
  it('the check catches an unclosed or inline database', () => {
    expect(unclosedPglite('const db = await openPglite();\nawait db.close();')).toEqual([]);
    expect(unclosedPglite('const db = await openPglite();')).toEqual(['db is never closed']);
    expect(unclosedPglite('createEventStore({ sql: fromPglite(new PGlite()) });')).toHaveLength(1);
    expect(unclosedPglite("import { openPglite } from '@creatorflow/sync/pglite';")).toEqual([]);
  });

  it('every block that opens PGlite closes it', () => {
    const blocks = repositorySnippets(ROOT).filter((s) => /openPglite\(|new\s+PGlite\(/.test(s.code));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const problems = blocks.flatMap((s) => unclosedPglite(s.code).map((p) => `${s.where}: ${p}`));
    expect(problems).toEqual([]);
  });
});
