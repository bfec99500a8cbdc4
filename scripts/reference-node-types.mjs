#!/usr/bin/env node
// Puts `/// <reference types="node" />` at the top of the declaration entries
// that name Node's types (`node:http`, `Buffer`). TypeScript 7 loads no @types
// by default, so without it a consumer gets TS2591 from our index.d.ts.
// Done after tsup because its bundled rollup-plugin-dts (6.1.1) drops reference
// directives written in .ts sources (it records them under the .d.ts id and
// looks them up under the .ts one). `client` stays free of Node's globals for
// browsers. test/package/consumer-types.test.ts checks every entry on its own.
import { readFileSync, writeFileSync } from 'node:fs';

const NODE_ENTRIES = ['index', 'commerce'];
const DIRECTIVE = '/// <reference types="node" />\n';

for (const entry of NODE_ENTRIES) {
  for (const file of [`dist/${entry}.d.ts`, `dist/${entry}.d.cts`]) {
    const text = readFileSync(file, 'utf8');
    if (!text.startsWith(DIRECTIVE)) writeFileSync(file, DIRECTIVE + text);
  }
}
