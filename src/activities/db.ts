import { setTimeout as delay } from 'node:timers/promises';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { DatabaseTarget } from '../db/pool.js';
import { describeTarget, openConnection, query } from '../db/pool.js';
import { writeJsonAtomic } from '../lib/atomic.js';
import { reportPath as reportPathOf } from '../nas/paths.js';
import type { ResolvedDeps } from './types.js';

interface Check {
  ok: boolean;
  error?: string;
  skipped?: boolean;
}

export interface TableCheck extends Check {
  table: string;
  count?: number;
  missing?: boolean;
}

export interface DbVerificationReport {
  worker_id: string;
  generated_at: string;
  task_id: string | null;
  success: boolean;
  error: string | null;
  /** Where the database is; never the password. Null without a database section. */
  database: DatabaseTarget | null;
  checks: {
    connection: Check & { duration_ms?: number };
    now: Check & { server_now?: string; database?: string | null };
    tables: TableCheck[];
    time_zone: Check & { session_time_zone?: string; offset_seconds?: number };
  };
}

export interface VerifyDbResult {
  success: boolean;
  error: string | null;
  reportPath: string;
  report: DbVerificationReport;
}

const ER_NO_SUCH_TABLE = 1146;
const SKIPPED = { ok: false, skipped: true } as const;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function checkTable(connection: Connection, table: string): Promise<TableCheck> {
  try {
    // The schema allows only [A-Za-z0-9_] in table names, so quoting with backticks is enough.
    const rows = await query<RowDataPacket[]>(connection, `SELECT COUNT(*) AS n FROM \`${table}\``);
    return { table, ok: true, count: Number(rows[0]?.n ?? 0) };
  } catch (error) {
    if ((error as { errno?: number }).errno === ER_NO_SUCH_TABLE)
      return { table, ok: false, missing: true, error: 'table does not exist' };
    return { table, ok: false, error: messageOf(error) };
  }
}

async function runChecks(
  connection: Connection,
  tables: readonly string[],
): Promise<Omit<DbVerificationReport['checks'], 'connection'>> {
  let now: DbVerificationReport['checks']['now'];
  try {
    const rows = await query<RowDataPacket[]>(connection, 'SELECT NOW() AS now, DATABASE() AS db');
    const value = rows[0]?.now;
    now = {
      ok: true,
      server_now: value instanceof Date ? value.toISOString() : String(value),
      database: (rows[0]?.db as string | null) ?? null,
    };
  } catch (error) {
    now = { ok: false, error: messageOf(error) };
  }
  const tableChecks: TableCheck[] = [];
  for (const table of tables) tableChecks.push(await checkTable(connection, table));
  let timeZone: DbVerificationReport['checks']['time_zone'];
  try {
    const rows = await query<RowDataPacket[]>(
      connection,
      'SELECT @@session.time_zone AS tz, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS offset_seconds',
    );
    const offset = Number(rows[0]?.offset_seconds);
    timeZone = { ok: offset === 0, session_time_zone: String(rows[0]?.tz), offset_seconds: offset };
    if (offset !== 0) timeZone.error = 'session time zone is not UTC';
  } catch (error) {
    timeZone = { ok: false, error: messageOf(error) };
  }
  return { now, tables: tableChecks, time_zone: timeZone };
}

/** Closing must not hang on a server that stopped answering. */
async function close(connection: Connection): Promise<void> {
  await Promise.race([connection.end().catch(() => undefined), delay(2_000, undefined, { ref: false })]);
  connection.destroy();
}

function firstProblem(checks: DbVerificationReport['checks']): string | null {
  if (!checks.connection.ok) return `connection failed: ${checks.connection.error ?? 'unknown'}`;
  if (!checks.now.ok) return `SELECT NOW() failed: ${checks.now.error ?? 'unknown'}`;
  const missing = checks.tables.filter((table) => !table.ok).map((table) => table.table);
  if (missing.length > 0) return `critical tables not readable: ${missing.join(', ')}`;
  if (!checks.time_zone.ok) return checks.time_zone.error ?? 'time zone check failed';
  return null;
}

export function dbActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;

  async function collect(): Promise<Pick<DbVerificationReport, 'database' | 'checks'>> {
    const db = config.database;
    if (db === undefined) {
      return {
        database: null,
        checks: {
          connection: { ok: false, error: 'no database configured' },
          now: SKIPPED,
          tables: [],
          time_zone: SKIPPED,
        },
      };
    }
    const started = Date.now();
    let connection: Connection;
    try {
      connection = await openConnection(db);
    } catch (error) {
      const failed = { ok: false, error: messageOf(error), duration_ms: Date.now() - started };
      const tables = db.critical_tables.map((table) => ({ table, ...SKIPPED }));
      return { database: describeTarget(db), checks: { connection: failed, now: SKIPPED, tables, time_zone: SKIPPED } };
    }
    try {
      const rest = await runChecks(connection, db.critical_tables);
      return {
        database: describeTarget(db),
        checks: { connection: { ok: true, duration_ms: Date.now() - started }, ...rest },
      };
    } finally {
      await close(connection);
    }
  }

  /**
   * The verify_db handler's work: every check runs and lands in the report, a failed check is a
   * finding, not an exception. Throws only when the report cannot be written.
   */
  async function verifyDb(input: { taskId?: string | null } = {}): Promise<VerifyDbResult> {
    const at = deps.now();
    const { database, checks } = await collect();
    const error = database === null ? 'no database configured' : firstProblem(checks);
    const report: DbVerificationReport = {
      worker_id: config.worker_id,
      generated_at: at.toISOString(),
      task_id: input.taskId ?? null,
      success: error === null,
      error,
      database,
      checks,
    };
    const reportPath = reportPathOf(config, 'db_verification', at, input);
    await writeJsonAtomic(reportPath, report);
    logger.info({ reportPath, success: report.success }, 'database verification written');
    return { success: report.success, error, reportPath, report };
  }

  return { verifyDb };
}
