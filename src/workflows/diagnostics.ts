import type { HandlerInput, HandlerResult } from './definitions.js';
import { runHandler } from './handler.js';
import { db } from './proxies.js';

/** SPEC: one JSON report of the host; read-only, so it does not wait for the lock. */
export async function diagnostics(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: false }, async ({ flag, info }) => {
    const report = await db.runDiagnostics({ taskId: flag.task_id, label: flag.label ?? null });
    info('diagnostics written', { report: report.reportPath });
    return { success: true, details: { report_path: report.reportPath, ...report.summary } };
  });
}
