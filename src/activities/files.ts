import { unlink } from 'node:fs/promises';
import type { AuditRecord } from '../audit/record.js';
import type { Config } from '../config/schema.js';
import { isTaskId } from '../contract/ids.js';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic.js';
import { pauseFlagPath, resultFilePath } from '../nas/paths.js';
import { activityAuditKey } from './context.js';
import { InvalidArgument } from './errors.js';
import type { ResolvedDeps } from './types.js';

/** Body of `00_STATE/supervisor_pause_<workerId>.flag`: who paused, when, why. */
export interface PauseFlag {
  worker_id: string;
  paused_by: string;
  paused_at: string;
  label: string | null;
  task_id: string | null;
}

export interface PauseInput {
  who: string;
  label?: string | null;
  taskId?: string | null;
}

/** The audit fields a workflow supplies; `at` and `worker_id` are filled in here. */
export type AuditInput = Omit<AuditRecord, 'at' | 'worker_id' | 'row_key'> & { at?: string };

/** A task id that names files (the flag's own rule); throws InvalidArgument otherwise, the activities' door. */
export function checkTaskId(taskId: string): string {
  if (!isTaskId(taskId)) throw new InvalidArgument(`task id ${JSON.stringify(taskId.slice(0, 80))} is not valid`);
  return taskId;
}

/**
 * The pause flag, or null when not paused. A flag whose body is unreadable still means paused:
 * its existence is the contract, the body is only information.
 */
export async function readPauseFlag(config: Pick<Config, 'paths' | 'worker_id'>): Promise<PauseFlag | null> {
  try {
    return (await readJsonIfExists<PauseFlag>(pauseFlagPath(config))) ?? null;
  } catch (error) {
    if (error instanceof SyntaxError) {
      return { worker_id: config.worker_id, paused_by: 'unknown', paused_at: '', label: null, task_id: null };
    }
    throw error;
  }
}

export function fileActivities(deps: ResolvedDeps) {
  const { config, logger } = deps;

  /** Creates the pause flag; an existing flag is kept (the first pause explains the state). */
  async function createPauseFlag(input: PauseInput): Promise<{ created: boolean; flag: PauseFlag }> {
    const existing = await readPauseFlag(config);
    if (existing !== null) return { created: false, flag: existing };
    const flag: PauseFlag = {
      worker_id: config.worker_id,
      paused_by: input.who,
      paused_at: deps.now().toISOString(),
      label: input.label ?? null,
      task_id: input.taskId ?? null,
    };
    await writeJsonAtomic(pauseFlagPath(config), flag);
    logger.info({ pauseFlag: pauseFlagPath(config), by: input.who }, 'pause flag created');
    return { created: true, flag };
  }

  async function removePauseFlag(): Promise<{ removed: boolean }> {
    try {
      await unlink(pauseFlagPath(config));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { removed: false };
      throw error;
    }
    logger.info({ pauseFlag: pauseFlagPath(config) }, 'pause flag removed');
    return { removed: true };
  }

  async function getPauseFlag(): Promise<PauseFlag | null> {
    return readPauseFlag(config);
  }

  /** `Worker_Outbox/<workerId>/<task_id>.result.json`, atomically, so a reader never sees half a result. */
  async function writeResult(input: { taskId: string; result: unknown }): Promise<{ path: string }> {
    const file = resultFilePath(config, checkTaskId(input.taskId));
    await writeJsonAtomic(file, input.result);
    return { path: file };
  }

  async function recordAudit(input: AuditInput): Promise<void> {
    const row: AuditRecord = {
      at: input.at ?? deps.now().toISOString(),
      worker_id: config.worker_id,
      task_id: input.task_id,
      handler: input.handler,
      label: input.label,
      action: input.action,
      success: input.success,
      details: input.details,
      actor: input.actor,
      row_key: activityAuditKey('audit'),
    };
    await deps.audit.record(row);
  }

  return { createPauseFlag, removePauseFlag, readPauseFlag: getPauseFlag, writeResult, recordAudit };
}
