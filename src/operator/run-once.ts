/**
 * `supervisor run-once`: the single-pass mode for hosts where the OS scheduler (cron, Task Scheduler)
 * starts the supervisor every few minutes. One ingest pass, wait for the handlers it started, then one
 * health check (after the handlers and the keep-alive's own look, so it judges the state they left),
 * all within one deadline.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { readPidFile } from '../activities/pidfile.js';
import { heartbeatTimeMs } from '../activities/watch.js';
import type { Config } from '../config/schema.js';
import type { ApprovalState } from '../contract/approvals.js';
import { approvalQuery } from '../contract/approvals.js';
import { handlerPhaseQuery } from '../contract/handlers.js';
import { healthScheduleId, taskQueueOf } from '../contract/ids.js';
import { HEALTH_WORKFLOW_TYPE } from '../contract/supervision.js';
import type { HealthCheckWorkflow, HealthInput, HealthRunResult } from '../contract/supervision.js';
import { startIngest } from '../ingest.js';
import { pidFilePath } from '../nas/paths.js';
import type { Receipt } from '../ingest.js';
import type { Logger } from '../observability/logger.js';
import { keepAliveState } from '../supervision/keep-alive.js';
import type { HandlerWorkflow } from '../workflows/handlers/index.js';

export interface HandlerOutcome {
  task_id: string;
  handler: string;
  workflow_id: string;
  /** null: still running at the deadline, or waiting for its approval. */
  success: boolean | null;
  error: string | null;
  /** Waiting for approve/reject until this time: left to wait (durably); the next run-once carries it on. */
  awaiting_approval_until?: string;
}

export interface RunOnceReport {
  worker_id: string;
  handlers: HandlerOutcome[];
  /** null: not reached before the deadline. */
  health: HealthRunResult | null;
  timed_out: boolean;
  /** Every handler succeeded, the health check passed and nothing ran out of time. */
  ok: boolean;
}

/** States a health run may leave the watcher in and still be well: running, or stopped on purpose. */
const HEALTHY_STATES = ['running', 'paused'];

export function healthOk(health: HealthRunResult | null): boolean {
  return health !== null && health.success && HEALTHY_STATES.includes(health.watcher_state);
}

/**
 * The run's approval once it is pending; never resolves once the run is past that point (or ended). Polled
 * while the run starts: a query needs the run's worker, which runs in this process.
 */
