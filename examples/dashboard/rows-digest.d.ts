// Types of rows-digest.js (a browser module without a build step) for the TypeScript tests.

/**
 * The rows as one string, independent of row order and of column order.
 *
 * @example
 * ```ts
 * canonicalRows([{ b: 1, a: 2 }]) === canonicalRows([{ a: 2, b: 1 }]); // true
 * ```
 */
export declare function canonicalRows(rows: readonly Record<string, unknown>[]): string;

/**
 * A 53-bit hash of the canonical rows, as 14 hex digits.
 *
 * @example
 * ```ts
 * rowsDigest(table.rows()) === rowsDigest(pageRows); // same rows
 * ```
 */
export declare function rowsDigest(rows: readonly Record<string, unknown>[]): string;
