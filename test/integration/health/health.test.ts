import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import type { RowDataPacket } from 'mysql2/promise';
import { supervisorHeartbeatPath } from '../../../src/nas/paths.js';
import type { SupervisorHeartbeatFile } from '../../../src/activities/index.js';
import type { Config } from '../../../src/config/schema.js';
import { lastAuditRows, mysqlAuditSink } from '../../../src/audit/index.js';
import { ensureHealthSchedule } from '../../../src/supervision/health-schedule.js';
import { waitFor } from '../../helpers/process.js';
import { NO_REPLAY, useSupervisorEnvWithDb } from '../../helpers/use-supervisor-env.js';
import { activitiesFor } from '../../helpers/activities.js';
import { watcherPid } from '../handlers/support.js';
import { keepAliveOf, useHealthCases } from './support.js';

describe('health schedule with workers_t in MariaDB', () => {
  // No replay check: this file starts no handler, and its health runs are checked by their rows.
  const { env, db } = useSupervisorEnvWithDb('supervisor_health', NO_REPLAY);
  const { configure, startWorker } = useHealthCases(env);
  let config: Config;

  async function setUp(): Promise<void> {
    config = await configure('ts-health-', { database: { ...db.config, critical_tables: ['workers_t'] } });
    await startWorker(config, { pool: db.pool });
  }

  const readBeat = async () =>
    JSON.parse(await readFile(supervisorHeartbeatPath(config), 'utf8')) as SupervisorHeartbeatFile;

  it('runs on its schedule: starts the keep-alive, writes the heartbeat file, upserts workers_t, audits only changes', async () => {
    await setUp();
    expect(await ensureHealthSchedule(env.client, config, { intervalMs: 1_000 })).toMatchObject({ created: true });
    // Idempotent at the next start-up: updated in place, not duplicated.
    expect(await ensureHealthSchedule(env.client, config, { intervalMs: 1_000 })).toMatchObject({ created: false });

    // The first run finds no keep-alive and starts it; the keep-alive starts the watcher.
    const pid = await waitFor('watcher started by the keep-alive', () => watcherPid(config), 20_000);
    const beat = await waitFor(
      'a heartbeat that sees the watcher running',
      async () => {
        const body = await readBeat().catch(() => undefined);
        return body?.watcher_state === 'running' ? body : undefined;
      },
      20_000,
    );
    expect(beat).toMatchObject({
      worker_id: config.worker_id,
      success: true,
      error: null,
      versions: { supervisor: expect.any(String), node: process.version },
    });
    expect(beat.status_summary).toContain(`pid ${pid}`);
    expect((await keepAliveOf(env.client, config)).state).toBe('running');

    const [rows] = await db.pool.query<RowDataPacket[]>(
      'SELECT status_summary, last_heartbeat_at FROM workers_t WHERE worker_id = ?',
      [config.worker_id],
    );
    expect(rows).toHaveLength(1);
    expect(String(rows[0]?.status_summary)).toContain('watcher running');

    // Two more runs with nothing changing: no new state-change rows.
    const before = await stateRows();
    const time = beat.time;
    await waitFor(
      'two more runs',
      async () => (await readBeat()).time > time && Date.parse((await readBeat()).time) - Date.parse(time) >= 2_000,
      15_000,
    );
    const after = await stateRows();
    expect(after).toEqual(before);
    // The first run saw the watcher stopped (the keep-alive it started had not started the watcher yet).
    expect(after.at(-1)?.details).toMatchObject({ to: 'running' });
    for (let index = 1; index < after.length; index += 1)
      expect(after[index]?.details.to).not.toEqual(after[index - 1]?.details.to);
  }, 90_000);

  it('never shows a reader a torn heartbeat file (1,000 writes)', async () => {
    await setUp();
    const acts = activitiesFor(config, { audit: mysqlAuditSink(db.pool) });
    let writing = true;
    let reads = 0;
    const invalid: string[] = [];
    const reader = (async () => {
      while (writing) {
        const text = await readFile(supervisorHeartbeatPath(config), 'utf8').catch(() => undefined);
        if (text === undefined) continue;
        reads += 1;
        try {
          JSON.parse(text);
        } catch {
          invalid.push(text);
        }
      }
    })();
    try {
      for (let index = 0; index < 1_000; index += 1) {
        await acts.recordHealth({
          success: true,
          error: null,
          actions_taken: [],
          watcher_state: 'running',
          summary: `write ${index} ${'x'.repeat(index % 200)}`,
          details: { index },
        });
      }
    } finally {
      writing = false;
      await reader;
    }
    expect(invalid).toEqual([]);
    expect(reads).toBeGreaterThan(100);
    expect((await readBeat()).details).toEqual({ index: 999 });
  }, 90_000);

  async function stateRows() {
    return (await lastAuditRows(db.pool, 100, config.worker_id))
      .filter((row) => row.action === 'watcher_state_changed')
      .reverse();
  }
});
