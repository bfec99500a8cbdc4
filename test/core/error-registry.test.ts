/**
 * The error-code registry is complete and true to the source: every code the
 * source throws or answers with is registered, every registered code follows
 * the naming rule and names an exported subclass of SyncError that carries
 * it, and each module's own code list is the registry's view of it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import * as cache from '../../src/cache/index.js';
import * as commerce from '../../src/commerce/index.js';
import * as http from '../../src/http/index.js';
import * as monitoring from '../../src/monitoring/index.js';
import * as access from '../../src/access/public-entry.js';
import * as pg from '../../src/adapters/pg.js';
import * as conflicts from '../../src/conflicts/public-entry.js';
import * as errors from '../../src/core/errors-entry.js';
import * as ingest from '../../src/ingest/public-entry.js';
import * as processing from '../../src/processing/public-entry.js';
import * as realtime from '../../src/realtime/public-entry.js';
import * as sagas from '../../src/sagas/public-entry.js';
import * as scheduling from '../../src/scheduling/public-entry.js';
import { ERROR_CODE_PATTERN, ERROR_REGISTRY, errorCodesOf } from '../../src/core/error-codes.js';
import { SyncError } from '../../src/core/errors.js';
import { COMMERCE_ERROR_REGISTRY } from '../../src/commerce/error-codes.js';
import { TIKTOK_API_ERROR_CODES } from '../../src/commerce/ingest/tiktok/api-error.js';
import { CONFLICT_ERROR_CODES } from '../../src/conflicts/errors.js';
import { INGEST_ERROR_CODES, INGEST_ERROR_STATUS } from '../../src/ingest/errors.js';
import { RUNTIME_ERROR_CODES } from '../../src/runtime/errors.js';
import { SAGA_ERROR_CODES } from '../../src/sagas/errors.js';

const SRC = join(import.meta.dirname, '../../src');
const REGISTRY: Record<string, { module: string; status: number; error: string }> = {
  ...ERROR_REGISTRY,
  ...COMMERCE_ERROR_REGISTRY,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// The client reports the server's codes and the contract suites are test helpers: neither throws its own.
const FILES = sourceFiles(SRC).filter((f) => !/\/src\/(client|testing)\//.test(f));
const TEXT = new Map(FILES.map((f) => [relative(SRC, f), readFileSync(f, 'utf8')]));

const CODE = `'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'`;
/** Where a code literal is raised: a constructor's first argument, a problem's `code`, a code union of a constructor. */
const RAISED = [
  new RegExp(`\\bsuper\\(\\s*${CODE}`, 'g'),
  new RegExp(`\\bnew [A-Z]\\w*Error\\(\\s*${CODE}`, 'g'),
  new RegExp(`problemResponse\\(\\{[^}]*?\\bcode: ${CODE}`, 'g'),
  new RegExp(`\\bfailed\\(\\s*(?:[^)]*\\? )?${CODE}`, 'g'),
];

function raisedCodes(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [file, text] of TEXT) {
    const codes = RAISED.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
    // A constructor typed with a union of codes: `constructor(code: 'A' | 'B', …)`.
    for (const m of text.matchAll(/constructor\(\s*code: ([^,]+),/g)) {
      codes.push(...[...m[1]!.matchAll(new RegExp(CODE, 'g'))].map((c) => c[1]!));
    }
    for (const code of codes) found.set(code, [...(found.get(code) ?? []), file]);
  }
  return found;
}

const EXPORTED = new Map<string, unknown>(
  [
    root,
    cache,
    commerce,
    http,
    monitoring,
    access,
    pg,
    conflicts,
    errors,
    ingest,
    processing,
    realtime,
    sagas,
    scheduling,
  ].flatMap((m) => Object.entries(m)),
);

