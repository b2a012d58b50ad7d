// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'console/dist/', 'test-artifacts/', 'coverage/', '.data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The console: hooks called in the same order every render, with the dependencies they read.
    files: ['console/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // The API's response schemas: the console's typecheck (DOM, no Node types) reads them, so they import no server.
    files: ['src/server/schemas.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@sinclair/typebox$|\\.\\./core/(?!.*\\.\\.))',
              message: 'schemas.ts imports only TypeBox and src/core (the CLI and the console take types from it).',
            },
          ],
        },
      ],
    },
  },
  {
    // The core is pure: no I/O, no clock, no randomness. Enforce what a linter can see.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'net', 'http', 'crypto'],
              message: 'src/core is pure: no I/O.',
            },
            {
              group: ['**/store/**', '**/server/**', '**/engines/**', '**/cli/**'],
              message: 'src/core imports nothing outside core.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'src/core takes time as an argument (injected clock).' },
        { name: 'setTimeout', message: 'src/core has no timers.' },
        { name: 'process', message: 'src/core has no process access.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'src/core is deterministic.' },
      ],
    },
  },
);
