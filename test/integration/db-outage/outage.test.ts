/**
 * Issue 17's database outages: MariaDB stopped, frozen (SIGSTOP) and restarted while handlers and health runs
 * go on. Handlers and health runs complete (bounded by their timeouts; proven by their results, not by a clock),
 * and once the database is back every audit row is in audit_log_t exactly once, nothing is left in the pending
 * file and workers_t holds the last health run's heartbeat.
 */
import { access, readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { RowDataPacket } from 'mysql2/promise';
import { supervisorHeartbeatPath, eventsFileOf, pendingAuditFileOf } from '../../../src/nas/paths.js';
import type { Config } from '../../../src/config/schema.js';
import type { Handler } from '../../../src/flags/handlers.js';
import { taskQueueOf } from '../../../src/config/schema.js';
import { healthScheduleId, keepAliveWorkflowId } from '../../../src/contract/ids.js';
import { HEALTH_WORKFLOW_TYPE } from '../../../src/contract/supervision.js';
import type { HealthRunResult } from '../../../src/contract/supervision.js';
import type { SupervisorHeartbeatFile } from '../../../src/activities/health.js';
import { recordFigure } from '../../helpers/figures.js';
import { waitFor } from '../../helpers/process.js';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { useSupervisorEnvWithDb } from '../../helpers/use-supervisor-env.js';
import type { MariaDbHarness } from '../../helpers/mariadb.js';
import { killSeen } from '../handlers/support.js';

/** Generous: in a frozen round a handler may wait out a query deadline (20 s) before its audit is kept. */
const OUTAGE_TEST_TIMEOUT_MS = 600_000;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

const lineCount = async (file: string): Promise<number> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '').length;

/** How the outage begins and ends; `during` runs beside the stream (the restart happens mid-stream). */
interface Outage {
  name: string;
  begin(db: MariaDbHarness): Promise<void>;
  end(db: MariaDbHarness): Promise<void>;
  /** True when the stream runs wholly inside the outage: its rows must have gone to the pending file. */
  whollyDown: boolean;
}

const OUTAGES: Outage[] = [
  { name: 'stopped', begin: (db) => db.shutdown(), end: (db) => db.restart(), whollyDown: true },
  {
    name: 'frozen',
    begin: async (db) => void process.kill(db.pid, 'SIGSTOP'),
    end: async (db) => void process.kill(db.pid, 'SIGCONT'),
    whollyDown: true,
  },
  { name: 'restarted', begin: async () => undefined, end: async () => undefined, whollyDown: false },
];

/** The audit keys the worker recorded: every row also goes out on the event stream, key included. */
async function recordedKeys(config: Config): Promise<Set<string>> {
  const text = await readFile(eventsFileOf(config.paths), 'utf8');
  const keys = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { worker_id?: string; row_key?: string })
    .filter((event) => event.worker_id === config.worker_id && event.row_key !== undefined)
    .map((event) => String(event.row_key));
  return new Set(keys);
}

async function auditRows(db: MariaDbHarness, workerId: string) {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT task_id, row_key FROM audit_log_t WHERE worker_id = ?', [
    workerId,
  ]);
  return rows.map((row) => ({ task_id: row.task_id as string | null, row_key: row.row_key as string | null }));
}

