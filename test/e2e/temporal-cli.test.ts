/**
 * The official `temporal` CLI (the same binary on both sides) against the supervisor's worker on the embedded
 * engine and on the real dev server: a handler started with `temporal workflow start` runs exactly like a
 * flag, a bad input is refused by the workflow's own check, and list / describe / show / query / signal /
 * cancel / terminate / schedule / operator answer the same on both. What the CLI shows differently on the
 * engine is an engine bug: these assertions are written against the real server's answers.
 * TEMPORAL_CLI_DUMP=<dir> saves every answer per server, to diff the two (test/helpers/temporal-cli.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/config/schema.js';
import type { ResultFile } from '../../src/contract/handlers.js';
import { approvalQuery } from '../../src/contract/approvals.js';
import { handlerWorkflowId, healthScheduleId, taskQueueOf } from '../../src/contract/ids.js';
import { Flag } from '../../src/flags/schema.js';
import { registerSearchAttributes, startFlagWorkflow } from '../../src/ingest/starter.js';
import { ensureHealthSchedule } from '../../src/supervision/index.js';
import { findTemporalCli } from '../../src/temporal-cli/dev-server.js';
import { isolateGitEnv, makeGitFixture } from '../helpers/git.js';
import { isProcessAlive, killAll, waitFor } from '../helpers/process.js';
import { startSupervisorEnv } from '../helpers/supervisor-env.js';
import type { SupervisorEnv } from '../helpers/supervisor-env.js';
import { readResultFile } from '../helpers/supervisor-env.js';
import type { RunningWorker } from '../helpers/supervisor-env.js';
import { temporalCli } from '../helpers/temporal-cli.js';
import type { CliRunner } from '../helpers/temporal-cli.js';
import { realServerMissing } from '../helpers/temporal-server.js';
import type { ServerKind } from '../helpers/temporal-server.js';
import { makeTempDir } from '../helpers/tmp.js';
import type { TempDir } from '../helpers/tmp.js';

type Json = Record<string, unknown>;
interface HistoryEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  workflowExecutionFailedEventAttributes?: { failure: { message: string; applicationFailureInfo?: { type: string } } };
}

const missing = realServerMissing();
const binary = findTemporalCli();
if (missing !== undefined) console.warn(`test/e2e/temporal-cli.test.ts skipped: ${missing}`);
// Inside the skipped describe below when the binary is missing: hooks and tests then do not run.
const suite = describe.each<ServerKind>(['engine', 'temporal-cli']);

const SCHEDULE_EVERY_MS = 3_600_000;

(missing === undefined ? describe : describe.skip)(
  missing === undefined ? 'the temporal CLI against the supervisor' : `the temporal CLI (skipped: ${missing})`,
  () => {
    suite('on the %s server', (kind) => {
      let env: SupervisorEnv;
      let temp: TempDir;
      let config: Config;
      let worker: RunningWorker;
      let gate: string;
      const pids = new Set<number>();

      let cli: CliRunner;
      const cliOk = (args: string[]): Promise<string> => cli.ok(args);
      const cliJson = <T = Json>(args: string[]): Promise<T> => cli.json<T>(args);

      const workflowId = (taskId: string): string => handlerWorkflowId(config.worker_id, taskId);
      const start = (type: string, taskId: string, input: unknown): Promise<string> =>
        cliOk([
          'workflow',
          'start',
          '--type',
          type,
          '--task-queue',
          taskQueueOf(config),
          '--workflow-id',
          workflowId(taskId),
          '--input',
          JSON.stringify(input),
        ]);
      const describeRun = (id: string): Promise<Json> => cliJson(['workflow', 'describe', '--workflow-id', id]);
      const statusOf = async (id: string): Promise<string> =>
        String((((await describeRun(id)).workflowExecutionInfo ?? {}) as Json).status);
      const closed = (id: string): Promise<string> =>
        waitFor(
          `${id} to close`,
          async () => {
            const status = await statusOf(id);
            return status.endsWith('RUNNING') ? undefined : status;
          },
          60_000,
          100,
        );
      const history = async (id: string): Promise<HistoryEvent[]> =>
        (await cliJson<{ events: HistoryEvent[] }>(['workflow', 'show', '--workflow-id', id])).events;
      const activityTypes = (events: HistoryEvent[]): string[] =>
        events.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType.name ?? []);
      const result = async (taskId: string): Promise<ResultFile> => {
        const file = await readResultFile(config, taskId);
        if (typeof (file.details as { pid?: unknown }).pid === 'number') pids.add(file.details.pid as number);
        return file;
      };
      const outboxFiles = (): string[] => readdirSync(path.join(config.paths.outbox, config.worker_id)).sort();
      /** Waits until the run's pending activity is `type`: the handler is busy there. */
      const pendingActivity = (id: string, type: string): Promise<true> =>
        waitFor(
          `${id} to be in ${type}`,
          async () => {
            const pending = ((await describeRun(id)).pendingActivities ?? []) as { activityType?: { name: string } }[];
            return pending.some((activity) => activity.activityType?.name === type);
          },
          30_000,
          100,
        );

      /** Pids of the gated dependency installs still running (their command line names the gate file). */
      const installsRunning = (): number[] =>
        readdirSync('/proc')
          .filter((entry) => /^\d+$/.test(entry))
          .filter((pid) => {
            try {
              return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(gate);
            } catch {
              return false;
            }
          })
          .map(Number);

      beforeAll(async () => {
        isolateGitEnv();
        env = await startSupervisorEnv({ kind });
        cli = temporalCli({
          binary: binary ?? 'temporal',
          address: env.server.address,
          namespace: env.server.namespace,
          label: kind,
          workerId: () => config.worker_id,
        });
        temp = await makeTempDir('temporal-cli-');
        const repo = await makeGitFixture(temp.path);
        gate = path.join(temp.path, 'deps-gate');
        config = env.config(path.join(temp.path, 'nas'), { repoDir: repo.work, depsGate: gate });
        worker = await env.startWorker(config);
        // What the ingest does at start-up (the real server has them from its launch flags already).
        expect(await registerSearchAttributes(env.client)).toEqual({ ok: true });
        await ensureHealthSchedule(env.client, config, { intervalMs: SCHEDULE_EVERY_MS });
      }, 120_000);

      afterAll(async () => {
        if (gate !== undefined) writeFileSync(gate, 'open');
        await worker?.stop();
        await env?.teardown();
        killAll(pids);
        await temp?.cleanup();
      }, 60_000);

      it('workflow start runs restart_watcher exactly like a flag', async () => {
        await start('restart_watcher', 'first', { task_id: 'first', handler: 'restart_watcher' });
        expect(await closed(workflowId('first'))).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
        const first = await result('first');
        expect(first).toMatchObject({ success: true, task_id: 'first', handler: 'restart_watcher' });
        const oldPid = first.details.pid as number;
        expect(await isProcessAlive(oldPid)).toBe(true);

        await start('restart_watcher', 'second', { task_id: 'second', label: 'via-cli', requested_by: 'cli' });
        expect(await closed(workflowId('second'))).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
        const second = await result('second');
        expect(second).toMatchObject({
          success: true,
          label: 'via-cli',
          requested_by: 'cli',
          worker_id: config.worker_id,
          details: { was_running: true, stopped_by: 'sigterm', old_pids: [oldPid] },
        });
        const newPid = second.details.pid as number;
        expect(newPid).not.toBe(oldPid);
        expect(await isProcessAlive(newPid)).toBe(true);
        expect(await isProcessAlive(oldPid)).toBe(false);

        const shown = await cliJson<Json>(['workflow', 'result', '--workflow-id', workflowId('second')]);
        expect(shown).toMatchObject({
          workflowId: workflowId('second'),
          status: 'COMPLETED',
          result: { success: true, details: { pid: newPid, old_pids: [oldPid] } },
        });
      });

      it.each([
        ['restart_watcher', { task_id: '../escape', handler: 'restart_watcher' }, 'task_id'],
        ['rollback_code', { task_id: 'bad-rollback', params: { commits_back: 'two' } }, 'params.commits_back'],
      ])('a bad %s input is refused by the workflow itself: %j', async (type, input, problem) => {
        const before = outboxFiles();
        const id = workflowId(input.task_id);
        await start(type, input.task_id, input);
        expect(await closed(id)).toBe('WORKFLOW_EXECUTION_STATUS_FAILED');
        const events = await history(id);
        const failed = events.find((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED');
        const failure = failed?.workflowExecutionFailedEventAttributes?.failure;
        expect(failure?.applicationFailureInfo?.type).toBe('InvalidHandlerInput');
        expect(failure?.message).toContain(`invalid input for ${type}, nothing was done: ${problem}:`);
        expect(activityTypes(events)).toEqual([]);
        expect(outboxFiles()).toEqual(before);
        expect(existsSync(path.join(temp.path, 'escape.result.json'))).toBe(false);
      });

      it('workflow list, describe and show: the run, its type and its activities', async () => {
        const listed = await cliJson<Json[]>([
          'workflow',
          'list',
          '--query',
          `WorkflowType='restart_watcher' AND WorkflowId STARTS_WITH '${config.worker_id}/'`,
        ]);
        const ids = listed.map((entry) => (entry.execution as { workflowId: string }).workflowId).sort();
        expect(ids).toEqual([workflowId('../escape'), workflowId('first'), workflowId('second')].sort());

        // A direct start carries no search attributes (the handler upserts none); the ingest's start does.
        const ingested = Flag.parse({ task_id: 'ingested', handler: 'diagnostics', label: 'nightly' });
        await startFlagWorkflow(env.client, {
          flag: ingested,
          workerId: config.worker_id,
          taskQueue: taskQueueOf(config),
          file: 'ingested.json',
          sha256: 'x',
        });
        const byWorker = await waitFor('the ingested run to be visible by WorkerId', async () => {
          const rows = await cliJson<Json[]>(['workflow', 'list', '--query', `WorkerId='${config.worker_id}'`]);
          return rows.length > 0 ? rows : undefined;
        });
        expect(byWorker.map((entry) => (entry.execution as { workflowId: string }).workflowId)).toEqual([
          workflowId('ingested'),
        ]);

        const described = await describeRun(workflowId('second'));
        const info = described.workflowExecutionInfo as Json;
        expect(info).toMatchObject({
          execution: { workflowId: workflowId('second') },
          type: { name: 'restart_watcher' },
          status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
          taskQueue: taskQueueOf(config),
        });
        expect(described.executionConfig).toMatchObject({ taskQueue: { name: taskQueueOf(config) } });
        expect(JSON.stringify(info.searchAttributes ?? {})).not.toContain('WorkerId');

        const events = await history(workflowId('second'));
        expect(events[0]?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
        expect(events.at(-1)?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
        expect(activityTypes(events)).toEqual(expect.arrayContaining(['stopWatcher', 'startWatcher', 'writeResult']));
      });

      it('the text views and workflow count answer as the JSON ones do', async () => {
        const id = workflowId('second');
        const text = (args: string[]): Promise<string> => cli.text(args);
        const described = await text(['workflow', 'describe', '--workflow-id', id]);
        expect(described).toMatch(/Status\s+COMPLETED/);
        expect(described).toMatch(/Type\s+restart_watcher/);
        expect(described).toContain(taskQueueOf(config));
        const shown = await text(['workflow', 'show', '--workflow-id', id]);
        expect(shown).toMatch(/ActivityTaskScheduled/);
        expect(shown).toMatch(/WorkflowExecutionCompleted/);
        const listed = await text(['workflow', 'list', '--query', `WorkflowType='restart_watcher'`]);
        expect(listed).toContain(workflowId('first'));
        expect(listed).toContain(workflowId('second'));
        const counted = await cliJson<Json>([
          'workflow',
          'count',
          '--query',
          `WorkflowType='restart_watcher' AND ExecutionStatus='Completed'`,
        ]);
        expect(counted).toMatchObject({ count: '2' });
      });

      it('workflow query, signal and cancel of a running update_code_deps', async () => {
        const id = workflowId('busy-cancel');
        await start('update_code_deps', 'busy-cancel', { task_id: 'busy-cancel' });
        await pendingActivity(id, 'installDependencies');
        // Pending before the worker has spawned the install: wait for the process itself.
        await waitFor('the install process', () => installsRunning().length === 1, 30_000);
        const phase = await cliJson<Json>(['workflow', 'query', '--workflow-id', id, '--type', 'handler_phase']);
        expect(phase).toMatchObject({ queryResult: ['running'] });

        await cliOk([
          'workflow',
          'signal',
          '--workflow-id',
          id,
          '--name',
          'cancel_requested',
          '--input',
          JSON.stringify({ by: 'cli-test', reason: 'checking signal and cancel' }),
        ]);
        await waitFor('the signal in the history', async () =>
          (await history(id)).some((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED'),
        );
        await cliOk(['workflow', 'cancel', '--workflow-id', id]);
        expect(await closed(id)).toBe('WORKFLOW_EXECUTION_STATUS_CANCELED');
        const cancelled = await result('busy-cancel');
        expect(cancelled).toMatchObject({
          success: false,
          error: 'cancelled',
          details: { cancelled_by: 'cli-test', cancel_reason: 'checking signal and cancel', compensated: true },
        });
      });

      it('workflow terminate of a running update_code_deps ends it at once, with no result', async () => {
        const id = workflowId('busy-terminate');
        await start('update_code_deps', 'busy-terminate', { task_id: 'busy-terminate' });
        await pendingActivity(id, 'installDependencies');
        const stack = await cliOk(['workflow', 'stack', '--workflow-id', id]);
        expect(stack).toMatch(/at installDependencies \(.*update-saga\.ts/);
        await cliOk(['workflow', 'terminate', '--workflow-id', id, '--reason', 'cli test']);
        expect(await closed(id)).toBe('WORKFLOW_EXECUTION_STATUS_TERMINATED');
        const events = await history(id);
        expect(events.at(-1)).toMatchObject({
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED',
          workflowExecutionTerminatedEventAttributes: { reason: 'cli test' },
        });
        expect(existsSync(path.join(config.paths.outbox, config.worker_id, 'busy-terminate.result.json'))).toBe(false);
      });

      it('schedule list and describe show the health schedule', async () => {
        const scheduleId = healthScheduleId(config.worker_id);
        const schedules = await waitFor('the health schedule in schedule list', async () => {
          const rows = await cliJson<Json[]>(['schedule', 'list']);
          return rows.some((row) => row.scheduleId === scheduleId) ? rows : undefined;
        });
        expect(schedules.map((row) => row.scheduleId)).toContain(scheduleId);
        const described = await cliJson<Json>(['schedule', 'describe', '--schedule-id', scheduleId]);
        expect(described).toMatchObject({
          schedule: {
            spec: { interval: [{ interval: `${SCHEDULE_EVERY_MS / 1000}s` }] },
            action: {
              startWorkflow: {
                workflowId: scheduleId,
                workflowType: { name: 'health_check' },
                taskQueue: { name: taskQueueOf(config) },
              },
            },
            policies: { overlapPolicy: 'SCHEDULE_OVERLAP_POLICY_SKIP' },
          },
        });
        // An interval of one hour counts from the epoch: the next runs fall on the hour.
        const next = (described.info as { futureActionTimes: string[] }).futureActionTimes;
        expect(next.length).toBeGreaterThan(0);
        for (const time of next) expect(time).toMatch(/T\d\d:00:00Z$/);
      });

      it('operator search-attribute list shows WorkerId, Handler and TaskLabel', async () => {
        const listed = await cliJson<Json>(['operator', 'search-attribute', 'list']);
        expect(listed).toMatchObject({
          customAttributes: {
            WorkerId: 'INDEXED_VALUE_TYPE_KEYWORD',
            Handler: 'INDEXED_VALUE_TYPE_KEYWORD',
            TaskLabel: 'INDEXED_VALUE_TYPE_TEXT',
          },
        });
      });

      // Last: its run would change the listings and counts the tests above assert.
      it('workflow update execute decides a task that waits for approval; a refused decision prints why', async () => {
        const id = workflowId('approved');
        await start('restart_watcher', 'approved', {
          task_id: 'approved',
          requested_by: 'carol',
          require_approval: true,
        });
        await waitFor('the approval request', async () => {
          const state = await env.client.workflow.getHandle(id).query(approvalQuery);
          return state?.status === 'pending' ? state : undefined;
        });
        const decide = (by: string) => [
          'workflow',
          'update',
          'execute',
          '--workflow-id',
          id,
          '--name',
          'approve',
          '--input',
          JSON.stringify({ by }),
        ];
        await expect(cliOk(decide('carol'))).rejects.toThrow(/carol requested this task and may not approve it too/);
        expect(await statusOf(id)).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
        expect(await cliOk(decide('alice'))).toMatch(/Result\s+map\[.*by:alice decision:approved/);
        expect(await closed(id)).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
        expect(await result('approved')).toMatchObject({
          success: true,
          requested_by: 'carol',
          details: { pid: expect.any(Number) },
        });
        const types = activityTypes(await history(id));
        expect(types.slice(0, 4)).toEqual(['workerSettings', 'approvalSnapshot', 'recordAudit', 'supersedeApprovals']);
        expect(types).toContain('stopWatcher');
      });
    });
  },
);
