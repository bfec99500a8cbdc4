import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerConfigs } from './scripts/layers.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**/public/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: ['rxjs/internal/*'] }],
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/adapters/**'],
    rules: {
      // The core talks to ports; drivers live behind subpath adapters only.
      'no-restricted-imports': [
        'error',
        { paths: ['pg', '@electric-sql/pglite', 'ioredis'], patterns: ['rxjs/internal/*'] },
      ],
    },
  },
  // The layer table of docs/architecture.md (these repeat the driver rule above).
  ...layerConfigs(),
);
