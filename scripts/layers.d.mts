// Types of scripts/layers.mjs for the TypeScript tests that import it.

/** The generic parts the wiring layers (engine, root entry, monitoring, commerce) build on. */
export declare const GENERIC: readonly string[];
/** Part of src/ → the parts it may import (besides itself), lowest layer first. */
export declare const LAYERS: Readonly<Record<string, readonly string[]>>;
/** Deepest folder nesting below a part that the rules cover. */
export declare const MAX_DEPTH: number;
/** The `no-restricted-imports` options of a file of `part`, `depth` folders below src/. */
export declare function restrictedImports(
  part: string,
  depth: number,
): { paths: string[]; patterns: ({ group: string[] } | { regex: string })[] };
/** One flat-config entry per part and nesting depth. */
export declare function layerConfigs(): { files: string[]; rules: Record<string, unknown> }[];
