/**
 * Jest on ESM TypeScript: ts-jest transpiles (type checking is `npm run lint`), Node runs the ESM.
 *
 * Two projects in one run: `engine` (every test, Temporal-backed ones against the embedded engine) and
 * `temporal-cli` (the conformance suite, test/devserver, again against the official `temporal server start-dev`:
 * test/setup/temporal-cli.ts sets TEMPORAL_SERVER for it). Without the binary
 * (scripts/install-temporal-cli.sh) the second project is left out with a notice, never silently.
 * `TEMPORAL_SERVER=engine npm test` runs the first pass only; `TEMPORAL_SERVER=temporal-cli npm test` every
 * Temporal-backed suite (all of test/integration's handlers, health and ingest) against the real server.
 */
// The built lookup (src/temporal-cli/dev-server.ts): `npm install` builds dist/, which the e2e tests need too.
const cli = await import('./dist/temporal-cli/dev-server.js').catch(() => undefined);

const common = {
  testEnvironment: 'node',
  // Jest 30's default 'soft' cleanup of a test file's globals recurses forever when a late callback writes one
  // after the file ended (RangeError: Maximum call stack size exceeded in jest-util's originalSetter, jestjs/jest
  // #16044 and #16443, open on 30.5.2); CI saw it fail a whole suite. 'off' is Jest 29's behaviour.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

const engine = {
  ...common,
  displayName: 'engine',
  setupFiles: ['<rootDir>/test/setup/engine.ts'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
};

const real = {
  ...common,
  displayName: 'temporal-cli',
  setupFiles: ['<rootDir>/test/setup/temporal-cli.ts'],
  // The conformance suite only: with the supervisor's suites twice too, `npm test` took 23 min of a 26-min CI on
  // 2 cores. The supervisor meets the real server in the engine project's temporal CLI, Web UI and differential
  // tests; `TEMPORAL_SERVER=temporal-cli npm test` runs all of its Temporal-backed suites there.
  testMatch: ['<rootDir>/test/devserver/**/*.test.ts'],
  // Both servers in every run already, whatever the switch says.
  testPathIgnorePatterns: ['/node_modules/', '/test/devserver/differential\\.test\\.ts$'],
};

function projects() {
  const only = process.env.TEMPORAL_SERVER;
  if (only === 'engine') return [engine];
  // Asked for on its own, the real-server pass takes every suite that talks to Temporal.
  if (only === 'temporal-cli')
    return [
      {
        ...real,
        testMatch: [
          '<rootDir>/test/devserver/**/*.test.ts',
          '<rootDir>/test/integration/{handlers,health,ingest}/**/*.test.ts',
        ],
      },
    ];
  if (cli?.findTemporalCli() !== undefined) return [engine, real];
  const why = cli === undefined ? 'dist/ is not built (npm run build)' : cli.TEMPORAL_CLI_MISSING;
  process.stderr.write(`\n*** the real-server pass is SKIPPED: ${why}\n\n`);
  return [engine];
}

export default {
  projects: projects(),
  // The figures the suites record (test/helpers/figures.ts) are the run's last lines.
  globalSetup: '<rootDir>/test/setup/figures-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/figures-teardown.mjs',
  testSequencer: '<rootDir>/test/setup/sequencer.mjs',
  // A bound for a hung test, not a speed: many tests start processes and servers, slow on two busy cores.
  testTimeout: 120_000,
  // Three on two cores: the chaos suite holds one worker for minutes while mostly waiting (ingest lanes, restarts,
  // activity timeouts); the other two keep both cores busy with the rest.
  maxWorkers: 3,
  verbose: false,
};
