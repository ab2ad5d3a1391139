import type { HandlerInput, HandlerResultOf, VerifyDbDetails } from '../../contract/handlers.js';
import { db } from './proxies.js';
import { runHandler } from './run-handler.js';

/** SPEC: connection, NOW()/DATABASE(), critical tables, UTC session; a failed check is a failed result with its report. */
export async function verify_db(input: HandlerInput): Promise<HandlerResultOf<'verify_db'>> {
  return runHandler(input, { exclusive: false }, async ({ flag, info }) => {
    const verification = await db.verifyDb({ taskId: flag.task_id });
    info('database verification written', { report: verification.reportPath, success: verification.success });
    const { checks } = verification.report;
    const details: VerifyDbDetails = {
      report_path: verification.reportPath,
      connection_ok: checks.connection.ok,
      server_now: checks.now.server_now ?? null,
      database: checks.now.database ?? null,
      tables: checks.tables.map((table) => ({ table: table.table, ok: table.ok, count: table.count ?? null })),
      session_utc: checks.time_zone.ok,
    };
    return verification.success
      ? { success: true, details }
      : { success: false, error: verification.error ?? 'verification failed', details };
  });
}
