/**
 * The database, when configured: reachable, sessions in UTC (as the pool sets them), and the supervisor's
 * tables and the configured critical ones present. Without one, audit records go to NDJSON: an advisory.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { Config } from '../../config/schema.js';
import type { ParsedConfig } from '../../config/load.js';
import { SUPERVISOR_TABLES, describeTarget, openConnection, query } from '../../db/index.js';
import { auditFileOf } from '../../nas/paths.js';
import { advise, fail, messageOf, pass } from './check.js';
import type { CheckRow } from './check.js';

const GROUP = 'database';

export async function databaseChecks(config: Config, unusable: ParsedConfig['unusable']): Promise<CheckRow[]> {
  const why = unusable.database;
  if (why !== undefined)
    return [
      fail(
        GROUP,
        'configured',
        `the database section cannot be used: ${why}`,
        "set the variable in the supervisor's environment",
      ),
    ];
  const db = config.database;
  if (db === undefined)
    return [
      advise(
        GROUP,
        'configured',
        `no database: audit goes to NDJSON (${auditFileOf(config.paths.logs)})`,
        'add a database section for workers_t and the audit table',
      ),
    ];
  const target = describeTarget(db);
  const where = `${target.user}@${target.host}:${target.port}/${target.database}`;
  let connection;
  try {
    connection = await openConnection(db);
  } catch (error) {
    return [
      fail(
        GROUP,
        'reachable',
        `${where}: ${messageOf(error)}`,
        'check database host, port, user and password, and that the server runs',
      ),
    ];
  }
  try {
    const rows: CheckRow[] = [pass(GROUP, 'reachable', where)];
    const [zone] = await query<RowDataPacket[]>(
      connection,
      'SELECT @@session.time_zone AS tz, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS off',
    );
    rows.push(
      Number(zone?.off) === 0
        ? pass(GROUP, 'UTC session', `session time zone ${String(zone?.tz)}`)
        : fail(
            GROUP,
            'UTC session',
            `NOW() is ${String(zone?.off)} s off UTC after SET time_zone`,
            "check the server's time zone tables",
          ),
    );
    const present = await query<RowDataPacket[]>(
      connection,
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()',
    );
    const have = new Set(present.map((row) => String(row.t).toLowerCase()));
    const wanted = [...new Set([...SUPERVISOR_TABLES, ...db.critical_tables])];
    const missing = wanted.filter((table) => !have.has(table.toLowerCase()));
    rows.push(
      missing.length === 0
        ? pass(GROUP, 'tables', `${wanted.length} tables present`)
        : fail(
            GROUP,
            'tables',
            `missing: ${missing.join(', ')}`,
            missing.some((t) => SUPERVISOR_TABLES.includes(t))
              ? 'supervisor start creates its own tables (migrations); the others come from the application'
              : 'create them, or fix database.critical_tables',
          ),
    );
    return rows;
  } catch (error) {
    return [fail(GROUP, 'queries', `${where}: ${messageOf(error)}`, "check the user's rights on the database")];
  } finally {
    connection.destroy();
  }
}
