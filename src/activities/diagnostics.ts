import { constants } from 'node:fs';
import { access, readdir, statfs } from 'node:fs/promises';
import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from '../db/pool.js';
import { openConnection, query } from '../db/pool.js';
import type { DiagnosticsSummary } from '../contract/handlers.js';
import { writeJsonAtomic } from '../lib/atomic.js';
import { readFileTail } from '../lib/exec.js';
import { reportPath as reportPathOf } from '../nas/paths.js';
import type { ResolvedDeps } from './types.js';
import type { WatcherLook } from './watcher-look.js';

const LOG_LINES = 50;
const AUDIT_ROWS = 10;

export interface DiagnosticsResult {
  reportPath: string;
  /** The headline figures, for the workflow's result details. */
  summary: DiagnosticsSummary;
}

/** A section that failed to collect says why instead of failing the whole report. */
type Section<T> = T | { error: string };

async function section<T>(collect: () => Promise<T>): Promise<Section<T>> {
  try {
    return await collect();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

async function pathAccess(target: string) {
  const can = (mode: number) =>
    access(target, mode).then(
      () => true,
      () => false,
    );
  return {
    path: target,
    exists: await can(constants.F_OK),
    readable: await can(constants.R_OK),
    writable: await can(constants.W_OK),
  };
}

async function disk(target: string) {
  const stats = await statfs(target);
  const total = stats.blocks * stats.bsize;
  const free = stats.bavail * stats.bsize;
  const used = total - stats.bfree * stats.bsize;
  return {
    path: target,
    total_bytes: total,
    used_bytes: used,
    free_bytes: free,
    percent_free: total > 0 ? Math.round((free / total) * 1000) / 10 : null,
  };
}

async function lastLines(file: string, n: number): Promise<string[]> {
  const lines = (await readFileTail(file, 64_000)).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-n);
}

async function pendingFlags(inbox: string): Promise<string[]> {
  // Writers use dot-prefixed or *.tmp names until they rename: those are not pending yet.
  const names = await readdir(inbox);
  return names.filter((name) => name.endsWith('.flag') && !name.startsWith('.')).sort();
}

export function diagnosticsActivities(
  deps: ResolvedDeps,
  { watcherStatus, watcherHeartbeat }: Pick<WatcherLook, 'watcherStatus' | 'watcherHeartbeat'>,
) {
  const { config, logger } = deps;

  async function databaseNow(): Promise<{ configured: boolean; now?: string }> {
    if (config.database === undefined) return { configured: false };
    const fresh = deps.pool === undefined ? await openConnection(config.database) : undefined;
    try {
      const rows = await query<RowDataPacket[]>(deps.pool ?? (fresh as Queryable), 'SELECT NOW() AS now');
      const now = rows[0]?.now;
      return { configured: true, now: now instanceof Date ? now.toISOString() : String(now) };
    } finally {
      fresh?.destroy();
    }
  }

  /** One JSON report of the host's state; each section is collected on its own, so one failure shows as an error field. */
  async function runDiagnostics(
    input: { taskId?: string | null; label?: string | null } = {},
  ): Promise<DiagnosticsResult> {
    const at = deps.now();
    const report = {
      worker_id: config.worker_id,
      generated_at: at.toISOString(),
      task_id: input.taskId ?? null,
      label: input.label ?? null,
      watcher: await section(watcherStatus),
      heartbeat: await section(watcherHeartbeat),
      database: await section(databaseNow),
      paths: await section(() =>
        Promise.all(
          Object.entries(config.paths).map(async ([name, target]) => ({ name, ...(await pathAccess(target)) })),
        ),
      ),
      disk: await section(() => disk(config.paths.nas_root)),
      watcher_log: await section(async () => ({
        file: config.watcher.log_file,
        lines: await lastLines(config.watcher.log_file, LOG_LINES),
      })),
      pending_flags: await section(() => pendingFlags(config.paths.inbox)),
      audit: await section(() => deps.audit.last(AUDIT_ROWS, config.worker_id)),
    };
    const reportPath = reportPathOf(config, 'diagnostics', at, input);
    await writeJsonAtomic(reportPath, report);
    logger.info({ reportPath }, 'diagnostics written');
    return {
      reportPath,
      summary: {
        watcher_running: 'running' in report.watcher && report.watcher.running,
        heartbeat_healthy: 'healthy' in report.heartbeat && report.heartbeat.healthy,
        database_ok: 'configured' in report.database ? report.database.configured : false,
        pending_flags: Array.isArray(report.pending_flags) ? report.pending_flags.length : null,
      },
    };
  }

  return { runDiagnostics };
}
