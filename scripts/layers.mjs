// The layer table of docs/architecture.md, as data, and the ESLint rules that
// enforce it. Each top-level part of src/ may import only the parts listed
// for it; every listed part sits on an earlier row, so the table is acyclic
// and no import cycle between folders can pass the lint.
// test/package/layers.test.ts lints deliberately forbidden imports with it.

/** The generic parts the wiring layers (engine, root entry, monitoring, commerce) build on. */
export const GENERIC = [
  'core',
  'runtime',
  'access',
  'store',
  'http',
  'processing',
  'conflicts',
  'realtime',
  'ingest',
  'sagas',
  'scheduling',
];

/** Part of src/ → the parts it may import (besides itself), lowest layer first. */
export const LAYERS = {
  core: [],
  runtime: ['core'],
  access: ['core'],
  store: ['core', 'runtime'],
  http: ['core', 'runtime'],
  client: ['core'],
  processing: ['core', 'runtime', 'store'],
  conflicts: ['core', 'runtime', 'store'],
  realtime: ['core', 'runtime', 'access', 'store', 'http'],
  ingest: ['core', 'runtime', 'store', 'http'],
  sagas: ['core', 'runtime', 'store', 'processing'],
  scheduling: ['core', 'runtime', 'access', 'http', 'processing'],
  cache: ['core', 'runtime', 'store', 'realtime'],
  adapters: ['core', 'runtime', 'store', 'processing', 'sagas', 'realtime', 'ingest', 'http'],
  'engine-options.ts': ['core', 'realtime'],
  'engine-admission.ts': ['core', 'runtime', 'processing', 'ingest'],
  'engine-rebuilds.ts': ['core', 'processing', 'realtime'],
  'engine.ts': [...GENERIC, 'engine-options.ts', 'engine-admission.ts', 'engine-rebuilds.ts'],
  cli: ['core', 'runtime', 'store', 'processing', 'sagas'],
  'index.ts': [...GENERIC, 'engine.ts'],
  monitoring: [...GENERIC, 'engine.ts'],
  commerce: [...GENERIC, 'engine.ts', 'cache', 'monitoring'],
  // The contract suites check adapters through the public API.
  testing: ['core', 'store', 'realtime', 'ingest', 'index.ts'],
};

/** Deepest folder nesting below a part that the rules cover (src/commerce/ingest/tiktok/x.ts is 3). */
export const MAX_DEPTH = 6;

const DRIVERS = ['pg', '@electric-sql/pglite', 'ioredis'];
const RXJS_INTERNAL = { group: ['rxjs/internal/*'], message: 'Compose public rxjs operators only.' };

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How an import specifier names a part from a file `depth` folders below src/. */
function specifierOf(part, depth) {
  const up = depth === 0 ? '\\./' : `(?:\\.\\./){${depth}}`;
  const name = part.endsWith('.ts') ? `${escape(part.slice(0, -3))}\\.js$` : `${escape(part)}(?:/|$)`;
  return `^${up}${name}`;
}

/**
 * The rules above read a specifier as written, so it must be written plainly:
 * no `.` or `..` segment after the leading ones (`./../x`, `../a/../b`), and no
 * relative dynamic `import()`, either of which would pass any part unseen.
 */
const UNNORMALISED = {
  regex: '^\\./\\.\\.?/|(?:^|/)[^./][^/]*/\\.\\.?(?:/|$)',
  message: 'Layer rule: write relative imports without ./ or ../ after the first segment.',
};
const DYNAMIC_RELATIVE_IMPORT = [
  {
    selector: "ImportExpression[source.type='Literal'][source.value=/^\\./]",
    message: 'Layer rule: import relative modules statically, so the layer rule sees them.',
  },
  {
    selector: "ImportExpression[source.type='TemplateLiteral']",
    message: 'Layer rule: import relative modules statically, so the layer rule sees them.',
  },
];

/** The `no-restricted-imports` options of a file of `part`, `depth` folders below src/. */
export function restrictedImports(part, depth) {
  const forbidden = Object.keys(LAYERS).filter((p) => p !== part && !LAYERS[part].includes(p));
  const allowed = LAYERS[part].length ? LAYERS[part].join(', ') : 'nothing';
  return {
    // The core talks to ports; drivers live behind subpath adapters only.
    paths: part === 'adapters' ? [] : DRIVERS,
    patterns: [
      RXJS_INTERNAL,
      UNNORMALISED,
      {
        regex: `(?:${forbidden.map((p) => specifierOf(p, depth)).join('|')})`,
        message: `Layer rule (docs/architecture.md): src/${part} may import only ${allowed}.`,
      },
    ],
  };
}

/** One flat-config entry per part and nesting depth. */
export function layerConfigs() {
  const configs = [
    { files: ['src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', ...DYNAMIC_RELATIVE_IMPORT] } },
  ];
  for (const part of Object.keys(LAYERS)) {
    if (part.endsWith('.ts')) {
      configs.push({
        files: [`src/${part}`],
        rules: { 'no-restricted-imports': ['error', restrictedImports(part, 0)] },
      });
      continue;
    }
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      configs.push({
        files: [`src/${part}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: { 'no-restricted-imports': ['error', restrictedImports(part, depth)] },
      });
    }
  }
  return configs;
}
