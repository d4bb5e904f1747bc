// ESLint flat config: @eslint/js + typescript-eslint recommended (type-checked) over the repository.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals for plain .js/.mjs files (TypeScript files get them from @types/node and
// typescript-eslint turns `no-undef` off there). Listed here rather than adding `globals`.
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'AbortController', 'AbortSignal', 'fetch',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
    'queueMicrotask', 'structuredClone', 'TextEncoder', 'TextDecoder', 'WebAssembly',
  ].map((name) => [name, 'readonly']),
);

/**
 * Dependencies point one way: modules → plugins → lib → config. Shared code never reaches into a
 * module; what a plugin needs from one is handed to it as an option in app.ts.
 */
const layering = {
  files: ['src/lib/**/*.ts', 'src/plugins/**/*.ts', 'src/schemas/**/*.ts', 'src/config.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [{ group: ['**/modules/**', '**/modules'], message: 'lib/, plugins/ and schemas/ must not import a module.' }] },
    ],
  },
};

/**
 * A module is reached by other modules only through its index.ts: `../<other>/index.ts` is the
 * one import into another module (tests/lint/module-boundaries.test.ts also refuses cycles).
 */
const moduleBoundaries = {
  files: ['src/modules/*/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.ts$)',
            message: 'Import another module only through its index.ts.',
          },
        ],
      },
    ],
  },
};

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'src/generated/', '.data/', 'coverage/', '.scratch/', 'media/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: nodeGlobals,
      parserOptions: {
        // tsconfig.json covers src, tests, prisma, scripts, bench and the config files; the .mjs
        // scripts are outside it (no allowJs) and are linted without type information below.
        projectService: { allowDefaultProject: ['scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are deliberately unused (handler signatures, tuple holes, ignored errors).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Fastify plugins must be `async (app) => {...}` (or take a callback) even when they never
      // await, and async methods implementing a Promise-returning interface need not await either.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  layering,
  moduleBoundaries,
  {
    // Application code logs through Fastify's/pino's logger, never the console. The entry points
    // (server-main.ts, worker-main.ts) print before a logger exists; CLI scripts, the seed and tests may print.
    files: ['src/**/*.ts'],
    ignores: ['src/server-main.ts', 'src/worker-main.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests read light-my-request's `response.json()`, which is `any` by design; asserting on
    // its fields is the point of a test, so the no-unsafe-* family is noise there.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
