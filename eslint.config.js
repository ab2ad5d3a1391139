import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinModules } from 'node:module';

/** Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries. */
const bannedInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((name) => `node:${name}`),
  'mysql2',
  'mysql2/promise',
  'execa',
  'simple-git',
  'ps-list',
  'chokidar',
  'pino',
];

/**
 * The engine's rooms, bottom up: a room imports only rooms of the layers before it. state/ (the Engine and what
 * it holds) sits below every transition, which keeps the import graph acyclic; core/, updates/ and schedules/
 * are one engine and call each other; only the entry points open the durable store and bind the RPCs.
 */
const engineLayers = [
  ['wire'],
  ['visibility'],
  ['state'],
  ['core', 'updates', 'schedules'],
  ['rpc', 'persist'],
  ['server.ts', 'index.ts'],
];
const engineLayerZones = engineLayers
  .flatMap((layer, i) =>
    layer.map((room) => ({
      target: `./src/devserver/${room}`,
      from: engineLayers
        .slice(i + 1)
        .flat()
        .map((above) => `./src/devserver/${above}`),
      message: `the engine's rooms are layered (${engineLayers.map((l) => l.join(' ')).join(' < ')}): ${room} imports only rooms before it.`,
    })),
  )
  .filter((zone) => zone.from.length > 0);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-default-export': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a string union instead of an enum.' },
      ],
    },
  },
  {
    // The contract is imported by workflows too, so it lives under the same ban.
    files: ['src/workflows/**/*.ts', 'src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: bannedInWorkflows.map((name) => ({
            name,
            message: 'Workflow code must stay deterministic: no Node built-ins or I/O libraries.',
          })),
        },
      ],
    },
  },
  {
    // The supervisor's rooms (docs/ARCHITECTURE.md): cli → (ingest | worker) → workflows → activities, with
    // contract, nas/paths and lib at the bottom.
    files: ['src/**/*.ts'],
    ignores: ['src/devserver/**'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/contract',
              from: './src',
              except: ['./contract', './flags/handlers.ts', './flags/schema.ts'],
              message: 'The contract is the bottom room: it imports only itself and the plain flag schema.',
            },
            {
              target: ['./src/lib', './src/nas'],
              from: './src',
              except: ['./lib', './nas', './contract', './config/schema.ts'],
              message: 'lib and nas/paths are the bottom rooms: plain helpers and file names only.',
            },
            {
              target: ['./src/activities', './src/supervision', './src/audit', './src/db', './src/observability'],
              from: './src/workflows',
              message: 'Workflows are above activities: share what both need through src/contract.',
            },
            {
              target: './src/!(cli)/**',
              from: './src/cli',
              message: 'Nothing imports from cli.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/devserver/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/devserver',
              from: './src',
              except: ['./devserver'],
              message: 'devserver imports nothing from the rest of src: it is reached over gRPC only.',
            },
            ...engineLayerZones,
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    // After the spread, which brings languageOptions of its own.
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.node } },
  },
);
