// A short digest of a table's rows, for the page's debug history (plain ES
// module without imports, so the browser test computes the same digest for
// its in-process reference subscriber). The page keeps a digest per message
// instead of a copy of every row: copies of a table of hundreds of rows after
// each of hundreds of messages made the debug state megabytes, and reading
// it over the DevTools protocol took the loaded test machine 27–39 s.

/** The rows as one string, independent of row order and of column order. */
export function canonicalRows(rows) {
  return JSON.stringify(
    rows.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))).sort(),
  );
}

/**
 * A 53-bit hash (cyrb53) of the canonical rows, as 14 hex digits: equal rows,
 * equal digests; a difference shows with near certainty.
 */
export function rowsDigest(rows) {
  const text = canonicalRows(rows);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}
