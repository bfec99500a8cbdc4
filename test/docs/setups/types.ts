/**
 * A setup of the documentation's runnable examples (see `SnippetRun` in
 * ../extract-snippets.ts): it makes host objects an example names without
 * making them (declared in ../snippet-context.d.ts), under those names. The
 * runner assigns `globals` to `globalThis` before the example runs and calls
 * `close` after it. A setup may use what the setups named before it provided
 * (read from `host`).
 */
export type DocSetup = (host: Record<string, unknown>) => Promise<{
  globals: Record<string, unknown>;
  close?: () => Promise<void>;
}>;