async function pendingApproval(handle: WorkflowHandle, ended: () => boolean): Promise<ApprovalState> {
  while (!ended()) {
    const phase = await handle.query(handlerPhaseQuery).catch(() => 'starting');
    if (phase === 'awaiting-approval') {
      const state = await handle.query(approvalQuery).catch(() => null);
      if (state?.status === 'pending') return state;
    } else if (phase !== 'starting') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return new Promise<never>(() => undefined);
}

/** How a handler run ended, or that it waits for its approval (not waited for: the deadline is for work). */
async function outcomeOf(client: Client, receipt: Receipt): Promise<HandlerOutcome> {
  const base = { task_id: receipt.task_id, handler: receipt.handler, workflow_id: receipt.workflow_id };
  const handle = client.workflow.getHandle<HandlerWorkflow>(receipt.workflow_id);
  let done = false;
  const result = handle.result().then(
    (value): HandlerOutcome => ({ ...base, success: value.success, error: value.error ?? null }),
    (error: unknown): HandlerOutcome => {
      if (!(error instanceof WorkflowFailedError)) throw error;
      return { ...base, success: false, error: error.cause?.message ?? error.message };
    },
  );
  const waiting = pendingApproval(handle, () => done).then((state): HandlerOutcome => ({
    ...base,
    success: null,
    error: null,
    awaiting_approval_until: state.expires_at,
  }));
  try {
    return await Promise.race([result, waiting]);
  } finally {
    done = true;
  }
}

function healthCheck(client: Client, config: Config): Promise<HealthRunResult> {
  const input: HealthInput = { workerId: config.worker_id };
  return client.workflow.execute<HealthCheckWorkflow>(HEALTH_WORKFLOW_TYPE, {
    // Beside the schedule's runs (`health/<workerId>-<time>`), told apart by the word.
    workflowId: `${healthScheduleId(config.worker_id)}-run-once-${new Date().toISOString()}`,
    taskQueue: taskQueueOf(config),
    args: [input],
    workflowExecutionTimeout: '5m',
  });
}

/** Keep-alive states that call for no action of its own (a start, a restart, a wait) before the health check. */
const SETTLED = ['running', 'paused', 'failed', 'held'];
/** How long the keep-alive may take to get there; a watcher in a crash loop is then judged as it is. */
const SETTLE_MS = 30_000;

/**
 * On a host where only run-once runs, the keep-alive runs only as long as it does: before the health
 * check, it gets its chance to start (or restart) the watcher, and a started watcher its chance to write a
 * first heartbeat, so the check judges their work, not their start.
 */
async function keepAliveSettled(client: Client, config: Config): Promise<void> {
  const until = Date.now() + SETTLE_MS;
  while (Date.now() < until) {
    const state = await keepAliveState(client, config.worker_id);
    if (
      state !== null &&
      SETTLED.includes(state.state) &&
      (state.state !== 'running' || (await beatSinceStart(config)))
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The running watcher (by its pid file) has written a heartbeat since it started. */
async function beatSinceStart(config: Config): Promise<boolean> {
  const [record, beat] = await Promise.all([
    readPidFile(pidFilePath(config)),
    heartbeatTimeMs(config.watcher.heartbeat_file),
  ]);
  return record === undefined || (beat !== undefined && beat >= Date.parse(record.started_at));
}

/** Needs a worker polling `config`'s task queue (the caller runs one in-process). */
export async function runOnce(options: {
  config: Config;
  logger: Logger;
  client: Client;
  timeoutMs: number;
}): Promise<RunOnceReport> {
  const { config, logger, client } = options;
  const accepted: Receipt[] = [];
  const handlers: HandlerOutcome[] = [];
  const seen: { health: HealthRunResult | null } = { health: null };
  const ingest = await startIngest({ config, logger, client, onAccepted: (receipt) => accepted.push(receipt) });
  let ingestStopped: Promise<void> | undefined;
  const stopIngest = (): Promise<void> => (ingestStopped ??= ingest.stop());
  const work = async (): Promise<void> => {
    try {
      await ingest.idle();
    } finally {
      await stopIngest();
    }
    logger.info({ accepted: accepted.map((r) => r.task_id) }, 'run-once: ingest pass done; waiting for the handlers');
    for (const receipt of accepted) handlers.push(await outcomeOf(client, receipt));
    await keepAliveSettled(client, config);
    seen.health = await healthCheck(client, config).catch((error: unknown) => ({
      success: false,
      watcher_state: 'unknown',
      actions_taken: [],
      errors: [`health check did not run: ${error instanceof Error ? error.message : String(error)}`],
    }));
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const ended = await Promise.race([work().then(() => 'done' as const), deadline]).finally(() => clearTimeout(timer));
  // A pass still running at the deadline (Temporal not answering) ends here, its flags left in the inbox.
  await stopIngest();
  const timedOut = ended === 'timeout';
  // At the deadline: the handlers not yet looked at are reported as still running.
  for (const receipt of accepted.slice(handlers.length))
    handlers.push({
      task_id: receipt.task_id,
      handler: receipt.handler,
      workflow_id: receipt.workflow_id,
      success: null,
      error: null,
    });
  const ok =
    !timedOut &&
    handlers.every((h) => h.success === true || h.awaiting_approval_until !== undefined) &&
    healthOk(seen.health);
  return { worker_id: config.worker_id, handlers, health: seen.health, timed_out: timedOut, ok };
}

export function formatRunOnce(report: RunOnceReport): string {
  const lines = report.handlers.map(
    (h) =>
      `${h.task_id}  ${h.handler}  ${h.awaiting_approval_until !== undefined ? `awaiting approval until ${h.awaiting_approval_until}` : h.success === null ? 'still running at the deadline' : h.success ? 'ok' : `failed: ${h.error ?? '-'}`}`,
  );
  if (report.handlers.length === 0) lines.push('no flags waiting');
  const health = report.health;
  lines.push(
    health === null
      ? 'health: not checked before the deadline'
      : `health: ${healthOk(health) ? 'ok' : 'NOT ok'} (watcher ${health.watcher_state}${health.errors.length > 0 ? `; ${health.errors.join('; ')}` : ''})`,
  );
  lines.push(report.ok ? 'run-once: all well' : `run-once: ${report.timed_out ? 'timed out' : 'not all well'}`);
  return `${lines.join('\n')}\n`;
}