describe('the error-code registry', () => {
  it('registers every code the source raises or answers with', () => {
    const raised = raisedCodes();
    expect(raised.size).toBeGreaterThan(60); // the scan sees the source
    const missing = [...raised]
      .filter(([code]) => !(code in REGISTRY))
      .map(([c, f]) => `${c} (${f.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('follows the naming rule, and the domain adds codes without redefining one', () => {
    for (const code of Object.keys(REGISTRY)) expect(code).toMatch(ERROR_CODE_PATTERN);
    const shared = Object.keys(COMMERCE_ERROR_REGISTRY).filter((c) => c in ERROR_REGISTRY);
    expect(shared).toEqual([]);
    for (const info of Object.values(REGISTRY)) {
      expect(Number.isInteger(info.status) && info.status >= 400 && info.status < 600).toBe(true);
    }
  });

  it('names, for every code, an exported subclass of SyncError that carries it', () => {
    const problems: string[] = [];
    for (const [code, info] of Object.entries(REGISTRY)) {
      const cls = EXPORTED.get(info.error) as { prototype: unknown } | undefined;
      if (typeof cls !== 'function') problems.push(`${code}: ${info.error} is not exported`);
      else if (!(cls.prototype instanceof SyncError))
        problems.push(`${code}: ${info.error} is not a SyncError`);
      const file = [...TEXT].find(([, text]) => new RegExp(`\\bclass ${info.error}\\b`).test(text));
      if (!file) {
        problems.push(`${code}: no class ${info.error} in src`);
        continue;
      }
      const [, text] = file;
      // The class's file names the code, or types its codes as the module's registry view.
      const carries =
        text.includes(`'${code}'`) ||
        text.includes(`ErrorCodeOf<'${info.module}'>`) ||
        text.includes(`errorCodesOf('${info.module}')`) ||
        (info.module === 'commerce' && text.includes('TIKTOK_API_ERROR_CODES'));
      if (!carries) problems.push(`${code}: ${info.error} does not carry it`);
    }
    expect(problems).toEqual([]);
  });

  it('gives a problem the status of its code wherever a status is written by hand', () => {
    for (const [file, text] of TEXT) {
      for (const m of text.matchAll(
        new RegExp(`problemResponse\\(\\{\\s*status: (\\d+),\\s*code: ${CODE}`, 'g'),
      )) {
        expect(`${file} ${m[2]} ${m[1]}`).toBe(`${file} ${m[2]} ${REGISTRY[m[2]!]?.status}`);
      }
    }
  });

  it('maps a caught error to HTTP only through problemOf, never by a status written next to its code', () => {
    const byHand = /problemResponse\(\{\s*status: \d+,\s*code: (?!')/;
    expect([...TEXT].filter(([, text]) => byHand.test(text)).map(([file]) => file)).toEqual([]);
    expect(byHand.test('problemResponse({ status: 409, code: err.code, message: err.message })')).toBe(true);
    expect(byHand.test("problemResponse({ status: 400, code: 'MALFORMED_JSON', message: 'x' })")).toBe(false);
  });

  it("is the source of each module's own code list", () => {
    expect([...RUNTIME_ERROR_CODES]).toEqual(errorCodesOf('runtime'));
    expect([...SAGA_ERROR_CODES]).toEqual(errorCodesOf('sagas'));
    expect([...CONFLICT_ERROR_CODES]).toEqual(errorCodesOf('conflicts'));
    expect(new Set(INGEST_ERROR_CODES)).toEqual(new Set([...errorCodesOf('ingest'), 'PAYLOAD_TOO_LARGE']));
    for (const code of INGEST_ERROR_CODES) expect(INGEST_ERROR_STATUS[code]).toBe(REGISTRY[code]!.status);
    expect([...TIKTOK_API_ERROR_CODES].sort()).toEqual(
      Object.keys(COMMERCE_ERROR_REGISTRY)
        .filter((c) => c.startsWith('TIKTOK_'))
        .sort(),
    );
  });

  it('is listed code by code, with its status and class, in docs/errors.md', () => {
    const doc = readFileSync(join(SRC, '../docs/errors.md'), 'utf8');
    const missing = Object.entries(REGISTRY).filter(
      ([code, info]) => !doc.includes(`| \`${code}\` | ${info.status} | \`${info.error}\` |`),
    );
    expect(missing.map(([code]) => code)).toEqual([]);
  });

  it('has an isXError guard for the errors callers branch on', () => {
    const guarded = [
      'isSyncError',
      'isConcurrencyError',
      'isValidationError',
      'isInvalidOptionsError',
      'isRetryableStoreError',
      'isLeaseLostError',
      'isCheckpointMovedError',
      'isProcessorDeadLetteredError',
      'isProcessorWaitTimeoutError',
      'isTerminalError',
      'isSagaDefinitionError',
      'isSagaLeaseLostError',
      'isConflictError',
      'isIngestError',
      'isHttpError',
      'isPubSubMessageError',
    ];
    for (const name of guarded) expect(typeof EXPORTED.get(name), name).toBe('function');
  });

  it('throws a plain Error, TypeError or RangeError only where docs/errors.md says why', () => {
    const doc = readFileSync(join(SRC, '../docs/errors.md'), 'utf8');
    const section = doc.split('## Plain errors left in the source')[1]!.split('\n## ')[0]!;
    const named = [...section.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/^src\//, ''));
    const plain = /^(?!\s*(?:\*|\/\/)).*(?:throw|reject\()\s*new (?:Error|TypeError|RangeError)\(/m;
    const unexplained = sourceFiles(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => plain.test(readFileSync(join(SRC, f), 'utf8')))
      .filter((f) => !named.some((n) => f === n || f.startsWith(`${n}/`)));
    expect(unexplained).toEqual([]);
  });
});
