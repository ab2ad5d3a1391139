import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ExecError, run } from '../lib/exec.js';
import { taskLogPath } from '../nas/paths.js';
import { activityHooks } from './context.js';
import { PermanentFailure } from './errors.js';
import { repoDirOf } from './git-repo.js';
import { checkTaskId } from './files.js';
import type { ResolvedDeps } from './types.js';

export interface DepsInstallResult {
  command: string;
  durationMs: number;
  logFile: string;
}

export function depsActivities(deps: ResolvedDeps) {
  const { config, logger, timing } = deps;

  /**
   * The configured install command in the repository, output appended to the task's log. A
   * non-zero exit or a timeout is permanent (a retry would take as long and fail alike);
   * cancellation terminates the command.
   */
  async function installDependencies(input: { taskId: string }): Promise<DepsInstallResult> {
    const { command, args, timeout } = config.repo.deps_install;
    const logFile = taskLogPath(config, checkTaskId(input.taskId));
    await mkdir(path.dirname(logFile), { recursive: true });
    // An index URL may carry credentials (https://user:token@host): the log shows the host only.
    const shown = [command, ...args].join(' ').replace(/:\/\/[^/\s@]+@/g, '://***@');
    await appendFile(logFile, `${deps.now().toISOString()} $ ${shown}\n`);
    const hooks = activityHooks();
    const started = Date.now();
    const beat = setInterval(
      () => hooks.heartbeat({ phase: 'deps-install', elapsedMs: Date.now() - started }),
      timing.heartbeatMs,
    );
    hooks.heartbeat({ phase: 'deps-install', elapsedMs: 0 });
    try {
      const result = await run(command, args, {
        cwd: repoDirOf(config),
        timeoutMs: timeout,
        cancelSignal: hooks.signal,
        outputFile: logFile,
      });
      logger.info({ taskId: input.taskId, command, durationMs: result.durationMs }, 'dependency install done');
      return { command: shown, durationMs: result.durationMs, logFile };
    } catch (error) {
      hooks.throwIfCancelled();
      if (!(error instanceof ExecError)) throw error;
      logger.error(
        { taskId: input.taskId, command, exitCode: error.exitCode, timedOut: error.timedOut },
        'dependency install failed',
      );
      throw new PermanentFailure('DepsInstallFailed', `${error.message}; output in ${logFile}`, {
        exitCode: error.exitCode ?? null,
        signal: error.signal ?? null,
        timedOut: error.timedOut,
        outputTail: error.stderrTail,
        logFile,
      });
    } finally {
      clearInterval(beat);
    }
  }

  return { installDependencies };
}
