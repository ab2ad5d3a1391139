import type { HandlerInput, HandlerResult } from './definitions.js';
import { runHandler } from './handler.js';
import { db } from './proxies.js';

/** SPEC: connection, NOW()/DATABASE(), critical tables, UTC session; a failed check is a failed result with its report. */
export async function verify_db(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: false }, async ({ flag, info }) => {
    const verification = await db.verifyDb({ taskId: flag.task_id });
    info('database verification written', { report: verification.reportPath, success: verification.success });
    const { checks } = verification.report;
    const details = {
      report_path: verification.reportPath,
      connection_ok: checks.connection.ok,
      server_now: checks.now.server_now ?? null,
      database: checks.now.database ?? null,
      tables: checks.tables.map((table) => ({ table: table.table, ok: table.ok, count: table.count ?? null })),
      session_utc: checks.time_zone.ok,
    };
    return verification.success ? { success: true, details } : { success: false, error: verification.error ?? 'verification failed', details };
  });
}
