/**
 * Stand-ins for the handler workflows, named like the handlers, so ingest tests can watch starts while
 * the real handlers are written elsewhere. A label starting with "hold" keeps the run open until `release`.
 */
import { condition, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';

export const releaseSignal = defineSignal('release');

interface StandInFlag {
  task_id: string;
  handler: string;
  label?: string | null;
}

async function standIn(
  flag: StandInFlag,
): Promise<{ success: true; details: { task_id: string; workflow_id: string } }> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  if (flag.label?.startsWith('hold') === true) await condition(() => released);
  return { success: true, details: { task_id: flag.task_id, workflow_id: workflowInfo().workflowId } };
}

export const update_code = standIn;
export const update_code_deps = standIn;
export const rollback_code = standIn;
export const pause_watcher = standIn;
export const resume_watcher = standIn;
export const restart_watcher = standIn;
export const diagnostics = standIn;
export const verify_db = standIn;
