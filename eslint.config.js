// One lint setup for the whole repository (ESLint + typescript-eslint).
// The layering rules below keep Electron inside the thin platform layer and
// the preload, and keep the softphone core free of Node, DOM frameworks and
// server code, so it runs in Electron's main process, in Node and in a page.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronOnlyHere = ['src/main/platform/**', 'src/preload/**'];
const noElectron = {
  name: 'electron',
  message: 'Electron is only imported in src/main/platform and src/preload; pass its APIs in through a port.',
};
const nodeBuiltins = {
  group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'net', 'http', 'http2', 'events'],
  message: 'This layer also runs in a browser page: no Node built-ins.',
};
const focused = ['it', 'test', 'describe'].flatMap((object) => [
  { object, property: 'only', message: 'A focused test hides the rest of the suite.' },
]);

export default tseslint.config(
  {
    ignores: ['dist/**', 'release/**', 'node_modules/**', 'docs/**', 'bench/results/**', 'data/**', 'test-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs', '.ci/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-restricted-properties': ['error', ...focused],
      'no-restricted-imports': ['error', { paths: [noElectron] }],
    },
  },
  {
    files: electronOnlyHere,
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [nodeBuiltins, { group: ['**/core/**', '**/server/**', '**/main/**', '**/renderer/**', 'react', 'socket.io*'], message: 'src/shared depends on nothing but zod.' }],
        },
      ],
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [nodeBuiltins, { group: ['**/server/**', '**/main/**', '**/renderer/**', 'react', 'react-dom'], message: 'The core imports only src/shared and portable libraries.' }],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [nodeBuiltins, { group: ['**/server/**', '**/main/**', '**/preload/**'], message: 'The renderer talks to the host only through the typed contract in src/shared.' }],
        },
      ],
    },
  },
  {
    files: ['src/server/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noElectron], patterns: [{ group: ['**/core/**', '**/main/**', '**/renderer/**', '**/preload/**'], message: 'The server shares only src/shared with clients.' }] },
      ],
    },
  },
  {
    files: ['tests/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Seen only by tsconfig.core.json (the other projects have the real DOM / Node globals).
    files: ['src/core/globals.d.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
);
