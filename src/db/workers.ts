import type { Queryable } from './pool.js';
import { query } from './pool.js';

export interface WorkerStatusRow {
  worker_id: string;
  last_heartbeat_at: Date;
  /** Short human summary, e.g. "watcher running pid 1234, heartbeat fresh"; cut to 255 characters. */
  status_summary: string;
  hostname?: string | null;
}

/** One row per worker, overwritten by every health check. */
export async function upsertWorker(db: Queryable, row: WorkerStatusRow): Promise<void> {
  await query(
    db,
    `INSERT INTO workers_t (worker_id, last_heartbeat_at, status_summary, hostname, updated_at)
     VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE last_heartbeat_at = VALUES(last_heartbeat_at),
       status_summary = VALUES(status_summary), hostname = VALUES(hostname), updated_at = VALUES(updated_at)`,
    [row.worker_id, row.last_heartbeat_at, row.status_summary.slice(0, 255), row.hostname ?? null],
  );
}
