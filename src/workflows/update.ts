/** The saga shared by update_code and update_code_deps. */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { HandlerResult } from './definitions.js';
import type { HandlerContext } from './handler.js';
import { failureMessage, failureType } from './handler.js';
import { depsActivities, git, io, watcherActivities } from './proxies.js';

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
 * SPEC: stop the watcher, record the commit, pull (fast-forward only), [install dependencies], start
 * the watcher unless paused. Any failure after the stop puts the code back at the recorded commit and
 * starts the watcher unless paused; the result carries the original error and what the undo did.
 */
export async function updateCode(ctx: HandlerContext, withDeps: boolean): Promise<HandlerResult> {
  const { settings, flag, info, warn } = ctx;
  const watcher = watcherActivities(settings);
  const undo: Undo[] = [];
  const details: Record<string, unknown> = {};
  const paused = (await io.readPauseFlag()) !== null;
  details.paused = paused;
  // Registered before the stop: whatever the stop managed, the watcher must run afterwards unless paused.
  if (!paused) undo.unshift({ name: 'start watcher', run: () => watcher.startWatcher() });
  try {
    const stop = await watcher.stopWatcher();
    Object.assign(details, { was_running: stop.wasRunning, stopped_by: stop.stoppedBy });
    const recorded = await git.currentCommit();
    details.recorded_commit = recorded;
    undo.unshift({ name: `reset to ${recorded}`, run: () => git.resetTo(recorded) });
    const pull = await git.pullFastForward();
    Object.assign(details, { head_after: pull.after, updated: pull.updated });
    if (withDeps) {
      const install = await depsActivities(settings).installDependencies({ taskId: flag.task_id });
      details.deps_install = { command: install.command, duration_ms: install.durationMs, log_file: install.logFile };
    }
    if (!paused) details.pid = (await watcher.startWatcher()).pid;
    details.watcher_started = !paused;
    info('code updated', { from: recorded, to: pull.after, watcher_started: !paused });
    return { success: true, details };
  } catch (error) {
    warn('update failed; compensating', { error: failureMessage(error), steps: undo.map((step) => step.name) });
    await CancellationScope.nonCancellable(async () => {
      const errors = await compensate(undo);
      Object.assign(details, { compensated: errors.length === 0, compensation_errors: errors });
      details.final_commit = await git.currentCommit().catch(() => null);
      details.watcher_started = !paused && errors.every((problem) => !problem.startsWith('start watcher'));
    });
    if (isCancellation(error)) throw error;
    return { success: false, error: failureMessage(error), details: { ...details, failure_type: failureType(error) ?? null } };
  }
}
