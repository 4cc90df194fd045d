// One lint setup for the whole repository (ESLint + typescript-eslint).
// The layering rules below keep Electron inside the thin platform layer and
// the preload, and keep the softphone core free of Node, DOM frameworks and
// server code, so it runs in Electron's main process, in Node and in a page.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The layers (docs/architecture.md, docs/desktop.md). ESLint keeps the last matching
// `no-restricted-imports` setting, so every file under src/ falls into exactly one
// zone below and each zone lists all it forbids. tests/integration/layers.test.ts proves each rule.
const electronPaths = [
  {
    name: 'electron',
    message: 'Electron is only imported in src/main/platform and src/preload; pass its APIs in through a port.',
  },
];
const electron = { group: ['electron/*'], message: electronPaths[0].message };
const builtinPaths = (message) => builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message }));
const builtinPattern = (message) => ({ group: ['node:*'], message });
const noBuiltins = 'This layer also runs in a browser page: no Node built-ins.';
// Our own folders by relative path; `!@*/**` keeps scoped packages such as @hpke/core out of the match.
const up = (folders, message) => ({ group: [...folders.flatMap((f) => [`**/${f}`, `**/${f}/**`]), '!@*/**'], message });

/**
 * One `no-restricted-imports` zone: `files`, optionally `ignores`, and what they may not import.
 * `builtins`: true allows Node built-ins; false or a message (why not) forbids them.
 */
function zone(files, { ignores = [], electronAllowed = false, builtins = true, patterns = [], paths = [] } = {}) {
  const message = typeof builtins === 'string' ? builtins : noBuiltins;
  builtins = builtins === true;
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...(electronAllowed ? [] : electronPaths), ...(builtins ? [] : builtinPaths(message)), ...paths],
          patterns: [...(electronAllowed ? [] : [electron]), ...(builtins ? [] : [builtinPattern(message)]), ...patterns],
        },
      ],
    },
  };
}

const layerZones = [
  // Everything else (tests, bench, scripts, config files): no Electron (tests use stand-ins).
  zone(['**/*.{ts,tsx,js,mjs}']),
  zone(['src/shared/**'], {
    builtins: false,
    patterns: [up(['core', 'server', 'main', 'renderer', 'preload'], 'src/shared depends on nothing but zod.'), { group: ['react', 'react-dom', 'react-dom/*', 'socket.io', 'socket.io-client'], message: 'src/shared depends on nothing but zod.' }],
  }),
  zone(['src/core/**'], {
    builtins: false,
    patterns: [up(['server', 'main', 'renderer', 'preload'], 'The core imports only src/shared and portable libraries.'), { group: ['react', 'react-dom', 'react-dom/*', 'socket.io'], message: 'The core imports only src/shared and portable libraries (socket.io-client, zod).' }],
  }),
  zone(['src/renderer/**'], {
    ignores: ['src/renderer/host/**'],
    builtins: false,
    patterns: [
      up(['server', 'main', 'preload'], 'The renderer talks to the host only through the typed contract in src/shared.'),
      up(['core'], 'The renderer reaches the core only in src/renderer/host/ (the web host); everything else uses SoftphoneApi.'),
    ],
  }),
  zone(['src/renderer/host/**'], {
    builtins: false,
    patterns: [up(['server', 'main', 'preload'], 'The renderer talks to the host only through the typed contract in src/shared.')],
  }),
  zone(['src/main/app/**'], {
    builtins: 'src/main/app is desktop logic that runs in the Node tests: reach Node through a port (src/main/node adapters).',
    patterns: [
      up(['platform', 'node'], 'src/main/app is the bottom of the desktop app: platform/ and node/ implement its ports, not the other way round.'),
      up(['renderer', 'server', 'preload'], 'The desktop app reaches the renderer only over IPC, and never imports the server.'),
    ],
  }),
  zone(['src/main/node/**'], {
    patterns: [
      up(['platform'], 'src/main/node adapters implement app ports without Electron: they do not import the platform layer.'),
      up(['renderer', 'server', 'preload'], 'The desktop app reaches the renderer only over IPC, and never imports the server.'),
    ],
  }),
  zone(['src/main/platform/**'], {
    electronAllowed: true,
    patterns: [up(['renderer', 'server', 'preload'], 'The desktop app reaches the renderer only over IPC, and never imports the server.')],
  }),
  zone(['src/main/*.ts'], {
    patterns: [up(['renderer', 'server', 'preload'], 'The desktop app reaches the renderer only over IPC, and never imports the server.')],
  }),
  zone(['src/preload/**'], {
    electronAllowed: true,
    builtins: 'A sandboxed preload has no Node built-ins.',
    patterns: [up(['core', 'main', 'renderer', 'server'], 'The preload only bridges IPC: it imports src/shared and electron.')],
  }),
  zone(['src/server/**'], {
    patterns: [up(['core', 'main', 'renderer', 'preload'], 'The server shares only src/shared with clients.')],
  }),
];

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
      // A switch over a union lists every member or says `default` on purpose.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...layerZones,
  {
    // Logs go through a logger: pino on the server, the injected CoreLogger in the core
    // and in main, src/renderer/log.ts in the page. The CLI, scripts, bench and tests print.
    files: ['src/**'],
    ignores: ['src/server/cli.ts'],
    rules: { 'no-console': 'error' },
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
