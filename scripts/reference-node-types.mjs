#!/usr/bin/env node
// Puts `/// <reference types="node" />` at the top of the declaration entries
// that name Node's types (`node:http`, `Buffer`). TypeScript 7 loads no @types
// by default, so without it a consumer gets TS2591 from our index.d.ts.
// Done after tsup because its bundled rollup-plugin-dts (6.1.1) drops reference
// directives written in .ts sources (it records them under the .d.ts id and
// looks them up under the .ts one). `client` stays free of Node's globals for
// browsers. test/package/consumer-types.test.ts checks every entry on its own.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const DIRECTIVE = '/// <reference types="node" />\n';
// A declaration file names Node's types when it imports a `node:` module or
// uses one of Node's globals. Every such file gets the directive (entries and
// the shared chunks tsup splits out), so no list can fall behind a new subpath.
const NAMES_NODE = /from ['"]node:|\bBuffer\b|\bNodeJS\./;

for (const name of readdirSync('dist')) {
  if (!/\.d\.c?ts$/.test(name)) continue;
  const file = `dist/${name}`;
  const text = readFileSync(file, 'utf8');
  if (name.startsWith('client.') && NAMES_NODE.test(text)) {
    throw new Error(`${file} names Node's types: the browser client must not`);
  }
  if (NAMES_NODE.test(text) && !text.startsWith(DIRECTIVE)) writeFileSync(file, DIRECTIVE + text);
}
