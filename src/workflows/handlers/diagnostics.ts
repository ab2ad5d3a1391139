import type { DiagnosticsDetails, HandlerInput, HandlerResultOf } from '../../contract/handlers.js';
import { db } from './proxies.js';
import { runHandler } from './run-handler.js';

/** SPEC: one JSON report of the host; read-only, so it does not wait for the lock. */
export async function diagnostics(input: HandlerInput): Promise<HandlerResultOf<'diagnostics'>> {
  return runHandler(input, { exclusive: false }, async ({ flag, info }) => {
    const report = await db.runDiagnostics({ taskId: flag.task_id, label: flag.label ?? null });
    info('diagnostics written', { report: report.reportPath });
    const details: DiagnosticsDetails = { report_path: report.reportPath, ...report.summary };
    return { success: true, details };
  });
}
