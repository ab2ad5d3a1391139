/** The saga shared by update_code and update_code_deps. */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { UpdatePlan } from '../../activities/index.js';
import type { HandlerResult, RefusedDetails, UpdateCodeDetails } from '../../contract/handlers.js';
import { failureMessage, failureType } from '../failures.js';
import { codeChangeActivities, io } from './proxies.js';
import type { HandlerContext } from './run-handler.js';
import { refusedBeforeStop } from './run-handler.js';

interface Undo {
  name: string;
  run: () => Promise<unknown>;
}

/** Runs every undo step, newest first; one failing does not skip the others. Returns their errors. */
async function compensate(steps: Undo[]): Promise<string[]> {
  const errors: string[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      errors.push(`${step.name}: ${failureMessage(error)}`);
    }
  }
  return errors;
}

/**
 * SPEC: check the remote and the local commits (before anything is touched), stop the watcher, save
 * the work tree under the backup ref, bring HEAD to the remote head, [install dependencies], start
 * the watcher unless paused. Any failure after the stop puts back the recorded commit and the saved
 * work tree and starts the watcher unless paused; the result carries the original error and what the
 * undo did. A refusal of the check (dirty tree, foreign local commits, remote unreachable) stops nothing.
 */
export async function updateCode(
  ctx: HandlerContext,
  withDeps: boolean,
): Promise<HandlerResult<UpdateCodeDetails | RefusedDetails>> {
  const { settings, flag, info, warn, onCancelReport } = ctx;
  const { git, watcher, deps } = codeChangeActivities(settings);
  let plan: UpdatePlan;
  try {
    plan = await git.planUpdate();
  } catch (error) {
    if (isCancellation(error)) throw error;
    return refusedBeforeStop(error);
  }
  const undo: Undo[] = [];
  const paused = (await io.readPauseFlag()) !== null;
  const details: UpdateCodeDetails = {
    target_commit: plan.target,
    mode: plan.mode,
    replaced_reverts: plan.replaced,
    paused,
  };
  // Registered before the stop: whatever the stop managed, the watcher must run afterwards unless paused.
  if (!paused) undo.unshift({ name: 'start watcher', run: () => watcher.startWatcher() });
  try {
    const stop = await watcher.stopWatcher();
    details.was_running = stop.wasRunning;
    details.stopped_by = stop.stoppedBy;
    // Registered before the backup: a backup that saved and cleaned, then failed, is still put back.
    const restore = async () => {
      const restored = await git.restoreWorkTree({ taskId: flag.task_id });
      if (restored.undoRef !== null) details.undo_ref = restored.undoRef;
    };
    undo.unshift({ name: 'restore the recorded commit and work tree', run: restore });
    const backup = await git.backupWorkTree({ taskId: flag.task_id, operation: flag.handler });
    details.recorded_commit = backup.recorded;
    details.backup_ref = backup.ref;
    details.backup_commit = backup.commit;
    details.saved_paths = backup.savedPaths;
    const moved = await git.advanceTo(plan);
    details.head_after = moved.after;
    details.updated = moved.updated;
    if (withDeps) {
      const install = await deps.installDependencies({ taskId: flag.task_id });
      details.deps_install = { command: install.command, duration_ms: install.durationMs, log_file: install.logFile };
    }
    if (!paused) details.pid = (await watcher.startWatcher()).pid;
    details.watcher_started = !paused;
    info('code updated', { from: backup.recorded, to: moved.after, watcher_started: !paused, backup_ref: backup.ref });
    return { success: true, details };
  } catch (error) {
    warn('update failed; compensating', { error: failureMessage(error), steps: undo.map((step) => step.name) });
    await CancellationScope.nonCancellable(async () => {
      const errors = await compensate(undo);
      details.compensated = errors.length === 0;
      details.compensation_errors = errors;
      details.final_commit = await git.currentCommit().catch(() => null);
      details.watcher_started = !paused && errors.every((problem) => !problem.startsWith('start watcher'));
    });
    if (isCancellation(error)) {
      onCancelReport(details);
      throw error;
    }
    return {
      success: false,
      error: failureMessage(error),
      details: { ...details, failure_type: failureType(error) ?? null },
    };
  }
}
