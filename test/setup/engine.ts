// The `engine` project of jest.config.js: Temporal-backed tests run against the embedded engine.
process.env.TEMPORAL_SERVER = 'engine';