describe('database outages during a stream of handlers and health runs', () => {
  const { env, db } = useSupervisorEnvWithDb('supervisor_outage');
  const figures = { outages: [] as string[], rows: 0, once: 0, kept: 0, left: 0 };
  let temp: TempDir;
  let config: Config;
  let worker: RunningWorker;
  let healthRuns = 0;
  afterEach(async () => {
    await worker?.stop();
    await env.client.workflow
      .getHandle(keepAliveWorkflowId(config.worker_id))
      .terminate('test over')
      .catch(() => undefined);
    killSeen();
    await temp?.cleanup();
  });
  afterAll(() => {
    recordFigure(
      `db outages: ${figures.outages.length} (${figures.outages.join(', ')}), audit rows ${figures.once}/${figures.rows} in MySQL once (${figures.kept} back-filled from the fallback), ${figures.left} left in the fallback`,
    );
  });

  const healthRun = async (): Promise<HealthRunResult> =>
    (await env.client.workflow.execute(HEALTH_WORKFLOW_TYPE, {
      workflowId: `${healthScheduleId(config.worker_id)}-outage-${(healthRuns += 1)}`,
      taskQueue: taskQueueOf(config),
      args: [{ workerId: config.worker_id }],
      workflowExecutionTimeout: '5m',
    })) as HealthRunResult;

  /** Two rounds of diagnostics, verify_db, pause_watcher and a health run, side by side; the task ids. */
  async function stream(prefix: string): Promise<string[]> {
    const tasks: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      const run = (handler: Handler) => {
        const taskId = `${prefix}_${handler}_${round}`;
        tasks.push(taskId);
        return env.run(config, { task_id: taskId, handler, requested_by: 'ops' });
      };
      const [diagnostics, , pause, health] = await Promise.all([
        run('diagnostics'),
        run('verify_db'),
        run('pause_watcher'),
        healthRun(),
      ]);
      expect(diagnostics.success).toBe(true);
      expect(pause.success).toBe(true);
      expect(health.watcher_state).toBe('paused');
    }
    return tasks;
  }

  it.each(OUTAGES)(
    'MariaDB $name: every audit row lands in MySQL once, workers_t catches up',
    async (outage) => {
      temp = await makeTempDir(`ts-db-outage-${outage.name}-`);
      config = env.config(temp.path, { database: { ...db.config } });
      // No pool given: the worker makes its own (deadline, queue limit), as in production.
      worker = await env.startWorker(config);
      // Paused first, while the database answers: the keep-alive the health runs start leaves the watcher off.
      expect((await env.run(config, { task_id: `${outage.name}_pause`, handler: 'pause_watcher' })).success).toBe(true);
      const pending = pendingAuditFileOf(config.paths.logs, config.worker_id);
      await outage.begin(db);
      const restart = outage.whollyDown ? undefined : db.shutdown().then(() => db.restart());
      const tasks = [`${outage.name}_pause`, ...(await stream(outage.name))];
      const kept = await lineCount(pending);
      if (outage.whollyDown) expect(kept).toBeGreaterThan(0);
      await restart;
      await outage.end(db);

      // The health run after the outage finds the database answering: workers_t, then the back-fill.
      const last = await healthRun();
      expect(last.success).toBe(true);
      // The drain runs beside the health run, not inside it.
      await waitFor(
        'the pending rows drained',
        async () => !(await exists(pending)) && !(await exists(`${pending}.draining`)),
        60_000,
      );
      const rows = await auditRows(db, config.worker_id);
      const keys = await recordedKeys(config);
      const keyCounts = new Map<string, number>();
      for (const row of rows) keyCounts.set(String(row.row_key), (keyCounts.get(String(row.row_key)) ?? 0) + 1);
      expect([...keyCounts.keys()].sort()).toEqual([...keys].sort());
      expect([...keyCounts.values()].filter((count) => count !== 1)).toEqual([]);
      expect(tasks.map((task) => rows.filter((row) => row.task_id === task).length)).toEqual(tasks.map(() => 1));
      const heartbeat = JSON.parse(await readFile(supervisorHeartbeatPath(config), 'utf8')) as SupervisorHeartbeatFile;
      const [workers] = await db.pool.query<RowDataPacket[]>(
        'SELECT last_heartbeat_at FROM workers_t WHERE worker_id = ?',
        [config.worker_id],
      );
      expect((workers[0]?.last_heartbeat_at as Date | undefined)?.toISOString()).toBe(heartbeat.time);

      figures.outages.push(outage.name);
      figures.rows += keys.size;
      figures.once += [...keyCounts.values()].filter((count) => count === 1).length;
      figures.kept += kept;
      figures.left += (await lineCount(pending)) + (await lineCount(`${pending}.draining`));
    },
    OUTAGE_TEST_TIMEOUT_MS,
  );
});
