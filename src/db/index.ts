/** The supervisor's database in one import: the pool and queries, migrations, workers_t. The audit is src/audit/. */
export { migrate, SUPERVISOR_TABLES } from './migrations.js';
export type { MigrationResult } from './migrations.js';
export {
  connectionOptions,
  createDbPool,
  describeTarget,
  openConnection,
  query,
  QUERY_DEADLINE_MS,
  QUERY_TIMEOUT_MS,
  QueryDeadlineExceeded,
} from './pool.js';
export type { DatabaseConfig, DatabaseTarget, Queryable } from './pool.js';
export { upsertWorker } from './workers.js';
export type { WorkerStatusRow } from './workers.js';
