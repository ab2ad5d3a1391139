import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { AuditRecord } from '../db/audit.js';
import { readJsonIfExists, writeJsonAtomic } from './atomic.js';
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
export type AuditInput = Omit<AuditRecord, 'at' | 'worker_id'> & { at?: string };

/** Same alphabet as flag task ids: a task id becomes a file name, so nothing else gets through. */
const TASK_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function pauseFlagPath(config: Pick<Config, 'paths' | 'worker_id'>): string {
  return path.join(config.paths.state, `supervisor_pause_${config.worker_id}.flag`);
}

/** A task id that names files; throws InvalidArgument otherwise. */
export function checkTaskId(taskId: string): string {
  if (!TASK_ID.test(taskId) || taskId === '.' || taskId === '..') throw new InvalidArgument(`task id ${JSON.stringify(taskId.slice(0, 80))} is not valid`);
  return taskId;
}

/** `Worker_Outbox/<workerId>/<task_id>.result.json`: beside the receipts, per worker like the workflow id. */
export function resultFilePath(config: Pick<Config, 'paths' | 'worker_id'>, taskId: string): string {
  return path.join(config.paths.outbox, config.worker_id, `${checkTaskId(taskId)}.result.json`);
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
    const file = resultFilePath(config, input.taskId);
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
    };
    await deps.audit.record(row);
  }

  return { createPauseFlag, removePauseFlag, readPauseFlag: getPauseFlag, writeResult, recordAudit };
}
