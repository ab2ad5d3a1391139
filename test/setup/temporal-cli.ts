// The `temporal-cli` project of jest.config.js: the same suites against the official dev server.
process.env.TEMPORAL_SERVER = 'temporal-cli';
