import { hostname } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { upsertWorker } from '../db/workers.js';
import { writeJsonAtomic } from './atomic.js';
import type { ResolvedDeps } from './types.js';

/** Body of `00_STATE/supervisor_heartbeat_<workerId>.json`. */
export interface SupervisorHeartbeat {
  worker_id: string;
  at: string;
  hostname: string;
  pid: number;
  status_summary: string;
  details: Record<string, unknown>;
}

export function supervisorHeartbeatPath(config: Pick<Config, 'paths' | 'worker_id'>): string {
  return path.join(config.paths.state, `supervisor_heartbeat_${config.worker_id}.json`);
}

export function heartbeatActivities(deps: ResolvedDeps) {
  const { config } = deps;

  /**
   * The health check's output: the heartbeat file (atomically) and, with a database, the
   * workers_t row. The file goes first so a database outage does not hide a live supervisor.
   */
  async function recordSupervisorHeartbeat(input: { statusSummary: string; details?: Record<string, unknown> }): Promise<{ path: string; database: boolean }> {
    const at = deps.now();
    const body: SupervisorHeartbeat = {
      worker_id: config.worker_id,
      at: at.toISOString(),
      hostname: hostname(),
      pid: process.pid,
      status_summary: input.statusSummary,
      details: input.details ?? {},
    };
    const file = supervisorHeartbeatPath(config);
    await writeJsonAtomic(file, body);
    if (deps.pool === undefined) return { path: file, database: false };
    await upsertWorker(deps.pool, { worker_id: config.worker_id, last_heartbeat_at: at, status_summary: input.statusSummary, hostname: body.hostname });
    return { path: file, database: true };
  }

  return { recordSupervisorHeartbeat };
}
